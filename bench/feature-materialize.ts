/**
 * Issue 15's materialization measurement: one 100,000-row view file (20,000 entities, 5 rows each
 * at random times, 8 numeric and 2 text features) from the local S3 into dynalite, the local
 * platform's DynamoDB, through the online store's conditional puts (16 in flight). Timed twice:
 * in this process (materializeFiles) and from the shell (`mlops features materialize <view> --here`
 * with the backfill job's environment, so the process start and module load are included), each
 * into a fresh table, then a re-run that finds every entity current (all skipped).
 * rows/s counts file rows (read, reduced per entity and written); entities/s counts items written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDbOnlineFeatureStore } from '../adapters/dynamodb-feature-store';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { featureViewSchema } from '../core/config/feature-view-schema';
import { createRandom } from '../core/datasets/random';
import { FEATURE_TABLE_ENV } from '../core/feature-views/layout';
import { materializeFiles } from '../core/feature-views/materialize-view';
import { FEATURE_VIEWS_ENV, featureViewsToEnv } from '../core/feature-views/runtime';
import { ZONE_ENV } from '../core/workflow/layout';
import { startLocalDynamoDb } from '../local/dynamodb-server';
import { startLocalS3 } from '../local/s3-server';

const BUCKET = 'bench-curated';
const KEY = 'features/bench/2026-03-01.csv';

export interface FeatureMaterializeBenchResult {
  readonly rows: number;
  readonly entities: number;
  readonly inProcess: { seconds: number; rowsPerSecond: number; entitiesPerSecond: number; requests: number };
  readonly inProcessRerun: { seconds: number; rowsPerSecond: number; skipped: number };
  readonly shell: { seconds: number; rowsPerSecond: number; entitiesPerSecond: number; written: number };
}

function viewFile(ROWS: number, ENTITIES: number): string {
  const random = createRandom(15);
  const start = Date.parse('2026-01-01T00:00:00Z');
  const lines = ['customer_id,event_time,f0,f1,f2,f3,f4,f5,f6,f7,plan,region'];
  for (let row = 0; row < ROWS; row++) {
    const values = Array.from({ length: 8 }, () => (random.next() * 100).toFixed(3));
    const time = new Date(start + Math.floor(random.next() * 90 * 86_400_000)).toISOString();
    lines.push(
      `${row % ENTITIES},${time},${values.join(',')},${random.next() < 0.5 ? 'basic' : 'pro'},r${Math.floor(random.next() * 9)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export async function runFeatureMaterializeBench(options: {
  log?: (line: string) => void;
  /** @default 100000 */
  rows?: number;
  /** @default rows / 5 */
  entities?: number;
}): Promise<FeatureMaterializeBenchResult> {
  const log = options.log ?? (() => undefined);
  const ROWS = options.rows ?? 100_000;
  const ENTITIES = options.entities ?? Math.ceil(ROWS / 5);
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-fm-'));
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const s3 = await startLocalS3({ port: 0, directory: join(dir, 's3'), buckets: [BUCKET] });
  const dynamo = await startLocalDynamoDb({
    port: 0,
    region: 'us-east-1',
    tables: ['bench-in-process', 'bench-shell'],
  });
  const s3Client = createS3Client({ endpoint: s3.endpoint, credentials });
  try {
    const curated = new S3ObjectStore(s3Client, BUCKET);
    await curated.put(KEY, viewFile(ROWS, ENTITIES));
    log(`feature-materialize: wrote the ${ROWS}-row view file`);
    const view = featureViewSchema.parse({ name: 'bench', entityKey: 'customer_id' });

    const online = new DynamoDbOnlineFeatureStore(dynamo.client, 'bench-in-process');
    let started = performance.now();
    const first = await materializeFiles({ curated, online }, view, [KEY]);
    const inProcessSeconds = (performance.now() - started) / 1000;
    const requests = online.requests;
    started = performance.now();
    const rerun = await materializeFiles({ curated, online }, view, [KEY]);
    const rerunSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    // Not execFileSync: the child talks to the S3 and DynamoDB servers running on this process's event loop.
    const { stdout: output } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, '..', 'bin', 'mlops.js'), 'features', 'materialize', 'bench', '--here', '--json'],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_S3: s3.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
          [ZONE_ENV.curated]: BUCKET,
          [FEATURE_TABLE_ENV]: 'bench-shell',
          [FEATURE_VIEWS_ENV]: featureViewsToEnv([view]),
        },
      },
    );
    const shellSeconds = (performance.now() - started) / 1000;
    const shell = JSON.parse(output) as { written: number };
    const result: FeatureMaterializeBenchResult = {
      rows: ROWS,
      entities: first.entities,
      inProcess: {
        seconds: round(inProcessSeconds),
        rowsPerSecond: Math.round(ROWS / inProcessSeconds),
        entitiesPerSecond: Math.round(first.written / inProcessSeconds),
        requests,
      },
      inProcessRerun: {
        seconds: round(rerunSeconds),
        rowsPerSecond: Math.round(ROWS / rerunSeconds),
        skipped: rerun.skipped,
      },
      shell: {
        seconds: round(shellSeconds),
        rowsPerSecond: Math.round(ROWS / shellSeconds),
        entitiesPerSecond: Math.round(shell.written / shellSeconds),
        written: shell.written,
      },
    };
    log(
      `feature-materialize: ${ROWS} rows, ${result.entities} entities into dynalite: in process ${result.inProcess.seconds} s ` +
        `(${result.inProcess.rowsPerSecond} rows/s, ${result.inProcess.entitiesPerSecond} entities/s, ${requests} DynamoDB requests), ` +
        `re-run ${result.inProcessRerun.seconds} s (${result.inProcessRerun.skipped} skipped); ` +
        `shell ${result.shell.seconds} s (${result.shell.rowsPerSecond} rows/s, ${result.shell.entitiesPerSecond} entities/s)`,
    );
    return result;
  } finally {
    s3Client.destroy();
    await dynamo.close();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === __filename) {
  const [rows, entities] = process.argv.slice(2).map(Number);
  void runFeatureMaterializeBench({
    log: (line) => process.stdout.write(`${line}\n`),
    rows: rows || undefined,
    entities: entities || undefined,
  });
}
