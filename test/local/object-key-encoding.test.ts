/**
 * Keys with spaces, '+', '%' and non-ASCII characters, uploaded with the real SDK to the local
 * platform, must reach validate as uploaded: S3 -> EventBridge ("Object Created", whose
 * detail.object.key is the key itself, not the form-encoded key of S3's own notifications to
 * SQS/SNS/Lambda) -> queue -> retrain trigger -> execution input -> validate -> run record.
 */
import { rmSync } from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { churnCsv } from '../../core/datasets/churn';
import { listRuns } from '../../core/runs/run-record';
import type { Platform } from '../../local/platform';
import { settleRuns, startTestPlatform } from '../support/local-platform';

let dataDir: string;
let platform: Platform;
let client: S3Client;

beforeAll(async () => {
  ({ platform, client, dataDir } = await startTestPlatform({ project: 'keys', batchingWindowMs: 200 }));
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await platform?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const settle = () => settleRuns(platform, 600);

describe('object keys reach validate intact', () => {
  it.each([
    ['a space', 'churn/new data 2026.csv'],
    ["a '+'", 'churn/c++ batch+1.csv'],
    ["a '%'", 'churn/100% done %20.csv'],
    ['non-ASCII characters', 'churn/données-été-日本.csv'],
  ])(
    'keeps a key with %s from the upload to the run record',
    async (_class, key) => {
      // when
      await client.send(
        new PutObjectCommand({ Bucket: platform.info.buckets.raw, Key: key, Body: churnCsv({ rows: 60, seed: 5 }) }),
      );
      await settle();
      // then
      const artifacts = new S3ObjectStore(client, platform.info.buckets.artifacts);
      const [latest] = await listRuns(artifacts, 'churn');
      expect(latest?.inputs?.dataKey).toBe(key);
      expect(latest?.trigger.objects).toEqual([key]);
      expect(latest?.failure?.step).not.toBe('validate');
    },
    180_000,
  );
});
