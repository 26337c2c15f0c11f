import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { ArtifactError } from '../../core/artifact/format';
import { DataError } from '../../core/data/table';
import { artifactKey } from '../../core/registry/keys';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import { scoreObject } from '../../core/score/batch';
import {
  assertNoCollisions,
  assertNothingToReplace,
  planScoringTargets,
  ScoringTargetError,
} from '../../core/score/out-paths';
import { Scorer } from '../../core/score/scorer';
import {
  buildManifest,
  type ManifestFailure,
  type ManifestInput,
  type ScoringManifest,
  type ScoringModelRef,
  scorableKeys,
  shardItems,
} from '../../core/score/shards';
import { TRAINER_EXIT } from '../../core/workflow/contract';
import { MODEL_NAME_PATTERN, ZONE_ENV } from '../../core/workflow/layout';
import { type CommandSpec, intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command } from '../io';
import { readPlatformInfo } from './local';
import { openLocation, openOutput } from './score-io';

/** Environment the scoring job and `mlops score submit` read. */
export const SCORE_ENV = {
  /** AWS Batch job queue of `score submit` (the stack output `<Model>ScoreJobQueue`). */
  jobQueue: 'MLOPS_SCORE_JOB_QUEUE',
  /** AWS Batch job definition of the model's scoring job (the stack output `<Model>ScoreJobDefinition`). */
  jobDefinition: 'MLOPS_SCORE_JOB_DEFINITION',
  /** Set by AWS Batch in each child of an array job: this shard's index. */
  arrayIndex: 'AWS_BATCH_JOB_ARRAY_INDEX',
} as const;

export interface ScoreRunOptions {
  /** A registered model's name (its production version), a folder holding model.json, or a model.json file. */
  readonly model: string;
  /** `s3://bucket/prefix`, `s3://bucket/key`, a file or a folder. */
  readonly input: string;
  /** `s3://bucket/prefix` or a folder; or a file ending in .csv when the input is one object. */
  readonly out: string;
  /** @default 0 */
  readonly shardIndex?: number;
  /** @default 1 */
  readonly shards?: number;
  /** Replace outputs that exist (a rerun, a retried Batch shard); otherwise the run refuses to start. @default false */
  readonly force?: boolean;
  /** @default 'impute' */
  readonly missingFeatures?: 'impute' | 'reject';
  /** @default - core/score/batch.ts default */
  readonly chunkChars?: number;
  /** The artifacts zone, for a model given by name. @default - MLOPS_ARTIFACTS_BUCKET, else the running local platform's */
  readonly artifactsBucket?: string;
}

export interface ScoringRun {
  readonly manifest: ScoringManifest;
  /** Where the manifest was written. */
  readonly manifestPath: string;
}

export interface ScoreRunDeps {
  readonly s3: () => S3Client;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

/**
 * Scores this shard's share of the input objects and writes, per object, `<name>.scored.csv` and
 * `<name>.errors.jsonl`, then the shard's manifest (core/score/out-paths.ts maps --out to these).
 * Before writing anything it refuses colliding names and, unless `force`, existing outputs.
 * Object-level data problems (unreadable file, bad header) are recorded as failures and the shard
 * goes on; anything else (S3, network) throws, and the job is retried: every key is a function of
 * the input key, so a retry with `force` overwrites.
 */
export async function runScoring(options: ScoreRunOptions, deps: ScoreRunDeps): Promise<ScoringRun> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const shards = options.shards ?? 1;
  const shardIndex = options.shardIndex ?? 0;
  const input = openLocation(options.input, deps.s3);
  const { location: out, form } = openOutput(options.out, deps.s3);

  const all = await input.list();
  const inputIsOneObject = (all.length === 1 && all[0] === '') || (all.length === 1 && all[0] === input.key);
  const keys = all.length === 1 && all[0] === '' ? [''] : scorableKeys(all);
  const plan = planScoringTargets({
    out: options.out,
    form,
    inputKeys: keys,
    inputName: (key) => (key === '' ? basename(options.input) : key),
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
  const replace = options.force ?? false;
  assertNothingToReplace(
    await out.existing([...mine.flatMap((target) => [target.output, target.errors]), plan.manifest]),
    replace,
  );
  const { scorer, ref } = await loadModel(options, deps);
  deps.log(
    `model ${ref.name}${ref.version === undefined ? '' : ` v${ref.version}`}; shard ${shardIndex + 1}/${shards}: ` +
      `${mine.length} of ${keys.length} object(s) under ${options.input}`,
  );

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
          chunkChars: options.chunkChars,
          missingFeatures: options.missingFeatures,
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
      deps.log(
        `${source}: ${counts.rowsScored} scored, ${counts.rowsFailed} rejected -> ${out.describe(target.output)}`,
      );
    } catch (error) {
      await Promise.allSettled([output.abort(), errors.abort()]);
      if (!(error instanceof DataError)) throw error;
      failures.push({ input: source, reason: error.message });
      deps.log(`${source}: not scored: ${error.message}`);
    }
  }

  const manifest = buildManifest({
    model: ref,
    shard: { index: shardIndex, count: shards },
    startedAt,
    finishedAt: now().toISOString(),
    inputs,
    failures,
  });
  const writer = out.writer(plan.manifest, 'application/json', { replace });
  await writer.write(`${JSON.stringify(manifest, null, 2)}\n`);
  await writer.close();
  const manifestPath = out.describe(plan.manifest);
  deps.log(`manifest: ${manifestPath}`);
  return { manifest, manifestPath };
}

async function loadModel(
  options: ScoreRunOptions,
  deps: ScoreRunDeps,
): Promise<{ scorer: Scorer; ref: ScoringModelRef }> {
  const spec = options.model;
  if (existsSync(spec)) {
    const path = statSync(spec).isDirectory() ? join(spec, 'model.json') : spec;
    const text = readFileSync(path, 'utf8');
    const scorer = Scorer.fromJson(text, path);
    const name = basename(spec === path ? join(path, '..') : spec);
    return { scorer, ref: { name, artifactSha256: sha256(text), source: path } };
  }
  if (!MODEL_NAME_PATTERN.test(spec)) {
    throw new UsageError(
      `--model "${spec}" is neither a file, a folder nor a model name (lower-case letters, digits, hyphens)`,
    );
  }
  const bucket = options.artifactsBucket ?? process.env[ZONE_ENV.artifacts] ?? localArtifactsBucket();
  const store = new S3ObjectStore(deps.s3(), bucket);
  const registry = new ModelRegistry({ store });
  const alias = await registry.resolveAlias(spec, PRODUCTION_ALIAS);
  if (!alias) {
    throw new UsageError(`model ${spec} has no ${PRODUCTION_ALIAS} version in s3://${bucket}; promote one first`);
  }
  const bytes = await registry.getArtifact(spec, alias.version);
  if (!bytes)
    throw new ArtifactError(`${PRODUCTION_ALIAS} points to version ${alias.version} of ${spec}, which is missing`);
  const source = `s3://${bucket}/${artifactKey(spec, alias.version)}`;
  const text = new TextDecoder().decode(bytes);
  return {
    scorer: Scorer.fromJson(text, source),
    ref: { name: spec, version: alias.version, artifactSha256: sha256(text), source },
  };
}

function localArtifactsBucket(): string {
  const info = readPlatformInfo();
  if (!info.running) {
    throw new UsageError(
      `set ${ZONE_ENV.artifacts} (the deployed app's artifacts bucket) or start the local platform with 'npm start'`,
    );
  }
  return info.buckets.artifacts;
}

/** The S3 client: AWS (or AWS_ENDPOINT_URL_S3) when configured for AWS, else the running local platform's endpoint. */
function s3ClientFromEnvironment(): S3Client {
  if (process.env[ZONE_ENV.artifacts] || process.env.AWS_ENDPOINT_URL_S3) return createS3Client();
  try {
    const info = readPlatformInfo();
    if (info.running) {
      return createS3Client({
        endpoint: info.s3Endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
    }
  } catch {
    // no local platform: AWS it is
  }
  return createS3Client();
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface SubmitScoringOptions {
  readonly model: string;
  readonly jobQueue: string;
  readonly jobDefinition: string;
  /** @default - the job definition's default: the model's score/input/ prefix in the curated zone */
  readonly input?: string;
  /** @default - the job definition's default: the model's score/output/ prefix */
  readonly out?: string;
  /** Array children; 1 submits a plain job. @default - the job definition's default (config batchScoring.shards) */
  readonly shards?: number;
  readonly now?: () => Date;
}

/** Submits the model's scoring job; parameters left out keep the job definition's defaults. */
export async function submitScoringJob(
  client: Pick<BatchClient, 'send'>,
  options: SubmitScoringOptions,
): Promise<{ jobId: string; jobName: string }> {
  if (options.shards !== undefined && (options.shards < 1 || options.shards > 10000)) {
    throw new UsageError(`--shards must be 1 to 10000 (the AWS Batch array limit), received ${options.shards}`);
  }
  const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const jobName = `score-${options.model}-${stamp}`;
  const parameters: Record<string, string> = {};
  if (options.input) parameters.input = options.input;
  if (options.out) parameters.out = options.out;
  if (options.shards !== undefined) parameters.shards = String(options.shards);
  const response = await client.send(
    new SubmitJobCommand({
      jobName,
      jobQueue: options.jobQueue,
      jobDefinition: options.jobDefinition,
      parameters,
      ...(options.shards !== undefined && options.shards > 1 ? { arrayProperties: { size: options.shards } } : {}),
    }),
  );
  return { jobId: response.jobId ?? '', jobName: response.jobName ?? jobName };
}

const spec: CommandSpec = {
  name: 'score',
  summary: 'batch-score CSV/Parquet files or S3 prefixes with a model (or submit the AWS Batch scoring job)',
  usage:
    'mlops score --model <name|dir|model.json> --input <s3://prefix|path> --out <s3://prefix|dir|file.csv> | mlops score submit --model <name> [options]',
  positionals: ['action'],
  flags: {
    model: {
      type: 'string',
      required: true,
      valueName: 'name|dir|file',
      description: 'model name (its production version), a folder with model.json, or a model.json',
    },
    input: {
      type: 'string',
      valueName: 's3://prefix|path',
      description: 'objects to score: an s3:// prefix or key, a file or a folder',
    },
    out: {
      type: 'string',
      valueName: 's3://prefix|dir|file.csv',
      description:
        'a folder or s3:// prefix gets <name>.scored.csv, <name>.errors.jsonl and _manifests/shard-<i>-of-<n>.json; ' +
        'a path or s3:// key ending in .csv (one input, one shard) gets <stem>.csv, <stem>.errors.jsonl and ' +
        '<stem>.manifest.json. No output may replace an input or another output',
    },
    force: {
      type: 'boolean',
      description: 'replace outputs that already exist (without it, the run refuses to start and writes nothing)',
    },
    json: {
      type: 'boolean',
      description: 'print one JSON object: row and object counts and the manifest path',
    },
    shards: {
      type: 'string',
      valueName: 'n',
      description: 'number of shards (array children); shard i takes objects i, i+n, ... (default: 1)',
    },
    'shard-index': {
      type: 'string',
      valueName: 'i',
      description: `this shard (default: ${SCORE_ENV.arrayIndex}, else 0)`,
    },
    'missing-features': {
      type: 'string',
      valueName: 'impute|reject',
      description: 'absent or null features: imputed (default) or the row rejected',
    },
    'artifacts-bucket': {
      type: 'string',
      valueName: 'bucket',
      description: `registry bucket for a model name (default: ${ZONE_ENV.artifacts}, else the local platform)`,
    },
    'job-queue': {
      type: 'string',
      valueName: 'name|arn',
      description: `submit: AWS Batch job queue (default: ${SCORE_ENV.jobQueue})`,
    },
    'job-definition': {
      type: 'string',
      valueName: 'name|arn',
      description: `submit: the model's scoring job definition (default: ${SCORE_ENV.jobDefinition})`,
    },
  },
  examples: [
    'mlops score --model churn --input customers.csv --out scored.csv   (scored.csv, scored.errors.jsonl, scored.manifest.json)',
    'mlops score --model ./out/churn --input s3://my-curated/churn/score/input/ --out s3://my-curated/churn/score/output/',
    'MLOPS_SCORE_JOB_QUEUE=... MLOPS_SCORE_JOB_DEFINITION=... mlops score submit --model churn --shards 8',
  ],
};

export const scoreCommand: Command = {
  spec,
  async run(argv, io) {
    const parsed = parseOrHelp(spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const model = stringFlag(flags, 'model')!;
    const shards = intFlag(flags, 'shards');
    const [action] = positionals;
    if (action === 'submit') {
      const jobQueue = stringFlag(flags, 'job-queue') ?? process.env[SCORE_ENV.jobQueue];
      const jobDefinition = stringFlag(flags, 'job-definition') ?? process.env[SCORE_ENV.jobDefinition];
      if (!jobQueue)
        throw new UsageError(`--job-queue or ${SCORE_ENV.jobQueue} is required (stack output <Model>ScoreJobQueue)`);
      if (!jobDefinition) {
        throw new UsageError(
          `--job-definition or ${SCORE_ENV.jobDefinition} is required (stack output <Model>ScoreJobDefinition)`,
        );
      }
      const job = await submitScoringJob(new BatchClient({}), {
        model,
        jobQueue,
        jobDefinition,
        input: stringFlag(flags, 'input'),
        out: stringFlag(flags, 'out'),
        shards,
      });
      io.out(`submitted ${job.jobName} (job id ${job.jobId})\n`);
      return 0;
    }
    if (action !== undefined) throw new UsageError(`unknown action "${action}"; the only action is submit`);
    const input = stringFlag(flags, 'input');
    const out = stringFlag(flags, 'out');
    if (!input) throw new UsageError('--input is required');
    if (!out) throw new UsageError('--out is required');
    const missing = stringFlag(flags, 'missing-features');
    if (missing !== undefined && missing !== 'impute' && missing !== 'reject') {
      throw new UsageError(`--missing-features must be impute or reject, got "${missing}"`);
    }
    const shardIndex = intFlag(flags, 'shard-index') ?? intFromEnv(SCORE_ENV.arrayIndex) ?? 0;
    let client: S3Client | undefined;
    try {
      const { manifest, manifestPath } = await runScoring(
        {
          model,
          input,
          out,
          shards,
          shardIndex,
          force: flags.force === true,
          missingFeatures: missing,
          artifactsBucket: stringFlag(flags, 'artifacts-bucket'),
        },
        {
          s3: () => {
            client ??= s3ClientFromEnvironment();
            return client;
          },
          log: (line) => io.err(`${new Date().toISOString()} ${line}\n`),
        },
      );
      const { totals, failures } = manifest;
      if (flags.json) {
        const summary = {
          ...totals,
          objectsScored: manifest.inputs.length,
          objectsFailed: failures.length,
          manifest: manifestPath,
        };
        io.out(`${JSON.stringify(summary)}\n`);
      } else {
        io.out(
          `scored ${totals.rowsScored} row(s), rejected ${totals.rowsFailed}, ` +
            `${manifest.inputs.length} object(s) done, ${failures.length} failed; manifest ${manifestPath}\n`,
        );
      }
      return failures.length > 0 ? TRAINER_EXIT.badInput : TRAINER_EXIT.ok;
    } catch (error) {
      if (
        error instanceof UsageError ||
        error instanceof ScoringTargetError ||
        error instanceof ArtifactError ||
        error instanceof DataError
      )
        throw error;
      // S3 or network trouble: exit 75 so AWS Batch retries the shard (its outputs are overwritten, not duplicated).
      io.err(`mlops score: error (retryable): ${(error as Error).message}\n`);
      return TRAINER_EXIT.retryable;
    } finally {
      client?.destroy();
    }
  },
};

function intFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new UsageError(`${name} must be an integer, got "${raw}"`);
  return value;
}
