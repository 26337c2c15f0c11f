import { join } from 'node:path';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { DynamoDbOnlineFeatureStore } from '../../../adapters/dynamodb-feature-store';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { parseConfig } from '../../../core/config/parse';
import { modelConfigToEnv } from '../../../core/config/runtime-env';
import { tableFromRecords } from '../../../core/data/table';
import { streamSinkPrefix } from '../../../lambdas/stream-scorer/handler';
import type { StreamResult } from '../../../lambdas/stream-scorer/score-stream';
import { LocalFunction } from '../../../local/lambda-host';
import { kinesisRecords, STREAM_SCORER_LOCAL_ENVIRONMENT } from '../../../local/stream-shim';
import { churnRecords, linearScorer, MODEL, publish, trainChurnArtifact } from '../../core/score/fixtures';
import { type DynaliteTable, startDynaliteTable } from '../../support/dynalite-table';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

/** The stream-scorer handler, hosted as the local platform hosts it, reading a feature view from dynalite. */
let s3: LocalS3Harness;
let dynamo: DynaliteTable;
let fn: LocalFunction;
const rows = churnRecords(12, 8).map(({ age, plan, active }) => ({
  age: age as number,
  plan: plan as string,
  active: String(active),
}));

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3Harness(['artifacts', 'monitoring']), startDynaliteTable()]);
  await publish(new S3ObjectStore(s3.client, 'artifacts'), trainChurnArtifact());
  await new DynamoDbOnlineFeatureStore(dynamo.client, dynamo.table).write(
    'customer',
    rows.map((values, index) => ({
      entityKey: `c${index}`,
      eventTimeMicros: Date.now() * 1000,
      viewVersion: 'v1',
      values,
    })),
  );
  const config = parseConfig(
    {
      featureViews: [{ name: 'customer', entityKey: 'customer_id' }],
      models: [{ name: MODEL, target: 'churned', positiveLabel: 'yes', featureView: 'customer', streaming: {} }],
    },
    'test',
  );
  fn = new LocalFunction({
    name: 'stream-scorer-churn',
    entry: join(__dirname, '../../../lambdas/stream-scorer/handler.ts'),
    environment: {
      ...STREAM_SCORER_LOCAL_ENVIRONMENT,
      MLOPS_MODEL_CONFIG: modelConfigToEnv(config.models[0]!),
      MLOPS_FEATURE_VIEW: JSON.stringify(config.featureViews[0]),
      MLOPS_FEATURE_TABLE: dynamo.table,
      MLOPS_ARTIFACTS_BUCKET: 'artifacts',
      MLOPS_MONITORING_BUCKET: 'monitoring',
      AWS_ENDPOINT_URL_S3: s3.server.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    onLog: () => undefined,
  });
}, 30_000);

afterAll(async () => {
  await fn.close();
  await Promise.all([s3.stop(), dynamo.stop()]);
});

test('entity-only Kinesis records score as the full rows, with one BatchGetItem per batch', async () => {
  // Given 12 records that carry only a customer id
  const records = kinesisRecords(
    rows.map((_, index) => JSON.stringify({ customer_id: `c${index}` })),
    { model: MODEL },
  );
  dynamo.operations.clear();
  // When they are delivered as one batch
  const response = await fn.invoke<KinesisStreamBatchResponse>({ Records: records });
  // Then nothing is retried, the store was read once, and the scores are those of the full rows
  expect(response?.batchItemFailures).toEqual([]);
  expect(Object.fromEntries(dynamo.operations)).toEqual({ BatchGetItem: 1 });
  const store = new S3ObjectStore(s3.client, 'monitoring');
  const results: StreamResult[] = [];
  for (const object of await store.list(`${streamSinkPrefix(MODEL)}results/`)) {
    const text = new TextDecoder().decode((await store.get(object.key))!.body);
    for (const line of text.trim().split('\n')) results.push(JSON.parse(line));
  }
  results.sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1));
  const expected = linearScorer().scoreTable(tableFromRecords(rows)).scores;
  expect(results.flatMap((result) => result.predictions.map((p) => p.score))).toEqual(Array.from(expected));
  expect(results[0]!.predictions[0]!.from_store).toEqual(['age', 'plan', 'active']);
}, 30_000);
