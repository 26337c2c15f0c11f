/**
 * Batch scoring started by the synthesized EventBridge rules on the local platform, driven by the
 * AWS CLI and curl: an upload under <model>/score/input/ of the curated zone starts a job for that
 * object, the schedule (fired every few seconds here instead of its daily rate) starts an array
 * job over the whole prefix, and `mlops score run` starts the scheduled job by hand. The jobs run
 * the trainer bundle the image runs (code: 'bundles'); their scores must equal the HTTPS
 * endpoint's for the same rows.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { formatCsv, parseCsv } from '../../core/data/csv';
import { churnCsv } from '../../core/datasets/churn';
import type { ScoringManifest } from '../../core/score/shards';
import type { Platform } from '../../local/platform';
import { settleRuns, startTestPlatform } from '../support/local-platform';
import { requireTool, TOOLS } from '../support/tools';

const run = promisify(execFile);
const AWS_CLI = requireTool(TOOLS.aws, 'the batch-scoring trigger test') ?? '';
const CURL = requireTool(TOOLS.curl, 'the batch-scoring trigger test') ?? '';
const describeWithTools = AWS_CLI && CURL ? describe : describe.skip;
const ROOT = join(__dirname, '..', '..');
const SCHEDULE_EVERY_MS = 8_000;

let dataDir: string;
let platform: Platform;
let client: S3Client;
let curated: S3ObjectStore;
const lines: string[] = [];

beforeAll(async () => {
  if (!AWS_CLI || !CURL) return;
  ({ platform, client, dataDir } = await startTestPlatform({
    project: 'batchrules',
    batchingWindowMs: 300,
    model: { batchScoring: { schedule: 'rate(1 day)', shards: 2 } },
    platform: { code: 'bundles', batchScoringEveryMs: SCHEDULE_EVERY_MS, log: (line) => lines.push(line) },
  }));
  curated = new S3ObjectStore(client, platform.info.buckets.curated);
  await client.send(
    new PutObjectCommand({
      Bucket: platform.info.buckets.raw,
      Key: 'churn/v1.csv',
      Body: churnCsv({ rows: 400, seed: 1 }),
    }),
  );
  await settleRuns(platform);
}, 300_000);

afterAll(async () => {
  client?.destroy();
  await platform?.close();
  if (dataDir && !process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });
});

/** Rows to score: churn rows without the target, as a client would have them. */
function rowsCsv(seed: number, rows: number): string {
  const table = parseCsv(churnCsv({ rows, seed }));
  const keep = table.columnNames.map((name, index) => [name, index] as const).filter(([name]) => name !== 'churned');
  return formatCsv({
    columnNames: keep.map(([name]) => name),
    columns: keep.map(([, index]) => table.columns[index]),
    rowCount: table.rowCount,
  });
}

const awsEnv = () => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
});

async function awsCp(file: string, uri: string): Promise<void> {
  await run(AWS_CLI, ['--endpoint-url', platform.info.s3Endpoint, 's3', 'cp', file, uri], { env: awsEnv() });
}

/** The endpoint's scores for a CSV body (the text/csv request format), in row order. */
async function endpointScores(csv: string): Promise<number[]> {
  const endpoint = platform.info.models.find((model) => model.name === 'churn')!.endpoint;
  const { stdout } = await run(CURL, [
    '-sS',
    '--max-time',
    '60',
    '-X',
    'POST',
    `${endpoint}predict`,
    '-H',
    'content-type: text/csv',
    '--data-binary',
    csv,
  ]);
  const body = JSON.parse(stdout) as { predictions: Array<{ score: number }> };
  return body.predictions.map((prediction) => prediction.score);
}

async function readText(key: string): Promise<string | undefined> {
  const object = await curated.get(key);
  return object ? new TextDecoder().decode(object.body) : undefined;
}

function scoresOf(scoredCsv: string): number[] {
  const table = parseCsv(scoredCsv);
  return table.columns[table.columnNames.indexOf('score')].map(Number);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; platform log:\n${lines.slice(-40).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function manifest(key: string, after: string): Promise<ScoringManifest | undefined> {
  const text = await readText(`churn/score/output/_manifests/${key}`);
  if (!text) return undefined;
  const parsed = JSON.parse(text) as ScoringManifest;
  return parsed.startedAt > after ? parsed : undefined;
}

describeWithTools('batch scoring started by its rules on the local platform', () => {
  it('an aws s3 cp under score/input/ scores that object, with the endpoint’s scores for the same rows', async () => {
    // given version 1 serving and 40 rows to score
    const csv = rowsCsv(11, 40);
    const file = join(dataDir, 'rows.csv');
    writeFileSync(file, csv);
    const before = new Date().toISOString();
    // when the file is uploaded with the AWS CLI under the model's score input prefix
    await awsCp(file, `s3://${platform.info.buckets.curated}/churn/score/input/rows.csv`);
    // then the upload rule's job (one plain job) scores that object, its manifest named after it
    const uploaded = await waitFor('the upload job’s manifest', () => manifest('rows.json', before));
    expect(uploaded.inputs.map((input) => input.input)).toEqual([
      `s3://${platform.info.buckets.curated}/churn/score/input/rows.csv`,
    ]);
    expect(uploaded.totals).toMatchObject({ rowsRead: 40, rowsScored: 40, rowsFailed: 0 });
    expect(uploaded.model.version).toBe(1);
    // and its scores equal the endpoint's for the same rows
    const scored = (await readText('churn/score/output/rows.scored.csv'))!;
    expect(scoresOf(scored)).toEqual(await endpointScores(csv));
    // and the platform log names the rule and the job, which ran the bundle staged in cdk.out
    expect(lines.some((line) => /score-churn submitted by \S*Upload\S* \(upload s3:\/\/.*rows\.csv\)/.test(line))).toBe(
      true,
    );
    const jobLog = readFileSync(join(dataDir, 'logs', 'score-churn.log'), 'utf8');
    expect(jobLog).toContain('rows.csv: 40 scored, 0 rejected');
    expect(jobLog).toMatch(
      /attempt 1: \S+ \S+\/cdk\.out\/asset\.[0-9a-f]{64}\/index\.js score --model churn --input s3:\/\/\S+\/churn\/score\/input\/rows\.csv /,
    );
  }, 180_000);

  it('the schedule, at its short local rate, starts an array job whose two children split the input prefix', async () => {
    // given a second object under the input prefix (its own upload job scores it too)
    const csv = rowsCsv(12, 30);
    const file = join(dataDir, 'more.csv');
    writeFileSync(file, csv);
    await awsCp(file, `s3://${platform.info.buckets.curated}/churn/score/input/more.csv`);
    const after = new Date().toISOString();
    // when the schedule fires next, then shard i of 2 (AWS_BATCH_JOB_ARRAY_INDEX i) scores objects i, i+2, ...
    const first = await waitFor(
      'shard 0 of 2',
      () => manifest('shard-0-of-2.json', after),
      4 * SCHEDULE_EVERY_MS + 60_000,
    );
    const second = await waitFor('shard 1 of 2', () => manifest('shard-1-of-2.json', after), 60_000);
    const inputs = `s3://${platform.info.buckets.curated}/churn/score/input/`;
    expect(first.inputs.map((input) => input.input)).toEqual([`${inputs}more.csv`]);
    expect(second.inputs.map((input) => input.input)).toEqual([`${inputs}rows.csv`]);
    // and the scores of more.csv equal the endpoint's
    expect(scoresOf((await readText('churn/score/output/more.scored.csv'))!)).toEqual(await endpointScores(csv));
    expect(
      lines.some((line) => /score-churn submitted by \S*Schedule\S* \(schedule rate\(1 day\)\).*array of 2/.test(line)),
    ).toBe(true);
  }, 240_000);

  it('mlops score run starts the scheduled job now and reports it when it ends', async () => {
    // given the platform's data dir, when the command line asks for the scheduled job
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin/mlops.js'), 'score', 'run', 'churn', '--json'], {
      cwd: ROOT,
      env: { ...process.env, MLOPS_LOCAL_DIR: dataDir },
      timeout: 120_000,
    });
    // then it answers with the job: two children, both succeeded
    const job = JSON.parse(stdout) as { status: string; children: Array<{ arrayIndex: number; exitCode: number }> };
    expect(job.status).toBe('SUCCEEDED');
    expect(job.children.map((child) => [child.arrayIndex, child.exitCode])).toEqual([
      [0, 0],
      [1, 0],
    ]);
  }, 180_000);
});
