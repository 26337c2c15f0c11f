import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createDynamoDbClient, DynamoDbOnlineFeatureStore } from '../../adapters/dynamodb-feature-store';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { main } from '../../cli/main';
import { viewVersionId, viewVersionKey } from '../../core/feature-views/versions';
import { captureIo } from '../support/cli-io';
import { startTestPlatform, type TestPlatform } from '../support/local-platform';

/**
 * The online feature store on the local platform: dynalite with the template's table, the
 * materializer on curated uploads (as the synthesized rule routes them), and `mlops features
 * materialize` against it.
 */
let test_: TestPlatform;
let previousLocalDir: string | undefined;
/** The platform's log lines (what `npm start` prints). */
const platformLog: string[] = [];

beforeAll(async () => {
  test_ = await startTestPlatform({
    project: 'fvlocal',
    batchingWindowMs: 200,
    config: {
      featureViews: [
        { name: 'customer', entityKey: 'customer_id' },
        { name: 'manual', entityKey: 'id', materialize: { onUpload: false } },
        { name: 'backfill', entityKey: 'id', materialize: { onUpload: false, shards: 2 } },
      ],
    },
    platform: { log: (line) => platformLog.push(line) },
  });
  previousLocalDir = process.env.MLOPS_LOCAL_DIR;
  process.env.MLOPS_LOCAL_DIR = test_.dataDir;
}, 120_000);

afterAll(async () => {
  await test_?.platform.close();
  if (test_) rmSync(test_.dataDir, { recursive: true, force: true });
  if (previousLocalDir === undefined) delete process.env.MLOPS_LOCAL_DIR;
  else process.env.MLOPS_LOCAL_DIR = previousLocalDir;
});

function onlineStore() {
  const { info } = test_.platform;
  const client = createDynamoDbClient({
    endpoint: info.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return new DynamoDbOnlineFeatureStore(client, info.featureTable ?? '');
}

/** The SNS messages the platform's topics received (logs/notifications.jsonl), of one feature view. */
function viewAlerts(view: string): Array<{ topicArn: string; subject?: string; message: string }> {
  const file = join(test_.dataDir, 'logs', 'notifications.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.subject?.startsWith(`Schema change in feature view ${view}:`));
}

const upload = (key: string, body: string) =>
  test_.client.send(new PutObjectCommand({ Bucket: test_.platform.info.buckets.curated, Key: key, Body: body }));

test('platform info, as JSON and as text, names the DynamoDB endpoint and the feature table', async () => {
  const { info } = test_.platform;
  expect(info.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const fromCli = captureIo();
  expect(await main(['local', 'info', '--json', '--data-dir', test_.dataDir], fromCli.io)).toBe(0);
  expect(JSON.parse(fromCli.out.join(''))).toMatchObject({
    dynamodbEndpoint: info.dynamodbEndpoint,
    featureTable: info.featureTable,
  });
  const text = captureIo();
  await main(['local', 'info', '--data-dir', test_.dataDir], text.io);
  expect(text.out.join('')).toContain(`DynamoDB:      ${info.dynamodbEndpoint} (feature table ${info.featureTable})`);
});

test('an upload under features/<view>/ is materialized, its version recorded', async () => {
  await upload(
    'features/customer/2026-03-01.csv',
    'customer_id,event_time,spend\n1,2026-03-01,10\n2,2026-03-01,20\n1,2026-03-02,11\n',
  );
  await test_.platform.idle();
  const found = await onlineStore().read('customer', ['1', '2', '3'], ['spend']);
  expect([...found].map(([key, row]) => [key, row.values.spend]).sort()).toEqual([
    ['1', 11],
    ['2', 20],
  ]);
  const curated = new S3ObjectStore(test_.client, test_.platform.info.buckets.curated);
  expect(await curated.head(viewVersionKey('customer', viewVersionId(['spend'])))).not.toBeNull();
  // A view's first version has no schema findings: nothing to alert.
  expect(viewAlerts('customer')).toEqual([]);
});

test('a view without materialize.onUpload is not materialized on upload, but by the command', async () => {
  await upload('features/manual/a.csv', 'id,event_time,x\n9,2026-03-01,1\n');
  await test_.platform.idle();
  expect((await onlineStore().read('manual', ['9'], ['x'])).size).toBe(0);
  const run = captureIo();
  expect(await main(['features', 'materialize', 'manual', '--json'], run.io)).toBe(0);
  expect(JSON.parse(run.out.join(''))).toMatchObject({ view: 'manual', files: 1, entities: 1, written: 1, skipped: 0 });
  expect((await onlineStore().read('manual', ['9'], ['x'])).get('9')?.values).toEqual({ x: 1 });
});

test('a file with a new column records a new version with its finding; the command after the upload writes nothing', async () => {
  await upload('features/customer/2026-03-05.csv', 'customer_id,event_time,spend,tenure\n3,2026-03-05,30,4\n');
  await test_.platform.idle();
  const curated = new S3ObjectStore(test_.client, test_.platform.info.buckets.curated);
  const record = await curated.get(viewVersionKey('customer', viewVersionId(['spend', 'tenure'])));
  expect(JSON.parse(new TextDecoder().decode(record?.body))).toMatchObject({
    previousVersion: viewVersionId(['spend']),
    schemaFindings: [{ kind: 'newColumn', column: 'tenure' }],
  });
  // The materializer published one alert to the feature store's topic, under its role's grant.
  const alerts = viewAlerts('customer');
  expect(alerts.map((alert) => alert.subject)).toEqual(['Schema change in feature view customer: 1 new column(s)']);
  expect(alerts[0].topicArn).toMatch(/^arn:aws:sns:us-east-1:\d+:FeatureStoreAlerts/);
  expect(alerts[0].message).toContain(
    `first carried by s3://${test_.platform.info.buckets.curated}/features/customer/2026-03-05.csv`,
  );
  expect(platformLog).toContain('notification: Schema change in feature view customer: 1 new column(s)');
  // A re-upload of the file, and a file of the same columns, are no new version: no alert.
  await upload('features/customer/2026-03-05.csv', 'customer_id,event_time,spend,tenure\n3,2026-03-05,30,4\n');
  await upload('features/customer/2026-03-04.csv', 'customer_id,tenure,event_time,spend\n3,4,2026-03-04,30\n');
  await test_.platform.idle();
  expect(viewAlerts('customer')).toHaveLength(1);
  const run = captureIo();
  expect(await main(['features', 'materialize', 'customer', '--json'], run.io)).toBe(0);
  expect(JSON.parse(run.out.join(''))).toEqual({
    view: 'customer',
    shardIndex: 0,
    shards: 1,
    files: 3,
    rowsRead: 5,
    missingKeyRows: 0,
    entities: 3,
    written: 0,
    skipped: 3,
    newVersions: [],
  });
  expect(run.err.join('')).toMatch(/materialize customer: 3\/3 rows \(\d+ rows\/s\)/);
  expect((await onlineStore().read('customer', ['3'], ['spend', 'tenure'])).get('3')?.values).toEqual({
    spend: 30,
    tenure: 4,
  });
});

test('--batch runs the backfill job definition on the local Batch emulation, one child per shard, under its job role', async () => {
  await upload('features/backfill/a.csv', 'id,event_time,x\n1,2026-03-01,1\n2,2026-03-01,2\n');
  await upload('features/backfill/b.csv', 'id,event_time,x\n1,2026-03-02,10\n3,2026-03-02,30\n');
  // Shard 0 reads a.csv, then c.csv: a new column after a.csv's version, announced by that child.
  await upload('features/backfill/c.csv', 'id,event_time,x,y\n4,2026-03-03,40,4\n');
  const run = captureIo();
  expect(await main(['features', 'materialize', 'backfill', '--batch', '--json'], run.io)).toBe(0);
  const job = JSON.parse(run.out.join(''));
  expect(job).toMatchObject({ status: 'SUCCEEDED', parameters: { view: 'backfill', shards: '2' } });
  expect(job.children.map((child: { exitCode: number }) => child.exitCode)).toEqual([0, 0]);
  const found = await onlineStore().read('backfill', ['1', '2', '3'], ['x']);
  expect([...found].map(([key, row]) => [key, row.values.x]).sort()).toEqual([
    ['1', 10],
    ['2', 2],
    ['3', 30],
  ]);
  expect(viewAlerts('backfill').map((alert) => alert.subject)).toEqual([
    'Schema change in feature view backfill: 1 new column(s)',
  ]);
}, 60_000);

test('an unknown view is a usage error naming the views', async () => {
  const run = captureIo();
  expect(await main(['features', 'materialize', 'nope'], run.io)).toBe(2);
  expect(run.err.join('')).toContain('unknown feature view "nope"; views are: customer, manual, backfill');
});
