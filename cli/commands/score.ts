// Over 450 lines on purpose: the local, S3 and Batch forms of one command share its checks of inputs, outputs and the model.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BatchClient } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { MAX_ARRAY_SIZE, submitScoringJob } from '../../adapters/batch-jobs';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { openLocation, openOutput } from '../../adapters/scoring-locations';
import { ArtifactError } from '../../core/artifact/format';
import type { FeatureViewConfig } from '../../core/config/feature-view-schema';
import { configPath, loadConfig } from '../../core/config/load';
import { modelConfigFromEnv, RUNTIME_ENV } from '../../core/config/runtime-env';
import type { ModelConfig } from '../../core/config/schema';
import { DataError } from '../../core/data/table';
import { FEATURE_TABLE_ENV, featureViewOf } from '../../core/feature-views/layout';
import { servingFeatureViewFromEnv } from '../../core/feature-views/serving-env';
import { trainsOnFeedback } from '../../core/ground-truth/prediction-log';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import type { BatchFeatureLookup } from '../../core/score/batch';
import { SCORE_ENV, scoreShard } from '../../core/score/job';
import { ScoringTargetError } from '../../core/score/out-paths';
import { Scorer } from '../../core/score/scorer';
import type { ScoringManifest, ScoringModelRef } from '../../core/score/shards';
import { TRAINER_EXIT } from '../../core/workflow/contract';
import { MODEL_NAME_PATTERN, ZONE_ENV } from '../../core/workflow/layout';
import { type CommandSpec, intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command, CommandIo } from '../io';
import { readPlatformInfo, runLocalJob, runningLocalPlatform } from './local';

/**
 * `mlops score`: argument parsing, then the scoring job (core/score/job.ts) over the locations
 * adapters/scoring-locations.ts opens; `score submit` submits it to AWS Batch (adapters/batch-jobs.ts).
 */

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
  /**
   * Prediction ids and the prediction log (the model's `predictions` config).
   * @default - the model's config: MLOPS_MODEL_CONFIG (set in the AWS Batch job), else the config
   * file (MLOPS_CONFIG or ./mlops.config.json) when it has the model, else { log: true }; for a
   * model read from a file, { log: false } (it has no registry version to record)
   */
  readonly predictions?: PredictionSettings;
  /**
   * The monitoring zone the prediction log goes to, for a model given by name with the log on.
   * @default - MLOPS_MONITORING_BUCKET, else the running local platform's
   */
  readonly monitoringBucket?: string;
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

/** One shard of the scoring job: opens --input and --out, and loads the model once every check passed. */
export async function runScoring(options: ScoreRunOptions, deps: ScoreRunDeps): Promise<ScoringRun> {
  const input = openLocation(options.input, deps.s3);
  const { location: out, form } = openOutput(options.out, deps.s3);
  // Only a registry version is recorded (a file has none): only a model name has config to read and a bucket to find.
  const isRegistered = !existsSync(options.model);
  const predictions = options.predictions ?? (isRegistered ? predictionSettings(options.model) : { log: false });
  const logged = predictions.log && isRegistered;
  const monitoringBucket = logged ? (options.monitoringBucket ?? localOrEnvMonitoringBucket()) : undefined;
  const featureLookup = isRegistered ? featureLookupFor(options.model) : undefined;
  return scoreShard({
    inputUri: options.input,
    input,
    outUri: options.out,
    out,
    form,
    shardIndex: options.shardIndex ?? 0,
    shards: options.shards ?? 1,
    replace: options.force ?? false,
    missingFeatures: options.missingFeatures,
    chunkChars: options.chunkChars,
    idField: predictions.idField,
    predictionLog: monitoringBucket === undefined ? undefined : new S3ObjectStore(deps.s3(), monitoringBucket),
    recordFeatures: predictions.recordFeatures,
    ...(featureLookup ? { featureLookup } : {}),
    loadModel: () => loadModel(options, deps),
    log: deps.log,
    now: deps.now ?? (() => new Date()),
  });
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
  const production = await registry.loadAliased(spec, PRODUCTION_ALIAS);
  if (!production) {
    throw new UsageError(`model ${spec} has no ${PRODUCTION_ALIAS} version in s3://${bucket}; promote one first`);
  }
  return {
    scorer: new Scorer(production.artifact),
    ref: {
      name: spec,
      version: production.version,
      artifactSha256: production.artifactSha256,
      source: production.source,
    },
  };
}

/** The model's `predictions` settings, from the config the job was given or the config file here. */
/** The model's `predictions` config, and whether its records carry feature values (it trains on feedback). */
export type PredictionSettings = Pick<ModelConfig['predictions'], 'log' | 'idField'> & {
  readonly recordFeatures?: boolean;
};

function predictionSettings(model: string): PredictionSettings {
  const fromConfig = (config: ModelConfig | undefined) =>
    config && config.name === model && { ...config.predictions, recordFeatures: trainsOnFeedback(config) };
  if (process.env[RUNTIME_ENV.modelConfig]) {
    const settings = fromConfig(modelConfigFromEnv());
    if (settings) return settings;
  }
  if (existsSync(configPath())) {
    const settings = fromConfig(loadConfig().models.find((candidate) => candidate.name === model));
    if (settings) return settings;
  }
  return { log: true };
}

/**
 * The feature view of a registered model that has one, and its online store. In the AWS Batch job
 * the view and table come from the environment (lib/batch-scoring.ts sets them). Against the running
 * local platform (no MLOPS_ARTIFACTS_BUCKET), the platform's own config file, table and DynamoDB
 * endpoint. Otherwise the config file here and the table from MLOPS_FEATURE_TABLE.
 */
function featureLookupFor(model: string): BatchFeatureLookup | undefined {
  const { createDynamoDbClient, DynamoDbOnlineFeatureStore } =
    require('../../adapters/dynamodb-feature-store') as typeof import('../../adapters/dynamodb-feature-store');
  const lookup = (view: FeatureViewConfig, table: string, client = createDynamoDbClient()): BatchFeatureLookup => ({
    view,
    store: new DynamoDbOnlineFeatureStore(client, table),
    storeName: `DynamoDB table ${table}`,
  });
  if (process.env[RUNTIME_ENV.modelConfig] && modelConfigFromEnv().name === model) {
    const served = servingFeatureViewFromEnv(modelConfigFromEnv().featureView);
    return served && lookup(served.view, served.table);
  }
  const local = process.env[ZONE_ENV.artifacts] ? undefined : runningLocalPlatform();
  if (local?.configPath) {
    const platform = loadConfig(local.configPath);
    const config = platform.models.find((candidate) => candidate.name === model);
    const view = config && featureViewOf(platform, config);
    if (!view) return undefined;
    if (!local.featureTable || !local.dynamodbEndpoint) {
      throw new UsageError(
        `model ${model} reads feature view "${view.name}" but the local platform has no online store`,
      );
    }
    const client = createDynamoDbClient({
      endpoint: local.dynamodbEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    return lookup(view, local.featureTable, client);
  }
  if (!existsSync(configPath())) return undefined;
  const platform = loadConfig();
  const config = platform.models.find((candidate) => candidate.name === model);
  const view = config && featureViewOf(platform, config);
  if (!view) return undefined;
  const table = process.env[FEATURE_TABLE_ENV];
  if (!table) {
    throw new UsageError(
      `model ${model} reads feature view "${view.name}": set ${FEATURE_TABLE_ENV} to the online store's DynamoDB table`,
    );
  }
  return lookup(view, table);
}

function localOrEnvMonitoringBucket(): string {
  const fromEnv = process.env[ZONE_ENV.monitoring];
  if (fromEnv) return fromEnv;
  const info = runningLocalPlatform();
  if (!info) {
    throw new UsageError(
      `set ${ZONE_ENV.monitoring} (the deployed app's monitoring bucket) to record the predictions for the ground-truth join, ` +
        `or set predictions.log to false in the model's config, or start the local platform with 'npm start'`,
    );
  }
  return info.buckets.monitoring;
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
  const info = runningLocalPlatform();
  // no local platform: AWS it is
  if (!info) return createS3Client();
  return createS3Client({ endpoint: info.s3Endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const spec: CommandSpec = {
  name: 'score',
  summary: 'batch-score CSV/Parquet files or S3 prefixes with a model (or submit the AWS Batch scoring job)',
  usage:
    'mlops score --model <name|dir|model.json> --input <s3://prefix|path> --out <s3://prefix|dir|file.csv> | mlops score submit --model <name> [options] | mlops score run <model>',
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
    'mlops score run churn   (local platform: the scheduled job now, as its schedule would start it)',
  ],
};

const scoreRunSpec: CommandSpec = {
  name: 'score run',
  summary: "start a model's scheduled batch-scoring job now on the local platform, and wait for it",
  usage: 'mlops score run <model> [--json]',
  positionals: ['model'],
  flags: { json: { type: 'boolean', description: 'print the job: id, status, parameters and each child' } },
};

/** `mlops score run <model>`: the running local platform fires the model's batch-scoring schedule now. */
async function runScheduledNow(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseOrHelp(scoreRunSpec, argv, io);
  if (!parsed) return 0;
  const model = parsed.positionals[0];
  if (!model) throw new UsageError('mlops score run needs a model name');
  if (process.env[ZONE_ENV.artifacts]) {
    throw new UsageError(
      "on AWS the scoring job runs on its schedule and on uploads; start it now with 'mlops score submit --model <name>'",
    );
  }
  return runLocalJob(`score/${encodeURIComponent(model)}`, undefined, io, { json: Boolean(parsed.flags.json) });
}

export const scoreCommand: Command = {
  spec,
  async run(argv, io) {
    if (argv[0] === 'run') return runScheduledNow(argv.slice(1), io);
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
      if (shards !== undefined && (shards < 1 || shards > MAX_ARRAY_SIZE)) {
        throw new UsageError(`--shards must be 1 to ${MAX_ARRAY_SIZE} (the AWS Batch array limit), received ${shards}`);
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
    if (action !== undefined) throw new UsageError(`unknown action "${action}"; the actions are submit and run`);
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
