import { BatchClient } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { submitFeatureBackfill } from '../../adapters/batch-jobs';
import { createDynamoDbClient, DynamoDbOnlineFeatureStore } from '../../adapters/dynamodb-feature-store';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { SnsPublisher } from '../../adapters/sns-publisher';
import type { FeatureViewConfig } from '../../core/config/feature-view-schema';
import { loadConfig } from '../../core/config/load';
import { DataError } from '../../core/data/table';
import { FEATURE_TABLE_ENV } from '../../core/feature-views/layout';
import {
  type MaterializeDeps,
  type MaterializeProgress,
  type MaterializeSummary,
  materializeFiles,
} from '../../core/feature-views/materialize-view';
import { FEATURE_VIEWS_ENV, featureViewsFromEnv } from '../../core/feature-views/runtime';
import { announceNewVersion, FEATURE_ALERT_TOPIC_ENV } from '../../core/feature-views/version-alert';
import { listViewDataFiles } from '../../core/feature-views/view-history';
import { SCORE_ENV } from '../../core/score/job';
import { shardItems } from '../../core/score/shards';
import { TRAINER_EXIT } from '../../core/workflow/contract';
import { ZONE_ENV } from '../../core/workflow/layout';
import { type CommandSpec, intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command, CommandIo } from '../io';
import { readPlatformInfo, runLocalJob, runningLocalPlatform } from './local';

/** `mlops features materialize`: a view's files into the online store (locally, or a Batch array backfill on AWS). */

/** Where the backfill job is submitted on AWS (stack outputs FeatureBackfillJobQueue / ...JobDefinition). */
export const FEATURE_JOB_ENV = {
  jobQueue: 'MLOPS_FEATURE_JOB_QUEUE',
  jobDefinition: 'MLOPS_FEATURE_JOB_DEFINITION',
} as const;

const materializeSpec: CommandSpec = {
  name: 'features materialize',
  summary: "load a feature view's files (every version, oldest first) into the online store",
  usage: 'mlops features materialize <view> [--json] [--shards n] [--batch | --here]',
  positionals: ['view'],
  flags: {
    json: {
      type: 'boolean',
      description: 'print one JSON object: files, rows read, entities written and skipped, new view versions',
    },
    shards: {
      type: 'string',
      valueName: 'n',
      description:
        "AWS: Batch array children of the backfill (default: the view's materialize.shards); here: this run's share of the files",
    },
    'shard-index': {
      type: 'string',
      valueName: 'i',
      description: `with --shards, files i, i+n, ... (default: ${SCORE_ENV.arrayIndex}, else 0)`,
    },
    batch: {
      type: 'boolean',
      description:
        'local platform: run the backfill job definition through the local Batch emulation (one child per shard, as on AWS) instead of in this process',
    },
    here: {
      type: 'boolean',
      description: 'on AWS, materialize in this process instead of submitting the Batch job (the job itself runs this)',
    },
    config: {
      type: 'string',
      valueName: 'file',
      description: 'the platform config (default: MLOPS_CONFIG or ./mlops.config.json)',
    },
    'job-queue': {
      type: 'string',
      valueName: 'name|arn',
      description: `AWS: the backfill's job queue (default: ${FEATURE_JOB_ENV.jobQueue})`,
    },
    'job-definition': {
      type: 'string',
      valueName: 'name|arn',
      description: `AWS: the backfill job definition (default: ${FEATURE_JOB_ENV.jobDefinition})`,
    },
  },
  examples: [
    'mlops features materialize customer            (local platform: in this process, a progress line on stderr)',
    'mlops features materialize customer --batch    (local platform: the Batch job, shards from the config)',
    'MLOPS_ARTIFACTS_BUCKET=... MLOPS_FEATURE_JOB_QUEUE=... MLOPS_FEATURE_JOB_DEFINITION=... mlops features materialize customer --shards 16',
  ],
};

/** The --json summary: counts and new versions only, so scripts can rely on its shape. */
export interface MaterializeJson {
  readonly view: string;
  readonly shardIndex: number;
  readonly shards: number;
  readonly files: number;
  readonly rowsRead: number;
  readonly missingKeyRows: number;
  readonly entities: number;
  readonly written: number;
  readonly skipped: number;
  readonly newVersions: ReadonlyArray<{ version: string; firstSeenKey: string; schemaFindings: number }>;
}

/**
 * The view's config: the backfill job has the views in its environment; a person has the config
 * file (--config, else the running local platform's, else MLOPS_CONFIG or ./mlops.config.json).
 */
function viewNamed(name: string, configPath: string | undefined): FeatureViewConfig {
  const views = process.env[FEATURE_VIEWS_ENV]
    ? featureViewsFromEnv()
    : loadConfig(configPath ?? localPlatformConfigPath()).featureViews;
  const view = views.find((candidate) => candidate.name === name);
  if (!view) {
    throw new UsageError(
      `unknown feature view "${name}"; ${views.length > 0 ? `views are: ${views.map((v) => v.name).join(', ')}` : 'the config has no featureViews'}`,
    );
  }
  return view;
}

function localPlatformConfigPath(): string | undefined {
  if (process.env[ZONE_ENV.artifacts] || process.env[ZONE_ENV.curated]) return undefined;
  return runningLocalPlatform()?.configPath;
}

interface Stores extends MaterializeDeps {
  close(): void;
}

/**
 * The backfill job has the alert topic in its environment (the CDK app sets it): a version its
 * shard records is announced there, once. A person's run without the variable announces nothing;
 * its new versions' findings go to stderr, and the version records stay the truth.
 */
function announcerFromEnv(io: CommandIo): Pick<MaterializeDeps, 'onNewVersion'> {
  const topicArn = process.env[FEATURE_ALERT_TOPIC_ENV]?.trim();
  if (!topicArn) return {};
  const alerts = new SnsPublisher(new SNSClient({}), topicArn);
  return {
    onNewVersion: (record, file) =>
      announceNewVersion(record, file, {
        publish: (alert) => alerts.publish(alert),
        log: (level, message, details) =>
          io.err(`materialize ${record.view}: ${level}: ${message} ${JSON.stringify(details ?? {})}\n`),
      }),
  };
}

/** The curated zone and the online store: the deployed ones from the environment, else the running local platform's. */
function openStores(): Stores {
  const curatedBucket = process.env[ZONE_ENV.curated];
  const table = process.env[FEATURE_TABLE_ENV];
  if (curatedBucket && table) {
    const s3 = createS3Client();
    const dynamo = createDynamoDbClient();
    return {
      curated: new S3ObjectStore(s3, curatedBucket),
      online: new DynamoDbOnlineFeatureStore(dynamo, table),
      close: () => {
        s3.destroy();
        dynamo.destroy();
      },
    };
  }
  if (process.env[ZONE_ENV.artifacts]) {
    throw new UsageError(
      `set ${ZONE_ENV.curated} and ${FEATURE_TABLE_ENV} (stack outputs CuratedBucketName, FeatureTableName) to materialize here, or leave out --here to submit the backfill job`,
    );
  }
  const info = readPlatformInfo();
  if (!info.running)
    throw new UsageError(`the local platform in ${info.dataDir} is not running; start it with 'npm start'`);
  if (!info.dynamodbEndpoint || !info.featureTable) {
    throw new UsageError(
      'the local platform has no online feature store: add featureViews to the config and restart it',
    );
  }
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const s3: S3Client = createS3Client({ endpoint: info.s3Endpoint, credentials });
  const dynamo = createDynamoDbClient({ endpoint: info.dynamodbEndpoint, region: 'us-east-1', credentials });
  return {
    curated: new S3ObjectStore(s3, info.buckets.curated),
    online: new DynamoDbOnlineFeatureStore(dynamo, info.featureTable),
    close: () => {
      s3.destroy();
      dynamo.destroy();
    },
  };
}

/** "customer: 40000/100000 rows (25000 rows/s)": on a terminal one live line, on a pipe a line a second and the last. */
function progressLine(io: CommandIo, view: string, startedAt: number) {
  let printedAt = 0;
  return ({ rowsDone, rowsTotal }: MaterializeProgress) => {
    const now = Date.now();
    const done = rowsDone === rowsTotal;
    if (!done && now - printedAt < 1000) return;
    printedAt = now;
    const seconds = Math.max((now - startedAt) / 1000, 0.001);
    const line = `materialize ${view}: ${rowsDone}/${rowsTotal} rows (${Math.round(rowsDone / seconds)} rows/s)`;
    if (io.interactive) io.err(`\r${line}${done ? '\n' : ''}`);
    else io.err(`${line}\n`);
  };
}

export function materializeJson(summary: MaterializeSummary, shardIndex: number, shards: number): MaterializeJson {
  return {
    view: summary.view,
    shardIndex,
    shards,
    files: summary.files.length,
    rowsRead: summary.rowsRead,
    missingKeyRows: summary.missingKeyRows,
    entities: summary.entities,
    written: summary.written,
    skipped: summary.skipped,
    newVersions: summary.files.flatMap((file) =>
      file.newVersion
        ? [
            {
              version: file.newVersion.version,
              firstSeenKey: file.newVersion.firstSeenKey,
              schemaFindings: file.newVersion.schemaFindings.length,
            },
          ]
        : [],
    ),
  };
}

async function materialize(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseOrHelp(materializeSpec, argv, io);
  if (!parsed) return 0;
  const { flags, positionals } = parsed;
  const name = positionals[0];
  if (!name) throw new UsageError('mlops features materialize needs a view name');
  const view = viewNamed(name, stringFlag(flags, 'config'));
  const onAws = Boolean(process.env[ZONE_ENV.artifacts]);

  if (onAws && !flags.here) {
    const jobQueue = stringFlag(flags, 'job-queue') ?? process.env[FEATURE_JOB_ENV.jobQueue];
    const jobDefinition = stringFlag(flags, 'job-definition') ?? process.env[FEATURE_JOB_ENV.jobDefinition];
    if (!jobQueue)
      throw new UsageError(
        `--job-queue or ${FEATURE_JOB_ENV.jobQueue} is required (stack output FeatureBackfillJobQueue)`,
      );
    if (!jobDefinition) {
      throw new UsageError(
        `--job-definition or ${FEATURE_JOB_ENV.jobDefinition} is required (stack output FeatureBackfillJobDefinition)`,
      );
    }
    const shards = intFlag(flags, 'shards') ?? view.materialize.shards;
    const job = await submitFeatureBackfill(new BatchClient({}), { view: view.name, jobQueue, jobDefinition, shards });
    if (flags.json) io.out(`${JSON.stringify({ view: view.name, shards, ...job })}\n`);
    else io.out(`submitted ${job.jobName} (job id ${job.jobId}, ${shards} shard(s))\n`);
    return 0;
  }

  if (flags.batch)
    return runLocalBackfill(view, intFlag(flags, 'shards') ?? view.materialize.shards, flags.json === true, io);

  const shards = intFlag(flags, 'shards') ?? 1;
  const rawIndex = stringFlag(flags, 'shard-index') ?? process.env[SCORE_ENV.arrayIndex];
  const shardIndex = rawIndex === undefined || rawIndex === '' ? 0 : Number(rawIndex);
  if (!Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= shards) {
    throw new UsageError(`the shard index must be 0 to ${shards - 1}, received "${rawIndex}"`);
  }
  const stores = openStores();
  try {
    const files = await listViewDataFiles(stores.curated, view.name);
    const mine = shardItems(files, shardIndex, shards).map((file) => file.key);
    const startedAt = Date.now();
    const summary = await materializeFiles(
      { ...stores, ...announcerFromEnv(io) },
      view,
      mine,
      progressLine(io, view.name, startedAt),
    );
    const json = materializeJson(summary, shardIndex, shards);
    for (const file of summary.files) {
      for (const finding of file.newVersion?.schemaFindings ?? []) {
        io.err(`materialize ${view.name}: new version ${file.newVersion?.version} (${file.key}): ${finding.message}\n`);
      }
    }
    if (flags.json) io.out(`${JSON.stringify(json)}\n`);
    else {
      io.out(
        `materialized ${view.name}: ${json.files} file(s), ${json.rowsRead} row(s) read (${json.missingKeyRows} without a key), ` +
          `${json.entities} entities: ${json.written} written, ${json.skipped} unchanged; ${json.newVersions.length} new view version(s)\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof DataError) throw error;
    // S3 or DynamoDB trouble: exit 75 so AWS Batch retries the shard (the writes are idempotent).
    io.err(`mlops features materialize: error (retryable): ${(error as Error).message}\n`);
    return TRAINER_EXIT.retryable;
  } finally {
    stores.close();
  }
}

/** The backfill job on the local platform's Batch emulation (admin route), waited for. */
async function runLocalBackfill(
  view: FeatureViewConfig,
  shards: number,
  json: boolean,
  io: CommandIo,
): Promise<number> {
  if (process.env[ZONE_ENV.artifacts]) {
    throw new UsageError('--batch is for the local platform; on AWS the command submits the Batch job without it');
  }
  return runLocalJob(`features/${encodeURIComponent(view.name)}`, { shards }, io, {
    json,
    detail: `${shards} shard(s)`,
  });
}

export const materializeVerb: Command = { spec: materializeSpec, run: materialize };
