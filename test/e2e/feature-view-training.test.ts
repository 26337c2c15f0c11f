/**
 * Retraining from labels + a feature view on the local platform: the view's history is uploaded
 * to the curated zone, labels (entity key, label time, target, no view columns) to the raw zone,
 * and the synthesized state machine runs Validate (with the view config and grants the CDK app
 * gave it, IAM enforced), Train, Evaluate and Register on the point-in-time joined training set.
 */
import { rmSync } from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { parseCsv } from '../../core/data/csv';
import { getColumn } from '../../core/data/table';
import { ModelRegistry } from '../../core/registry/registry';
import { listRuns } from '../../core/runs/run-record';
import type { Platform } from '../../local/platform';
import { CUSTOMERS, labels, spendAtLabel, VIEW, viewV1, viewV2 } from '../lambdas/validate-data/fixtures/customer-view';
import { settleRuns, startTestPlatform } from '../support/local-platform';

let dataDir: string;
let platform: Platform;
let client: S3Client;

beforeAll(async () => {
  ({ platform, client, dataDir } = await startTestPlatform({
    project: 'fvtrain',
    batchingWindowMs: 300,
    model: { featureView: VIEW.name },
    featureViews: [{ name: VIEW.name, entityKey: VIEW.entityKey, ttlSeconds: VIEW.ttlSeconds }],
  }));
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await platform?.close();
  if (dataDir && !process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });
});

const put = (bucket: string, key: string, body: string) =>
  client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

describe('training a model from labels and its feature view on the local platform', () => {
  it('registers a model trained on the view values as of each label time', async () => {
    // given the view's history in the curated zone
    await put(platform.info.buckets.curated, 'features/customer/2026-03-v1.csv', viewV1());
    await put(platform.info.buckets.curated, 'features/customer/2026-03-v2.csv', viewV2());
    // when labels are uploaded and the run they start ends
    await put(platform.info.buckets.raw, 'churn/labels.csv', labels());
    await settleRuns(platform);
    // then the run succeeded on the joined snapshot, and its record names the view files
    const artifacts = new S3ObjectStore(client, platform.info.buckets.artifacts);
    const [run] = await listRuns(artifacts, 'churn');
    expect(run).toMatchObject({ outcome: 'succeeded', registeredVersion: 1 });
    expect(run?.inputs?.featureView).toMatchObject({
      view: 'customer',
      fileCount: 2,
      joinedColumns: ['spend', 'visits'],
    });
    const curated = new S3ObjectStore(client, platform.info.buckets.curated);
    const snapshot = parseCsv((await curated.get(run!.inputs!.snapshotKey!))!.body, { numbers: true });
    expect(getColumn(snapshot, 'spend')).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => spendAtLabel(i)));
    const version = await new ModelRegistry({ store: artifacts }).getVersion('churn', 1);
    expect(version?.lineage.schema.columns.map((column) => column.name).sort()).toEqual([
      'age',
      'churned',
      'spend',
      'visits',
    ]);
  }, 180_000);
});
