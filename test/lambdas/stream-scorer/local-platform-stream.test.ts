import { join } from 'node:path';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { parseConfig } from '../../../core/config/parse';
import { modelConfigToEnv } from '../../../core/config/runtime-env';
import { tableFromRecords } from '../../../core/data/table';
import { streamSinkPrefix } from '../../../lambdas/stream-scorer/handler';
import type { DeadLetter, StreamResult } from '../../../lambdas/stream-scorer/score-stream';
import { LocalFunction } from '../../../local/lambda-host';
import { kinesisRecords, STREAM_SCORER_LOCAL_ENVIRONMENT } from '../../../local/stream-shim';
import { churnRecords, linearScorer, MODEL, publish, trainChurnArtifact } from '../../core/score/fixtures';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

let s3: LocalS3Harness;
let fn: LocalFunction;

beforeAll(async () => {
  s3 = await startLocalS3Harness(['artifacts', 'monitoring']);
  await publish(new S3ObjectStore(s3.client, 'artifacts'), trainChurnArtifact());
  const model = parseConfig(
    { models: [{ name: MODEL, target: 'churned', positiveLabel: 'yes', streaming: {} }] },
    'test',
  ).models[0]!;
  fn = new LocalFunction({
    name: 'stream-scorer-churn',
    entry: join(__dirname, '../../../lambdas/stream-scorer/handler.ts'),
    environment: {
      ...STREAM_SCORER_LOCAL_ENVIRONMENT,
      MLOPS_MODEL_CONFIG: modelConfigToEnv(model),
      MLOPS_ARTIFACTS_BUCKET: 'artifacts',
      MLOPS_MONITORING_BUCKET: 'monitoring',
      AWS_ENDPOINT_URL_S3: s3.server.endpoint,
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
  await s3.stop();
});

async function jsonLines<T>(prefix: string): Promise<T[]> {
  const store = new S3ObjectStore(s3.client, 'monitoring');
  const objects = await store.list(prefix);
  const texts = await Promise.all(
    objects.map(async (object) => new TextDecoder().decode((await store.get(object.key))!.body)),
  );
  return texts.flatMap((text) =>
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as T),
  );
}

test('Kinesis events are scored by the hosted handler with its s3 sinks like the endpoint scores them, bad ones dead-lettered', async () => {
  // given 25 good feature records and one poison record, as Kinesis records
  const rows = churnRecords(25, 4).map(({ churned: _target, ...features }) => features);
  const lines = [
    ...rows.slice(0, 10).map((row) => JSON.stringify(row)),
    '{"age": ',
    ...rows.slice(10).map((row) => JSON.stringify(row)),
  ];
  const records = kinesisRecords(lines, { model: MODEL });
  // when they are delivered in batches of 10
  const responses: Array<KinesisStreamBatchResponse | undefined> = [];
  for (let start = 0; start < records.length; start += 10)
    responses.push(await fn.invoke<KinesisStreamBatchResponse>({ Records: records.slice(start, start + 10) }));
  // then no batch reports a failure, the results equal Scorer.scoreTable bit for bit and in order, and the poison record is a dead letter
  expect(responses.map((response) => response?.batchItemFailures)).toEqual([[], [], []]);
  const results = await jsonLines<StreamResult>(`${streamSinkPrefix(MODEL)}results/`);
  results.sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1));
  const expected = linearScorer().scoreTable(tableFromRecords(rows)).scores;
  expect(results.flatMap((result) => result.predictions.map((p) => p.score))).toEqual(Array.from(expected));
  const letters = await jsonLines<DeadLetter>(`${streamSinkPrefix(MODEL)}dead-letters/`);
  expect(letters).toEqual([
    expect.objectContaining({
      sequenceNumber: records[10]!.kinesis.sequenceNumber,
      reason: expect.stringMatching(/^data is not JSON/),
    }),
  ]);
}, 30_000);
