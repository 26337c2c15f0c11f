/**
 * The payload limits end to end on the local platform, whose Step Functions enforce the 256 KiB
 * limit as AWS does: an upload with 20,000 new columns, and 1,000 uploads (with long keys) queued
 * while a run is in progress. Every run must end SUCCEEDED or FAILED, never by States.DataLimitExceeded,
 * never stuck RUNNING, and the run records (with the manifests they point to) hold the full lists.
 */
import { rmSync } from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { churnCsv } from '../../core/datasets/churn';
import { listRuns, type RunRecord } from '../../core/runs/run-record';
import { readJson } from '../../core/storage/json';
import { NAMES_IN_STATE, triggerManifestSchema } from '../../core/workflow/contract';
import type { Platform } from '../../local/platform';
import { settleRuns, startTestPlatform } from '../support/local-platform';

let dataDir: string;
let platform: Platform;
let client: S3Client;
let artifacts: S3ObjectStore;

beforeAll(async () => {
  ({ platform, client, dataDir } = await startTestPlatform({ project: 'payload', batchingWindowMs: 300 }));
  artifacts = new S3ObjectStore(client, platform.info.buckets.artifacts);
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await platform?.close();
  if (!process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });
});

const settle = () => settleRuns(platform);

const upload = (key: string, body: string) =>
  client.send(new PutObjectCommand({ Bucket: platform.info.buckets.raw, Key: key, Body: body }));

function expectEveryRunEnded(): void {
  const executions = platform.stepFunctions.all();
  expect(executions.filter((execution) => execution.status === 'RUNNING')).toEqual([]);
  expect(executions.filter((execution) => execution.error === 'States.DataLimitExceeded')).toEqual([]);
  for (const execution of executions) expect(['SUCCEEDED', 'FAILED']).toContain(execution.status);
}

/** Every key of an upload-triggered run: from its manifest when the input held only the first ones. */
async function triggerKeys(run: RunRecord): Promise<string[]> {
  if (!run.trigger.manifestKey) return run.trigger.objects;
  return (await readJson(artifacts, run.trigger.manifestKey, triggerManifestSchema))?.value.objects ?? [];
}

describe('payload limits on the local platform', () => {
  it('ends the run of an upload with 20,000 new columns, and its run record lists all of them', async () => {
    // given a production version to compare against
    await upload('churn/v1.csv', churnCsv({ rows: 300, seed: 1 }));
    await settle();
    // when data arrives with 20,000 columns production never saw
    const header = Array.from({ length: 20_000 }, (_, index) => `extra_${index}`).join(',');
    const lines = churnCsv({ rows: 40, seed: 2 }).trimEnd().split('\n');
    const values = Array.from({ length: 20_000 }, (_, index) => String(index % 5)).join(',');
    await upload('churn/wide.csv', lines.map((line, i) => `${line},${i === 0 ? header : values}`).join('\n'));
    await settle();
    // then
    expectEveryRunEnded();
    const wide = (await listRuns(artifacts, 'churn')).find((run) => run.inputs?.dataKey === 'churn/wide.csv');
    expect(wide?.outcome).toMatch(/^(succeeded|rejected|failed)$/);
    expect(wide?.schemaChanges?.newColumns).toHaveLength(20_000);
  }, 600_000);

  it('ends every run when 1,000 uploads with long keys queue during a run, and the records keep every key', async () => {
    // given a run in progress
    const before = new Set((await listRuns(artifacts, 'churn')).map((run) => run.runId));
    const data = churnCsv({ rows: 60, seed: 3 });
    await upload('churn/start.csv', data);
    await new Promise((resolve) => setTimeout(resolve, 600));
    // when 1,000 uploads arrive, keys of about 300 bytes: together far over 256 KiB
    // (folders of 140 bytes: the local S3 keeps each key segment as a file name, at most 255 bytes)
    const folder = 'k'.repeat(140);
    const keys = Array.from({ length: 1_000 }, (_, i) => `churn/${folder}/${folder}/${String(i).padStart(4, '0')}.csv`);
    for (let i = 0; i < keys.length; i += 25) await Promise.all(keys.slice(i, i + 25).map((key) => upload(key, data)));
    await settle();
    // then
    expectEveryRunEnded();
    const runs = (await listRuns(artifacts, 'churn')).filter((run) => !before.has(run.runId));
    const recorded = new Set((await Promise.all(runs.map(triggerKeys))).flat());
    expect(keys.filter((key) => !recorded.has(key))).toEqual([]);
    expect(runs.some((run) => (run.trigger.objectCount ?? 0) > NAMES_IN_STATE && run.trigger.manifestKey)).toBe(true);
  }, 600_000);
});
