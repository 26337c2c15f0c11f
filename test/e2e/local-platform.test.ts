/**
 * The product end to end on the local platform, driven by real clients: the AWS CLI for uploads,
 * curl for predictions, the `mlops` command line for the registry, drift and rollback. The
 * platform runs as `mlops local start` in a child process (the same command as `npm start`), on
 * free loopback ports, with its data in a temporary folder.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCsv } from '../../core/data/csv';
import { buildCli } from '../../lib/bundles';
import type { PlatformInfo } from '../../local/platform';
import { requireTool, TOOLS } from '../support/tools';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const AWS_CLI = requireTool(TOOLS.aws, 'the end-to-end tests') ?? '';
const CURL = requireTool(TOOLS.curl, 'the end-to-end tests') ?? '';
const describeWithTools = AWS_CLI && CURL ? describe : describe.skip;
const dataDir = mkdtempSync(join(tmpdir(), 'mlops-e2e-'));
const configPath = join(dataDir, 'mlops.config.json');

let platform: ChildProcess | undefined;
let output = '';
let info: PlatformInfo;

interface RunRecord {
  runId: string;
  trigger: { kind: string };
  outcome: string;
  registeredVersion: number | null;
  promoted?: boolean;
  schemaChanges?: { newColumns: Array<{ name: string }> };
  gate?: { decision: string };
  failure?: { step: string; reason: string };
}

async function startPlatform(): Promise<void> {
  output = '';
  platform = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/mlops.js'),
      'local',
      'start',
      '--data-dir',
      dataDir,
      '--config',
      configPath,
      '--empty',
      '--s3-port',
      '0',
      '--http-port',
      '0',
      '--aws-port',
      '0',
      '--batching-window',
      '1',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  platform.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  platform.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor('the platform to start', async () => output.includes('platform up:'), 120_000);
  info = JSON.parse(readFileSync(join(dataDir, 'platform.json'), 'utf8'));
}

async function stopPlatform(): Promise<void> {
  if (!platform || platform.exitCode !== null) return;
  const exited = new Promise((resolve) => platform?.once('exit', resolve));
  platform.kill('SIGINT');
  await exited;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; platform output:\n${output.slice(-4000)}`);
    if (platform?.exitCode !== null && platform?.exitCode !== undefined)
      throw new Error(`platform exited while waiting for ${what}:\n${output.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function mlops(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/mlops.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, MLOPS_LOCAL_DIR: dataDir },
  });
  return stdout;
}

async function aws(...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', info.s3Endpoint, ...args], { env });
  return stdout;
}

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await run(CURL, ['-sS', '--max-time', '30', ...args]);
  return stdout;
}

async function servingVersion(): Promise<number | undefined> {
  const body = JSON.parse(await curl(`${info.httpUrl}/churn/`)) as { model?: { version?: number } };
  return body.model?.version;
}

async function runs(): Promise<RunRecord[]> {
  return JSON.parse(await mlops('runs', 'churn', '--json'));
}

/** Waits until `count` runs exist and none is still running, then returns them newest first. */
async function settledRuns(count: number): Promise<RunRecord[]> {
  return waitFor(`${count} finished run(s)`, async () => {
    const list = await runs();
    return list.length >= count && list.every((r) => r.outcome !== 'running') ? list : undefined;
  });
}

describeWithTools('the local platform, end to end', () => {
  beforeAll(async () => {
    // The platform runs as `npm start` runs it: bin/mlops.js on the compiled CLI (npm ci builds it).
    buildCli();
    writeFileSync(
      configPath,
      JSON.stringify({
        project: 'e2e',
        models: [
          {
            name: 'churn',
            target: 'churned',
            positiveLabel: 'yes',
            endpoint: { captureSampleRate: 1, modelRefreshSeconds: 1 },
            streaming: {},
          },
        ],
      }),
    );
    await startPlatform();
  }, 180_000);

  afterAll(async () => {
    await stopPlatform();
  });

  let productionBefore: number;

  it('serves version 1 after the built-in v1 data is uploaded with the AWS CLI, and answers curl', async () => {
    await aws('s3', 'cp', info.builtInData.v1Path, `s3://${info.buckets.raw}/churn/`);
    await waitFor('version 1 to serve', async () => (await servingVersion()) === 1);
    const instance = JSON.stringify({ instances: [info.builtInData.exampleInstance] });
    const response = JSON.parse(
      await curl('-X', 'POST', `${info.httpUrl}/churn/predict`, '-H', 'content-type: application/json', '-d', instance),
    );
    expect(response.model).toEqual({ name: 'churn', version: 1 });
    expect(response.predictions[0].score).toBeGreaterThanOrEqual(0);
    expect(response.predictions[0].score).toBeLessThanOrEqual(1);
    expect(['yes', 'no']).toContain(response.predictions[0].label);
  });

  it('retrains on the shifted v2 batch, records the new column, and serves the winner', async () => {
    await aws('s3', 'cp', info.builtInData.v2Path, `s3://${info.buckets.raw}/churn/`);
    const [latest] = await settledRuns(2);
    expect(latest.trigger.kind).toBe('upload');
    expect(latest.outcome).toMatch(/^(succeeded|rejected)$/);
    expect(latest.schemaChanges?.newColumns.map((c) => c.name)).toContain('time_spent_on_video_tutorials');
    const expected = latest.promoted ? latest.registeredVersion : 1;
    await waitFor(`version ${expected} to serve`, async () => (await servingVersion()) === expected);
    productionBefore = expected!;
  });

  it('fails a corrupt upload at validation with a reason naming the line, leaving production unchanged', async () => {
    await aws('s3', 'cp', info.builtInData.corruptPath, `s3://${info.buckets.raw}/churn/`);
    const [latest] = await settledRuns(3);
    expect(latest.outcome).toBe('failed');
    expect(latest.failure?.step).toBe('validate');
    expect(latest.failure?.reason).toMatch(/churn-corrupt\.csv.*line 3/);
    expect(await servingVersion()).toBe(productionBefore);
  });

  it('reports drift on shifted traffic and starts a retrain', async () => {
    // Traffic unlike anything the serving model trained on: every number doubled, one plan, one region.
    const v2 = parseCsv(readFileSync(info.builtInData.v2Path, 'utf8'));
    const shift = (name: string, value: string): string | number => {
      if (name === 'plan') return 'premium';
      if (name === 'region') return 'north';
      const number = Number(value);
      return value.trim() !== '' && !Number.isNaN(number) ? number * 2 + 1 : value;
    };
    const instances = Array.from({ length: 600 }, (_, row) =>
      Object.fromEntries(
        v2.columnNames
          .map((name, c) => [name, v2.columns[c][row]] as const)
          .filter(([name, value]) => name !== 'customer_id' && name !== 'churned' && value !== null)
          .map(([name, value]) => [name, shift(name, String(value))]),
      ),
    );
    for (let i = 0; i < instances.length; i += 100) {
      await curl(
        '-X',
        'POST',
        `${info.httpUrl}/churn/predict`,
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ instances: instances.slice(i, i + 100) }),
      );
    }
    const summary = JSON.parse(await mlops('drift', 'run', 'churn', '--json'));
    expect(summary.status).toBe('checked');
    expect(summary.rows).toBeGreaterThanOrEqual(600);
    expect(summary.datasetDrift || summary.suggestsRetrain).toBe(true);
    expect(summary.retrain.status).toBe('started');
    const [latest] = await settledRuns(4);
    expect(latest.trigger.kind).toBe('drift');
  });

  it('restarts with models, versions, aliases and data intact', async () => {
    const versionsBefore = JSON.parse(await mlops('versions', 'churn', '--json'));
    const serving = await servingVersion();
    await stopPlatform();
    await startPlatform();
    expect(JSON.parse(await mlops('versions', 'churn', '--json'))).toEqual(versionsBefore);
    await waitFor('the same version to serve after the restart', async () => (await servingVersion()) === serving);
    const listing = await aws('s3', 'ls', `s3://${info.buckets.raw}/churn/`);
    expect(listing).toContain('churn-v1.csv');
    expect(listing).toContain('churn-v2.csv');
    expect(await runs()).toHaveLength(4);
  });

  it('rolls back: production moves to the previous version and the endpoint serves it', async () => {
    const before = await servingVersion();
    const rolled = JSON.parse(await mlops('rollback', 'churn', '--json'));
    expect(rolled.moved).toBe(true);
    expect(rolled.previousVersion).toBe(before);
    expect(rolled.version).not.toBe(before);
    await waitFor(`version ${rolled.version} to serve`, async () => (await servingVersion()) === rolled.version);
  });

  /** The endpoint's scores for these instances: the reference the other scoring paths must match exactly. */
  async function endpointScores(instances: Array<Record<string, unknown>>): Promise<number[]> {
    const body = JSON.stringify({ instances });
    const response = JSON.parse(
      await curl('-X', 'POST', `${info.httpUrl}/churn/predict`, '-H', 'content-type: application/json', '-d', body),
    );
    return response.predictions.map((p: { score: number }) => p.score);
  }

  function v2Instances(count: number): Array<Record<string, unknown>> {
    const v2 = parseCsv(readFileSync(info.builtInData.v2Path, 'utf8'));
    return Array.from({ length: count }, (_, row) =>
      Object.fromEntries(
        v2.columnNames
          .map((name, c) => [name, v2.columns[c][row]] as const)
          .filter(([name, value]) => name !== 'churned' && value !== null)
          .map(([name, value]) => [
            name,
            name !== 'customer_id' && !Number.isNaN(Number(value)) ? Number(value) : value,
          ]),
      ),
    );
  }

  it('batch-scores files in S3 with the production model, agreeing with the endpoint to the last bit', async () => {
    const instances = v2Instances(200);
    const header = Object.keys(instances[0]);
    const csv = [
      header.join(','),
      ...instances.map((row) => header.map((name) => String(row[name] ?? '')).join(',')),
    ].join('\n');
    const file = join(dataDir, 'to-score.csv');
    writeFileSync(file, `${csv}\n`);
    await aws('s3', 'cp', file, `s3://${info.buckets.curated}/churn/score/input/customers.csv`);
    await mlops(
      'score',
      '--model',
      'churn',
      '--input',
      `s3://${info.buckets.curated}/churn/score/input/`,
      '--out',
      `s3://${info.buckets.curated}/churn/score/output/`,
    );
    const outFile = join(dataDir, 'scored.csv');
    await aws('s3', 'cp', `s3://${info.buckets.curated}/churn/score/output/customers.scored.csv`, outFile);
    const scored = parseCsv(readFileSync(outFile, 'utf8'));
    const batchScores = scored.columns[scored.columnNames.indexOf('score')].map(Number);
    expect(scored.columns[scored.columnNames.indexOf('customer_id')]).toEqual(instances.map((row) => row.customer_id));
    expect(batchScores).toEqual(await endpointScores(instances.map(({ customer_id: _c, ...rest }) => rest)));
  });

  it('scores a stream of records through the stream scorer, agreeing with the endpoint to the last bit', async () => {
    const instances = v2Instances(50).map(({ customer_id: _c, ...rest }) => rest);
    const file = join(dataDir, 'events.jsonl');
    writeFileSync(file, `${[...instances.map((row) => JSON.stringify(row)), 'not json'].join('\n')}\n`);
    await mlops('stream', 'put', '--model', 'churn', '--file', file);
    const folder = join(dataDir, 'stream-results');
    await aws('s3', 'cp', '--recursive', `s3://${info.buckets.monitoring}/stream/churn/`, folder);
    const read = (sub: string) =>
      readdirSync(join(folder, sub)).flatMap((name) =>
        readFileSync(join(folder, sub, name), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      );
    const results = read('results').sort((a, b) => (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1));
    expect(results).toHaveLength(50);
    expect(results.map((r) => r.predictions[0].score)).toEqual(await endpointScores(instances));
    const deadLetters = read('dead-letters');
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0].reason).toMatch(/JSON/);
  });
});
