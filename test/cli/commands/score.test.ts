import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { main } from '../../../cli/main';
import { serializeArtifact } from '../../../core/artifact/format';
import { parseConfig } from '../../../core/config/parse';
import { parseCsv } from '../../../core/data/csv';
import { churnCsv, publish, trainChurnArtifact } from '../../core/score/fixtures';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

let s3: LocalS3Harness;
let dir: string;
let modelDir: string;
const saved = { ...process.env };
const startDir = process.cwd();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), interactive: false },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

async function score(...args: string[]) {
  const run = capture();
  const code = await main(['score', ...args], run.io);
  return { code, out: run.out(), err: run.err() };
}

async function s3Keys(bucket: string, prefix = ''): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((item) => item.Key!).sort();
}

async function s3Text(bucket: string, key: string): Promise<string> {
  return (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

/** Every file under a folder, relative to it. */
function files(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

beforeAll(async () => {
  s3 = await startLocalS3Harness(['artifacts', 'curated', 'scratch', 'monitoring']);
  await publish(new S3ObjectStore(s3.client, 'artifacts'), trainChurnArtifact());
  await s3.client.send(new PutObjectCommand({ Bucket: 'curated', Key: 'in/customers.csv', Body: churnCsv(12, 1) }));
  await s3.client.send(new PutObjectCommand({ Bucket: 'curated', Key: 'many/a.csv', Body: churnCsv(5, 2) }));
  await s3.client.send(new PutObjectCommand({ Bucket: 'curated', Key: 'many/b.csv', Body: churnCsv(6, 3) }));
  // A model name is looked up in this registry, over the local S3 endpoint.
  Object.assign(process.env, {
    MLOPS_ARTIFACTS_BUCKET: 'artifacts',
    MLOPS_MONITORING_BUCKET: 'monitoring',
    AWS_ENDPOINT_URL_S3: s3.server.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  });
  modelDir = mkdtempSync(join(tmpdir(), 'mlops-score-model-'));
  writeFileSync(join(modelDir, 'model.json'), serializeArtifact(trainChurnArtifact()));
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-score-out-'));
  writeFileSync(join(dir, 'customers.csv'), churnCsv(12, 1));
  process.chdir(dir);
});

afterAll(async () => {
  process.chdir(startDir);
  process.env = saved;
  await s3.stop();
});

describe('mlops score --out', () => {
  test("the help's own example writes the scores, the errors and the manifest to three files", async () => {
    // given customers.csv in the working folder and churn's production version in the registry
    // when the example from 'mlops score --help' runs
    const run = await score('--model', 'churn', '--input', 'customers.csv', '--out', 'scored.csv');
    // then scored.csv still holds one scored row per customer, beside its errors and manifest
    expect(run.code).toBe(0);
    expect(files(dir)).toEqual(['customers.csv', 'scored.csv', 'scored.errors.jsonl', 'scored.manifest.json']);
    const scored = parseCsv(readFileSync('scored.csv', 'utf8'));
    expect(scored.rowCount).toBe(12);
    expect(scored.columnNames).toContain('score');
    const manifest = JSON.parse(readFileSync('scored.manifest.json', 'utf8'));
    expect(manifest.inputs[0]).toMatchObject({ output: 'scored.csv', errors: 'scored.errors.jsonl', rowsScored: 12 });
  });

  test.each([
    [
      'an existing folder',
      'results',
      true,
      ['results/_manifests/customers.json', 'results/customers.errors.jsonl', 'results/customers.scored.csv'],
    ],
    [
      'a new folder with a trailing slash',
      'new/',
      false,
      ['new/_manifests/customers.json', 'new/customers.errors.jsonl', 'new/customers.scored.csv'],
    ],
    [
      'a new path without an extension',
      'fresh',
      false,
      ['fresh/_manifests/customers.json', 'fresh/customers.errors.jsonl', 'fresh/customers.scored.csv'],
    ],
    [
      'a .csv path in a new folder',
      'deep/er/s.csv',
      false,
      ['deep/er/s.csv', 'deep/er/s.errors.jsonl', 'deep/er/s.manifest.json'],
    ],
  ])('a local file input into %s', async (_form, out, create, written) => {
    // given the --out location
    if (create) mkdirSync(join(dir, out));
    // when scored
    const run = await score('--model', modelDir, '--input', 'customers.csv', '--out', out);
    // then the three outputs have their own names
    expect(run.code).toBe(0);
    expect(files(dir)).toEqual(['customers.csv', ...written].sort());
  });

  test.each([
    [
      'a prefix with its slash',
      's3://scratch/p1/',
      ['p1/_manifests/customers.json', 'p1/customers.errors.jsonl', 'p1/customers.scored.csv'],
    ],
    [
      'a prefix without its slash',
      's3://scratch/p2',
      ['p2/_manifests/customers.json', 'p2/customers.errors.jsonl', 'p2/customers.scored.csv'],
    ],
    [
      'an object key ending in .csv',
      's3://scratch/p3/scored.csv',
      ['p3/scored.csv', 'p3/scored.errors.jsonl', 'p3/scored.manifest.json'],
    ],
  ])('an S3 object input into %s', async (_form, out, written) => {
    // when one S3 object is scored
    const run = await score('--model', 'churn', '--input', 's3://curated/in/customers.csv', '--out', out);
    // then the three outputs have their own keys
    expect(run.code).toBe(0);
    expect(await s3Keys('scratch', written[0]!.slice(0, 3))).toEqual(written);
  });

  test('an S3 input into a bucket root', async () => {
    // when scored into the root of an empty bucket
    const run = await score('--model', 'churn', '--input', 's3://curated/in/', '--out', 's3://artifacts');
    // then the outputs sit at the root beside the registry, which is left alone
    expect(run.code).toBe(0);
    expect((await s3Keys('artifacts')).filter((key) => !key.startsWith('registry/'))).toEqual([
      '_manifests/shard-0-of-1.json',
      'customers.errors.jsonl',
      'customers.scored.csv',
    ]);
  });

  test('two shards of an S3 prefix write their own outputs and one manifest each', async () => {
    // when shard 0 and shard 1 of 2 run
    for (const index of ['0', '1']) {
      const run = await score(
        '--model',
        'churn',
        '--input',
        's3://curated/many/',
        '--out',
        's3://scratch/sharded/',
        '--shards',
        '2',
        '--shard-index',
        index,
      );
      expect(run.code).toBe(0);
    }
    // then nothing is shared
    expect(await s3Keys('scratch', 'sharded/')).toEqual([
      'sharded/_manifests/shard-0-of-2.json',
      'sharded/_manifests/shard-1-of-2.json',
      'sharded/a.errors.jsonl',
      'sharded/a.scored.csv',
      'sharded/b.errors.jsonl',
      'sharded/b.scored.csv',
    ]);
    expect(parseCsv(await s3Text('scratch', 'sharded/b.scored.csv')).rowCount).toBe(6);
  });

  test.each([
    ['the input itself', ['--input', 'customers.csv', '--out', 'customers.csv'], /which is an input/],
    [
      'a Parquet path',
      ['--input', 'customers.csv', '--out', 'scored.parquet'],
      /ends in \.parquet, but scores are written as CSV/,
    ],
    ['a folder inside the input folder', ['--input', '.', '--out', 'scored'], /is inside --input/],
    ['one file for two shards', ['--input', 'customers.csv', '--out', 's.csv', '--shards', '2'], /--shards is 2/],
  ])('an --out that is %s is refused with exit 2 and nothing written', async (_case, args, message) => {
    // when scoring is asked to write there
    const run = await score('--model', modelDir, ...args);
    // then it names the problem and the folder is untouched
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(files(dir)).toEqual(['customers.csv']);
    expect(readFileSync('customers.csv', 'utf8')).toBe(churnCsv(12, 1));
  });

  test('two inputs that would write the same scores file are refused before anything is written', async () => {
    // given a.csv and a.txt, both of which score to a.scored.csv
    mkdirSync('in');
    writeFileSync('in/a.csv', churnCsv(3, 1));
    writeFileSync('in/a.txt', churnCsv(3, 2));
    // when the folder is scored
    const run = await score('--model', modelDir, '--input', 'in', '--out', 'out');
    // then both inputs are named and no output exists
    expect(run.code).toBe(2);
    expect(run.err).toContain('the scores of in/a.csv and the scores of in/a.txt would both be written to');
    expect(existsSync('out')).toBe(false);
  });

  test('existing outputs are kept unless --force is given', async () => {
    // given an earlier run's scores
    expect((await score('--model', modelDir, '--input', 'customers.csv', '--out', 'scored.csv')).code).toBe(0);
    writeFileSync('scored.csv', 'mine\n');
    // when run again without --force, then it refuses and leaves the file alone
    const refused = await score('--model', modelDir, '--input', 'customers.csv', '--out', 'scored.csv');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`${join(dir, 'scored.csv')} already exists (and 2 more); pass --force`);
    expect(readFileSync('scored.csv', 'utf8')).toBe('mine\n');
    // when run with --force, then the scores replace it
    expect((await score('--model', modelDir, '--input', 'customers.csv', '--out', 'scored.csv', '--force')).code).toBe(
      0,
    );
    expect(parseCsv(readFileSync('scored.csv', 'utf8')).rowCount).toBe(12);
  });

  test('existing S3 outputs are kept unless --force is given', async () => {
    // given an earlier run's outputs under a prefix
    const args = ['--model', 'churn', '--input', 's3://curated/in/', '--out', 's3://scratch/again/'];
    expect((await score(...args)).code).toBe(0);
    // when run again, then it refuses; with --force it replaces
    const refused = await score(...args);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('s3://scratch/again/customers.scored.csv already exists (and 2 more)');
    expect((await score(...args, '--force')).code).toBe(0);
  });

  test('--json prints one small object with the counts and the manifest path', async () => {
    // when scored with --json
    const run = await score('--model', modelDir, '--input', 'customers.csv', '--out', 'scored.csv', '--json');
    // then stdout is one line with stable fields
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      rowsRead: 12,
      rowsScored: 12,
      rowsFailed: 0,
      objectsScored: 1,
      objectsFailed: 0,
      manifest: 'scored.manifest.json',
    });
    expect(run.out.trim().split('\n')).toHaveLength(1);
  });

  test("in the Batch job, the model's config supplies the id column, and the log has the caller's ids", async () => {
    // given the job's MLOPS_MODEL_CONFIG naming order_id as the id field, and a file with order ids
    process.env.MLOPS_MODEL_CONFIG = JSON.stringify(
      parseConfig(
        { models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', predictions: { idField: 'order_id' } }] },
        'test',
      ).models[0],
    );
    writeFileSync('orders.csv', 'order_id,age,plan,active\no-1,30,basic,true\no-2,41,pro,false\n');
    try {
      // when the registered model scores it
      const run = await score('--model', 'churn', '--input', 'orders.csv', '--out', 'orders-scored.csv');
      // then the output's ids are the order ids, and the monitoring zone has them with their scores
      expect(run.code).toBe(0);
      const scored = parseCsv(readFileSync('orders-scored.csv', 'utf8'));
      const ids = scored.columns[scored.columnNames.indexOf('id')];
      expect(ids).toEqual(['o-1', 'o-2']);
      const logged: string[] = [];
      for (const key of await s3Keys('monitoring', 'predictions/churn/')) {
        for (const line of (await s3Text('monitoring', key)).trim().split('\n')) logged.push(JSON.parse(line).id);
      }
      expect(logged).toEqual(expect.arrayContaining(['o-1', 'o-2']));
    } finally {
      delete process.env.MLOPS_MODEL_CONFIG;
    }
  });

  test('a registered model with the prediction log on and no monitoring bucket is refused, naming the fixes', async () => {
    // given no MLOPS_MONITORING_BUCKET and no local platform
    delete process.env.MLOPS_MONITORING_BUCKET;
    process.env.MLOPS_LOCAL_DIR = dir;
    try {
      // when a registered model is asked to score, then the run stops before writing anything
      const run = await score('--model', 'churn', '--input', 'customers.csv', '--out', 'scored.csv');
      expect(run.code).toBe(2);
      expect(run.err).toContain('set MLOPS_MONITORING_BUCKET');
      expect(run.err).toContain('predictions.log to false');
      expect(files(dir)).toEqual(['customers.csv']);
    } finally {
      process.env.MLOPS_MONITORING_BUCKET = 'monitoring';
      delete process.env.MLOPS_LOCAL_DIR;
    }
  });
});
