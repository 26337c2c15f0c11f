/**
 * `mlops invoke` against the running local platform: it finds the endpoint from the platform's
 * info, and its predictions are the ones a direct POST of the same rows gets.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { main } from '../../../cli/main';
import { churnCsv } from '../../../core/datasets/churn';
import type { Platform } from '../../../local/platform';
import { captureIo } from '../../support/cli-io';
import { settleRuns, startTestPlatform } from '../../support/local-platform';

let dataDir: string;
let platform: Platform;
let client: S3Client;
const saved = { ...process.env };

beforeAll(async () => {
  ({ platform, client, dataDir } = await startTestPlatform({ project: 'invoke', batchingWindowMs: 300 }));
  await client.send(
    new PutObjectCommand({
      Bucket: platform.info.buckets.raw,
      Key: 'churn/v1.csv',
      Body: churnCsv({ rows: 400, seed: 1 }),
    }),
  );
  await settleRuns(platform);
  process.env = { ...saved, MLOPS_LOCAL_DIR: dataDir };
  delete process.env.MLOPS_ARTIFACTS_BUCKET;
}, 180_000);

afterAll(async () => {
  process.env = saved;
  client?.destroy();
  await platform?.close();
  if (!process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });
});

/** The rows of a churn CSV as a caller would write them by hand: numbers as numbers, empty fields left out. */
function recordsOf(csv: string): Array<Record<string, string | number>> {
  const [header, ...lines] = csv.trimEnd().split('\n');
  const names = header!.split(',');
  return lines.map((line) => {
    const record: Record<string, string | number> = {};
    line.split(',').forEach((field, index) => {
      if (field === '') return;
      record[names[index]!] = /^-?\d+(\.\d+)?$/.test(field) ? Number(field) : field;
    });
    return record;
  });
}

describe('mlops invoke on the local platform', () => {
  it('returns the predictions of a direct POST of the same rows, also when split into several requests', async () => {
    // given rows the model never saw, as a CSV file, and the same rows posted directly
    const csv = churnCsv({ rows: 60, seed: 77 });
    const file = join(dataDir, 'new-customers.csv');
    writeFileSync(file, csv);
    const endpoint = platform.info.models.find((model) => model.name === 'churn')!.endpoint;
    const direct = await fetch(`${endpoint}predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: recordsOf(csv) }),
    });
    expect(direct.status).toBe(200);
    const expected = (await direct.json()) as {
      model: { name: string; version: number };
      predictions: Array<{ score: number; label: string }>;
    };
    // when
    const whole = captureIo();
    const wholeCode = await main(['invoke', 'churn', '--data', file, '--json'], whole.io);
    const split = captureIo();
    const splitCode = await main(['invoke', 'churn', '--data', file, '--json', '--max-rows', '7'], split.io);
    // then
    expect([wholeCode, splitCode]).toEqual([0, 0]);
    expect(whole.err.join('')).toContain('(the local platform)');
    for (const run of [whole, split]) {
      const printed = JSON.parse(run.out.join(''));
      expect(printed.model).toEqual(expected.model);
      expect(printed.predictions.map((p: { score: number; label: string }) => [p.score, p.label])).toEqual(
        expected.predictions.map((p) => [p.score, p.label]),
      );
    }
    expect(JSON.parse(split.out.join('')).requests).toBe(9);
  }, 60_000);

  it("prints the endpoint's own 400 message for a bad value, exit 2", async () => {
    // when
    const run = captureIo();
    const code = await main(['invoke', 'churn', '--data', '[{"age": 30}, {"age": "old"}]'], run.io);
    // then
    expect(code).toBe(2);
    expect(run.err.join('')).toMatch(
      /mlops invoke: error: 400: instances\[1\]\.age must be a number, got "old" \[input row 2\]\n/,
    );
  });

  it('says which models the platform serves when asked for another', async () => {
    const run = captureIo();
    expect(await main(['invoke', 'fraud', '--data', '{"age": 30}'], run.io)).toBe(2);
    expect(run.err.join('')).toBe(
      'mlops invoke: error: the local platform serves no model "fraud"; it serves: churn\n',
    );
  });
});
