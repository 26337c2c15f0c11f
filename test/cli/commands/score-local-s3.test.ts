import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { S3MultipartSink } from '../../../adapters/scoring-locations';
import { runScoring } from '../../../cli/commands/score';
import { parseCsv } from '../../../core/data/csv';
import { predictionRecordSchema } from '../../../core/ground-truth/records';
import type { ScoringManifest } from '../../../core/score/shards';
import { churnCsv, linearScorer, MODEL, publish, trainChurnArtifact } from '../../core/score/fixtures';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

let s3: LocalS3Harness;
const logs: string[] = [];
const deps = () => ({ s3: () => s3.client, log: (line: string) => logs.push(line) });
const input = `s3://curated/${MODEL}/score/input/`;
const out = `s3://curated/${MODEL}/score/output/`;

async function text(bucket: string, key: string): Promise<string> {
  const response = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString();
}
async function keys(prefix: string): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: 'curated', Prefix: prefix }));
  return (page.Contents ?? []).map((item) => item.Key!).sort();
}

const savedConfig = process.env.MLOPS_CONFIG;

beforeAll(async () => {
  // The model's config as this test means it (no feature view), whatever ./mlops.config.json says.
  const config = join(mkdtempSync(join(tmpdir(), 'mlops-score-config-')), 'mlops.config.json');
  writeFileSync(config, JSON.stringify({ models: [{ name: MODEL, target: 'churned', positiveLabel: 'yes' }] }));
  process.env.MLOPS_CONFIG = config;
  s3 = await startLocalS3Harness(['artifacts', 'curated', 'monitoring']);
  await publish(new S3ObjectStore(s3.client, 'artifacts'), trainChurnArtifact());
  for (const [name, body] of [
    ['a.csv', churnCsv(30, 1)],
    ['b.csv', churnCsv(20, 2)],
    ['c.csv', 'age,plan,active\n33,pro,true\nold,basic,false\n'],
    ['notes.md', 'not data'],
  ]) {
    await s3.client.send(new PutObjectCommand({ Bucket: 'curated', Key: `${MODEL}/score/input/${name}`, Body: body }));
  }
});
afterAll(() => {
  if (savedConfig === undefined) delete process.env.MLOPS_CONFIG;
  else process.env.MLOPS_CONFIG = savedConfig;
  return s3.stop();
});

describe('mlops score over S3 (local endpoint, real SDK)', () => {
  test('two shards split the objects, score them with the production version and write a manifest each', async () => {
    // given three data files under the input prefix and a production version
    // when shard 0 and shard 1 of 2 run
    const { manifest: first } = await runScoring(
      {
        model: MODEL,
        artifactsBucket: 'artifacts',
        monitoringBucket: 'monitoring',
        input,
        out,
        shards: 2,
        shardIndex: 0,
      },
      deps(),
    );
    const { manifest: second } = await runScoring(
      {
        model: MODEL,
        artifactsBucket: 'artifacts',
        monitoringBucket: 'monitoring',
        input,
        out,
        shards: 2,
        shardIndex: 1,
      },
      deps(),
    );
    // then shard 0 takes a.csv and c.csv, shard 1 takes b.csv, each with the model version
    expect(first.inputs.map((entry) => entry.input)).toEqual([`${input}a.csv`, `${input}c.csv`]);
    expect(second.inputs.map((entry) => entry.input)).toEqual([`${input}b.csv`]);
    expect(first.model).toMatchObject({ name: MODEL, version: 1 });
    expect(first.totals).toEqual({ rowsRead: 32, rowsScored: 31, rowsFailed: 1 });
    const manifest = JSON.parse(await text('curated', `${MODEL}/score/output/_manifests/shard-0-of-2.json`));
    expect(manifest as ScoringManifest).toEqual(JSON.parse(JSON.stringify(first)));
  });

  test('the scored output equals Scorer.scoreTable on the same file, and the bad row is in the errors file', async () => {
    // given the outputs of the run above
    const scorer = linearScorer();
    const scored = parseCsv(await text('curated', `${MODEL}/score/output/a.scored.csv`));
    // then scores equal the in-memory scorer's, bit for bit
    const expected = scorer.scoreTable(parseCsv(churnCsv(30, 1))).scores;
    expect(scored.columns[scored.columnNames.indexOf('score')].map(Number)).toEqual(Array.from(expected));
    const errors = await text('curated', `${MODEL}/score/output/c.errors.jsonl`);
    expect(
      errors
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([{ line: 3, reason: 'age must be a number, got "old"', record: 'old,basic,false' }]);
  });

  test('every scored row is recorded under predictions/<model>/ of the monitoring zone with the id and score of the output', async () => {
    // given the outputs of the two shards above (a.csv and c.csv in shard 0, b.csv in shard 1)
    const shard0 = JSON.parse(
      await text('curated', `${MODEL}/score/output/_manifests/shard-0-of-2.json`),
    ) as ScoringManifest;
    // when the monitoring zone's prediction log is read
    const page = await s3.client.send(
      new ListObjectsV2Command({ Bucket: 'monitoring', Prefix: `predictions/${MODEL}/` }),
    );
    const logged = new Map<string, { score: number; label?: string; version: number }>();
    for (const item of page.Contents ?? []) {
      for (const line of (await text('monitoring', item.Key!)).trim().split('\n')) {
        const record = predictionRecordSchema.parse(JSON.parse(line));
        logged.set(record.id, record);
      }
    }
    // then each output row's id is logged with its score and label, under the production version
    const outputs = await Promise.all(
      ['a', 'b', 'c'].map(async (name) => parseCsv(await text('curated', `${MODEL}/score/output/${name}.scored.csv`))),
    );
    const rows = outputs.flatMap((table) => {
      const at = (name: string) => table.columns[table.columnNames.indexOf(name)];
      return at('id').map((id, row) => [id, { score: Number(at('score')[row]), label: at('label')[row], version: 1 }]);
    });
    expect(rows).toHaveLength(51);
    expect(rows.map(([id]) => logged.get(id as string))).toEqual(
      rows.map(([, record]) => expect.objectContaining(record as object)),
    );
    expect(shard0.predictionLog).toEqual({ prefix: `predictions/${MODEL}/`, batches: 1, records: 31 });
  });

  test('a retried shard with --force overwrites its own outputs: same keys, same scores, no duplicates', async () => {
    // given the outputs of shard 0
    const before = await keys(`${MODEL}/score/output/`);
    const withoutIds = (csv: string) => {
      const table = parseCsv(csv);
      return table.columnNames.map((name, index) => (name === 'id' ? [] : table.columns[index]));
    };
    const content = withoutIds(await text('curated', `${MODEL}/score/output/a.scored.csv`));
    // when shard 0 runs again
    await runScoring(
      {
        model: MODEL,
        artifactsBucket: 'artifacts',
        monitoringBucket: 'monitoring',
        input,
        out,
        shards: 2,
        shardIndex: 0,
        force: true,
      },
      deps(),
    );
    // then the listing and the scored file are unchanged but for the ids of ours, made anew
    expect(await keys(`${MODEL}/score/output/`)).toEqual(before);
    expect(withoutIds(await text('curated', `${MODEL}/score/output/a.scored.csv`))).toEqual(content);
    expect(before).toEqual([
      `${MODEL}/score/output/_manifests/shard-0-of-2.json`,
      `${MODEL}/score/output/_manifests/shard-1-of-2.json`,
      `${MODEL}/score/output/a.errors.jsonl`,
      `${MODEL}/score/output/a.scored.csv`,
      `${MODEL}/score/output/b.errors.jsonl`,
      `${MODEL}/score/output/b.scored.csv`,
      `${MODEL}/score/output/c.errors.jsonl`,
      `${MODEL}/score/output/c.scored.csv`,
    ]);
  });

  test('an unreadable object is a manifest failure and the shard goes on', async () => {
    // given an object that is not UTF-8 beside a good one
    const prefix = `${MODEL}/score/broken/`;
    await s3.client.send(
      new PutObjectCommand({ Bucket: 'curated', Key: `${prefix}bad.csv`, Body: new Uint8Array([0xff, 0xfe, 0x41]) }),
    );
    await s3.client.send(new PutObjectCommand({ Bucket: 'curated', Key: `${prefix}good.csv`, Body: churnCsv(5) }));
    // when scored
    const { manifest } = await runScoring(
      {
        model: MODEL,
        artifactsBucket: 'artifacts',
        monitoringBucket: 'monitoring',
        input: `s3://curated/${prefix}`,
        out: `s3://curated/${MODEL}/score/broken-out/`,
      },
      deps(),
    );
    // then the bad object is listed with its reason and the good one is scored
    expect(manifest.failures).toEqual([
      {
        input: `s3://curated/${prefix}bad.csv`,
        reason: `s3://curated/${prefix}bad.csv is not valid UTF-8 text; re-save it as UTF-8 (or upload Parquet)`,
      },
    ]);
    expect(manifest.inputs.map((entry) => entry.rowsScored)).toEqual([5]);
  });

  test('large outputs are uploaded in parts and read back whole', async () => {
    // given a sink with 1 KiB parts
    const sink = new S3MultipartSink(s3.client, 'curated', 'parts/out.csv', 'text/csv', 1024);
    const lines = Array.from({ length: 500 }, (_, i) => `${i},${'x'.repeat(i % 13)}\n`);
    // when the lines are written and the sink closed
    for (const line of lines) await sink.write(line);
    await sink.close();
    // then the object holds every line in order
    expect(await text('curated', 'parts/out.csv')).toBe(lines.join(''));
  });
});
