import { basename } from 'node:path';
import { DataError } from '../data/table';
import { predictionsPrefix } from '../ground-truth/layout';
import { PredictionBatches } from '../ground-truth/prediction-log';
import type { ObjectStore } from '../storage/object-store';
import { type BatchFeatureLookup, scoreObject } from './batch';
import type { ScoringLocation } from './location';
import { assertNoCollisions, assertNothingToReplace, type OutForm, planScoringTargets } from './out-paths';
import type { Scorer } from './scorer';
import {
  buildManifest,
  type ManifestFailure,
  type ManifestInput,
  type ScoringManifest,
  type ScoringModelRef,
  scorableKeys,
  shardItems,
} from './shards';

/** What runs inside one AWS Batch scoring job (or one `mlops score` run): one shard of the input objects. */

/** Environment the scoring job and `mlops score submit` read. */
export const SCORE_ENV = {
  /** AWS Batch job queue of `score submit` (the stack output `<Model>ScoreJobQueue`). */
  jobQueue: 'MLOPS_SCORE_JOB_QUEUE',
  /** AWS Batch job definition of the model's scoring job (the stack output `<Model>ScoreJobDefinition`). */
  jobDefinition: 'MLOPS_SCORE_JOB_DEFINITION',
  /** Set by AWS Batch in each child of an array job: this shard's index. */
  arrayIndex: 'AWS_BATCH_JOB_ARRAY_INDEX',
} as const;

export interface ShardRequest {
  /** The input as given (`s3://bucket/prefix`, a file or a folder), opened as `input`. */
  readonly inputUri: string;
  readonly input: ScoringLocation;
  /** --out as given, opened as `out` in the form `form` (core/score/out-paths.ts). */
  readonly outUri: string;
  readonly out: ScoringLocation;
  readonly form: OutForm;
  readonly shardIndex: number;
  readonly shards: number;
  /** Replace outputs that exist; otherwise the run refuses to start. */
  readonly replace: boolean;
  readonly missingFeatures?: 'impute' | 'reject';
  readonly chunkChars?: number;
  /** The column with the caller's prediction ids (predictions.idField). @default none: every id is ours */
  readonly idField?: string;
  /**
   * The monitoring zone, where scored rows are recorded for the ground-truth join (predictions.log).
   * Only a registry version is recorded: a model read from a file has none. @default none: not recorded
   */
  readonly predictionLog?: ObjectStore;
  /** Recorded predictions carry each row's feature values (the model trains on its feedback). @default false */
  readonly recordFeatures?: boolean;
  /** A model with a feature view: its view and online store (core/score/batch.ts). @default none */
  readonly featureLookup?: BatchFeatureLookup;
  /** Loaded only once every check passed. */
  readonly loadModel: () => Promise<{ scorer: Scorer; ref: ScoringModelRef }>;
  readonly log: (line: string) => void;
  readonly now: () => Date;
}

/**
 * Scores this shard's share of the input objects and writes, per object, `<name>.scored.csv` and
 * `<name>.errors.jsonl`, then the shard's manifest (core/score/out-paths.ts maps --out to these).
 * Before writing anything it refuses colliding names and, unless `replace`, existing outputs.
 * Object-level data problems (unreadable file, bad header) are recorded as failures and the shard
 * goes on; anything else (S3, network) throws, and the job is retried: every key is a function of
 * the input key, so a retry with `replace` overwrites.
 *
 * The prediction log is written as the rows are scored, in batches shared by the shard's objects,
 * and is complete once the manifest is written. It is appended to, never overwritten: a retried
 * shard records again what it scores again (new ids of ours; the join takes the latest prediction
 * of a caller id), and an object that fails midway keeps the records of the rows scored before.
 */
export async function scoreShard(request: ShardRequest): Promise<{ manifest: ScoringManifest; manifestPath: string }> {
  const { input, out, form, shardIndex, shards, replace, log, now } = request;
  const startedAt = now().toISOString();
  const all = await input.list();
  const inputIsOneObject = (all.length === 1 && all[0] === '') || (all.length === 1 && all[0] === input.key);
  const keys = all.length === 1 && all[0] === '' ? [''] : scorableKeys(all);
  const plan = planScoringTargets({
    out: request.outUri,
    form,
    inputKeys: keys,
    inputName: (key) => (key === '' ? basename(request.inputUri) : key),
    inputPrefix: input.key,
    shardIndex,
    shards,
  });
  // Every check before the first write: a refused run leaves nothing behind.
  assertNoCollisions({
    inputs: all.map((key) => ({ key, name: input.fullName(key) })),
    inputRoot: inputIsOneObject ? undefined : input.fullName(input.key),
    outRoot: form.kind === 'prefix' ? out.fullName(form.prefix) : undefined,
    writes: [
      ...plan.targets.flatMap((target) => [
        { what: `scores of ${input.describe(target.input)}`, name: out.fullName(target.output) },
        { what: `errors of ${input.describe(target.input)}`, name: out.fullName(target.errors) },
      ]),
      { what: 'manifest', name: out.fullName(plan.manifest) },
    ],
  });
  const mine = shardItems(plan.targets, shardIndex, shards);
  assertNothingToReplace(
    await out.existing([...mine.flatMap((target) => [target.output, target.errors]), plan.manifest]),
    replace,
  );
  const { scorer, ref } = await request.loadModel();
  log(
    `model ${ref.name}${ref.version === undefined ? '' : ` v${ref.version}`}; shard ${shardIndex + 1}/${shards}: ` +
      `${mine.length} of ${keys.length} object(s) under ${request.inputUri}`,
  );

  const batches =
    request.predictionLog && ref.version !== undefined
      ? new PredictionBatches(request.predictionLog, ref.name, { now })
      : undefined;
  if (request.predictionLog && !batches) {
    log(`predictions not recorded for the ground-truth join: ${ref.source} is not a registry version`);
  }
  const inputs: ManifestInput[] = [];
  const failures: ManifestFailure[] = [];
  for (const target of mine) {
    const source = input.describe(target.input);
    const output = out.writer(target.output, 'text/csv', { replace });
    const errors = out.writer(target.errors, 'application/x-ndjson', { replace });
    try {
      const counts = await scoreObject(
        scorer,
        input.read(target.input),
        { output, errors },
        {
          source,
          chunkChars: request.chunkChars,
          missingFeatures: request.missingFeatures,
          idField: request.idField,
          predictionLog: batches ? { batches, version: ref.version! } : undefined,
          recordFeatures: request.recordFeatures,
          ...(request.featureLookup ? { featureLookup: request.featureLookup } : {}),
          now,
        },
      );
      await output.close();
      await errors.close();
      inputs.push({
        input: source,
        output: out.describe(target.output),
        errors: out.describe(target.errors),
        ...counts,
      });
      log(`${source}: ${counts.rowsScored} scored, ${counts.rowsFailed} rejected -> ${out.describe(target.output)}`);
    } catch (error) {
      await Promise.allSettled([output.abort(), errors.abort()]);
      if (!(error instanceof DataError)) throw error;
      failures.push({ input: source, reason: error.message });
      log(`${source}: not scored: ${error.message}`);
    }
  }

  if (batches) {
    await batches.close();
    log(
      `prediction log: ${batches.recordsWritten} record(s) in ${batches.keys.length} batch(es) under ${predictionsPrefix(ref.name)}`,
    );
  }
  const manifest = buildManifest({
    model: ref,
    shard: { index: shardIndex, count: shards },
    startedAt,
    finishedAt: now().toISOString(),
    inputs,
    failures,
    ...(batches
      ? {
          predictionLog: {
            prefix: predictionsPrefix(ref.name),
            batches: batches.keys.length,
            records: batches.recordsWritten,
          },
        }
      : {}),
  });
  const writer = out.writer(plan.manifest, 'application/json', { replace });
  await writer.write(`${JSON.stringify(manifest, null, 2)}\n`);
  await writer.close();
  const manifestPath = out.describe(plan.manifest);
  log(`manifest: ${manifestPath}`);
  return { manifest, manifestPath };
}
