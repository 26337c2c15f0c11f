import * as z from 'zod';
import { serializeArtifact } from '../../core/artifact/format';
import { type TrainerParams, trainerParamsSchema } from '../../core/config/trainer-params';
import { readTableBytes, sha256Hex } from '../../core/data/read';
import { DataError, type DataTable } from '../../core/data/table';
import type { ObjectStore } from '../../core/storage/object-store';
import { DEFAULT_SEED, DEFAULT_VALIDATION_FRACTION, type TrainOptions, trainModel } from '../../core/train/train';
import { TRAINER_ENV, TRAINER_EXIT, TRAINER_OUTPUTS } from '../../core/workflow/contract';
import {
  isTrainingManifestKey,
  type ManifestInput,
  parseTrainingManifest,
  type TrainingManifest,
} from '../../core/workflow/training-manifest';
import { assembleTrainingSet, type TrainingPart } from '../../core/workflow/training-set';

/**
 * The trainer contract, as this image implements it (docs/trainer-contract.md documents it for
 * teams who bring their own image):
 *   in:  MLOPS_MODEL, MLOPS_RUN_ID, MLOPS_INPUT_URI (s3://bucket/key), MLOPS_OUTPUT_URI
 *        (s3://bucket/prefix/), MLOPS_TARGET, MLOPS_POSITIVE_LABEL (optional), MLOPS_TRAIN_PARAMS (JSON)
 *   out: model.json, metrics.json, profile.json under the output prefix; error.json on failure
 *   exit: 0 done, 2 bad input (never retried), 75 transient (Batch retries), 1 anything else
 */

const s3Uri = z.string().regex(/^s3:\/\/[^/]+\/.*$/, 'must be an s3://bucket/key URI');

export const trainerEnvSchema = z.object({
  [TRAINER_ENV.model]: z.string().min(1),
  [TRAINER_ENV.runId]: z.string().min(1),
  [TRAINER_ENV.input]: s3Uri,
  [TRAINER_ENV.output]: s3Uri,
  [TRAINER_ENV.target]: z.string().min(1),
  [TRAINER_ENV.positiveLabel]: z.string().optional(),
  [TRAINER_ENV.params]: z.string().optional(),
});

export interface TrainerJob {
  readonly model: string;
  readonly runId: string;
  readonly input: { bucket: string; key: string };
  readonly output: { bucket: string; prefix: string };
  readonly target: string;
  readonly positiveLabel?: string;
  readonly params: TrainerParams;
}

function splitUri(uri: string): { bucket: string; key: string } {
  const [, , bucket, ...rest] = uri.split('/');
  return { bucket, key: rest.join('/') };
}

/** Reads the job from the environment; a DataError names the bad variable. */
export function readTrainerJob(env: NodeJS.ProcessEnv): TrainerJob {
  const parsed = trainerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(`environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const vars = parsed.data;
  let params: unknown = {};
  if (vars[TRAINER_ENV.params]) {
    try {
      params = JSON.parse(vars[TRAINER_ENV.params]!);
    } catch {
      throw new DataError(`environment variable ${TRAINER_ENV.params} is not valid JSON`);
    }
  }
  const checked = trainerParamsSchema.safeParse(params);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new DataError(`${TRAINER_ENV.params}.${issue.path.join('.')}: ${issue.message}`);
  }
  const output = splitUri(vars[TRAINER_ENV.output]);
  return {
    model: vars[TRAINER_ENV.model],
    runId: vars[TRAINER_ENV.runId],
    input: splitUri(vars[TRAINER_ENV.input]),
    output: {
      bucket: output.bucket,
      prefix: output.key.endsWith('/') || output.key === '' ? output.key : `${output.key}/`,
    },
    target: vars[TRAINER_ENV.target],
    positiveLabel: vars[TRAINER_ENV.positiveLabel] || undefined,
    params: checked.data,
  };
}

/** Errors worth a retry: throttling, timeouts, network resets and 5xx from S3. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return [
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'SlowDown',
    'RequestTimeout',
    'ThrottlingException',
    'TimeoutError',
  ].some((name) => e?.name === name || e?.code === name);
}

export interface TrainerIo {
  /** Opens the store for a bucket (S3 in the image; the local S3 endpoint on a laptop). */
  readonly store: (bucket: string) => ObjectStore;
  readonly log: (line: string) => void;
}

/**
 * The training set a manifest names (core/workflow/training-set.ts has the rules): every snapshot
 * read from the manifest's bucket and checked against its recorded hash, then assembled with the
 * gate's hold-out of the run's data file left out.
 */
export async function assembleFromManifest(job: TrainerJob, bytes: Uint8Array, io: TrainerIo): Promise<DataTable> {
  const { bucket, key } = job.input;
  let manifest: TrainingManifest;
  try {
    manifest = parseTrainingManifest(new TextDecoder().decode(bytes), `s3://${bucket}/${key}`);
  } catch (error) {
    throw new DataError((error as Error).message);
  }
  if (manifest.target !== job.target) {
    throw new DataError(`s3://${bucket}/${key} is a manifest for target "${manifest.target}", not ${job.target}`);
  }
  const store = io.store(bucket);
  const read = async (input: ManifestInput): Promise<TrainingPart> => {
    const object = await store.get(input.snapshotKey);
    if (!object) throw new DataError(`s3://${bucket}/${input.snapshotKey} (${input.source}) does not exist`);
    const sha256 = sha256Hex(object.body);
    if (sha256 !== input.sha256) {
      throw new DataError(
        `s3://${bucket}/${input.snapshotKey} has SHA-256 ${sha256}, not ${input.sha256} as the manifest records; snapshots are immutable, start a new run`,
      );
    }
    return { table: await readTableBytes(object.body, input.snapshotKey), source: input.source };
  };
  const primary = await read(manifest.primary);
  const uploads: TrainingPart[] = [];
  for (const upload of manifest.uploads) uploads.push(await read(upload));
  const feedback = manifest.feedback ? await read(manifest.feedback) : null;
  const assembled = assembleTrainingSet(
    { primary, uploads, feedback },
    {
      target: job.target,
      task: job.params.task,
      positiveLabel: job.positiveLabel,
      seed: job.params.seed ?? DEFAULT_SEED,
      validationFraction: job.params.validationFraction ?? DEFAULT_VALIDATION_FRACTION,
    },
  );
  for (const note of assembled.notes) io.log(`note: ${note}`);
  const parts = assembled.rowsBySource.map(({ source, rows }) => `${source}: ${rows}`).join(', ');
  io.log(`training set: ${parts}; ${assembled.heldOutRows} held-out row(s) of ${manifest.primary.source} kept out`);
  return assembled.table;
}

/** Runs one training job end to end and returns the process exit code. */
export async function runTrainer(env: NodeJS.ProcessEnv, io: TrainerIo): Promise<number> {
  let job: TrainerJob | undefined;
  try {
    job = readTrainerJob(env);
    const { input, output } = job;
    io.log(`training ${job.model} run ${job.runId} on s3://${input.bucket}/${input.key}`);
    const object = await io.store(input.bucket).get(input.key);
    if (!object) throw new DataError(`input s3://${input.bucket}/${input.key} does not exist`);
    // One file: canonical decimals as numbers (fewer strings). Assembled files stay text, so a
    // row repeated across files compares equal to the held-out row it repeats.
    const table = isTrainingManifestKey(input.key)
      ? await assembleFromManifest(job, object.body, io)
      : await readTableBytes(object.body, input.key, { numbers: true });
    io.log(`read ${table.rowCount} rows x ${table.columnNames.length} columns`);
    const options: TrainOptions = {
      ...job.params,
      target: job.target,
      positiveLabel: job.positiveLabel,
      // The manifest's hash when the input is one: it names every snapshot's hash.
      dataSha256: sha256Hex(object.body),
      source: input.key,
      onNote: (note) => io.log(`note: ${note}`),
      onProgress: (event) => {
        if (event.iteration % 25 === 0 || event.iteration === event.total) {
          const metric =
            event.validationMetric === undefined
              ? ''
              : ` validation ${event.metricName} ${event.validationMetric.toFixed(4)}`;
          io.log(`${event.learner} ${event.iteration}/${event.total}${metric}`);
        }
      },
    };
    const artifact = trainModel(table, options);
    const outputs = io.store(output.bucket);
    // The artifact is written last: its presence means every other output is complete.
    await outputs.put(`${output.prefix}${TRAINER_OUTPUTS.metrics}`, JSON.stringify(artifact.metrics, null, 2), {
      contentType: 'application/json',
    });
    await outputs.put(`${output.prefix}${TRAINER_OUTPUTS.profile}`, JSON.stringify(artifact.profile), {
      contentType: 'application/json',
    });
    await outputs.put(`${output.prefix}${TRAINER_OUTPUTS.artifact}`, serializeArtifact(artifact), {
      contentType: 'application/json',
    });
    io.log(`wrote s3://${output.bucket}/${output.prefix}${TRAINER_OUTPUTS.artifact} (${artifact.model.kind})`);
    return TRAINER_EXIT.ok;
  } catch (error) {
    const retryable = isTransient(error);
    const code =
      error instanceof DataError ? TRAINER_EXIT.badInput : retryable ? TRAINER_EXIT.retryable : TRAINER_EXIT.internal;
    const message = (error as Error).message;
    io.log(`training failed (exit ${code}): ${message}`);
    if (job) {
      await io
        .store(job.output.bucket)
        .put(
          `${job.output.prefix}${TRAINER_OUTPUTS.error}`,
          JSON.stringify({ error: message, retryable, exitCode: code }),
          {
            contentType: 'application/json',
          },
        )
        .catch(() => io.log('could not write error.json'));
    }
    return code;
  }
}
