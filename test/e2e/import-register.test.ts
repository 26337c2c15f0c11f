/**
 * An externally produced artifact enters production through the retraining workflow's gate, on
 * the local platform: the real state machine (Validate -> TrainOrAdopt -> Adopt -> Evaluate ->
 * Gate -> Register), the local S3, the `mlops` command line built as `npm ci` builds it, the AWS
 * CLI and curl. The artifacts are made by `mlops train` on files the platform never trained on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCsv } from '../../core/data/csv';
import { buildCli } from '../../lib/bundles';
import { settleRuns, startTestPlatform, type TestPlatform } from '../support/local-platform';
import { requireTool, TOOLS } from '../support/tools';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const AWS_CLI = requireTool(TOOLS.aws, 'the import-register end-to-end test') ?? '';
const CURL = requireTool(TOOLS.curl, 'the import-register end-to-end test') ?? '';
const describeWithTools = AWS_CLI && CURL ? describe : describe.skip;

let test: TestPlatform;
let work: string;

interface RunRecord {
  runId: string;
  trigger: { kind: string };
  outcome: string;
  registeredVersion: number | null;
  promoted?: boolean;
  gate?: { decision: string; championVersion: number | null; reason: string };
  imported?: { source: string; importKey: string };
  failure?: { step: string; reason: string };
}

interface VersionRow {
  version: number;
  approval: string;
  aliases: string[];
  dataSha256: string | null;
  origin: string;
}

async function mlops(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/mlops.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, MLOPS_LOCAL_DIR: test.dataDir },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The command's exit code and its stderr, for commands expected to fail. */
async function mlopsFailing(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await mlops(...args);
    return { code: 0, stderr: '' };
  } catch (error) {
    const failure = error as { code: number; stderr: string };
    return { code: failure.code, stderr: failure.stderr };
  }
}

async function aws(...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', args.shift()!, ...args], { env });
  return stdout;
}

async function predict(instance: Record<string, unknown>): Promise<{ version: number; score: number }> {
  const { stdout } = await run(CURL, [
    '-sS',
    '--max-time',
    '30',
    '-X',
    'POST',
    `${test.platform.info.httpUrl}/churn/predict`,
    '-H',
    'content-type: application/json',
    '-d',
    JSON.stringify({ instances: [instance] }),
  ]);
  const body = JSON.parse(stdout);
  return { version: body.model.version, score: body.predictions[0].score };
}

async function waitForServing(version: number): Promise<void> {
  const instance = test.platform.info.builtInData.exampleInstance;
  for (let attempt = 0; attempt < 60; attempt++) {
    if ((await predict(instance)).version === version) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`version ${version} never served`);
}

async function runOf(runId: string): Promise<RunRecord> {
  const runs = JSON.parse(await mlops('runs', 'churn', '--json')) as RunRecord[];
  const found = runs.find((record) => record.runId === runId);
  if (!found) throw new Error(`no run ${runId} in ${JSON.stringify(runs.map((record) => record.runId))}`);
  return found;
}

async function versions(): Promise<VersionRow[]> {
  return JSON.parse(await mlops('versions', 'churn', '--json'));
}

/** `mlops register`, then the run it started, once it and anything it started have ended. */
async function register(artifactDir: string): Promise<RunRecord> {
  const runId = (await mlops('register', 'churn', '--artifact', artifactDir)).trim();
  await settleRuns(test.platform, 500);
  return runOf(runId);
}

/** CSV text; the built-in data's values hold no commas, quotes or line breaks. */
function csvText(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  return `${[columns, ...rows].map((row) => row.join(',')).join('\n')}\n`;
}

/** A copy of the built-in v1 data with a change, written to the work folder. */
function variantOfV1(name: string, change: (columns: string[], rows: string[][]) => void): string {
  const table = parseCsv(readFileSync(test.platform.info.builtInData.v1Path, 'utf8'));
  const columns = [...table.columnNames];
  const rows = Array.from({ length: table.rowCount }, (_, row) =>
    table.columns.map((column) => (column[row] === null ? '' : String(column[row]))),
  );
  change(columns, rows);
  const file = join(work, name);
  writeFileSync(file, csvText(columns, rows));
  return file;
}

async function train(data: string, out: string, ...options: string[]): Promise<string> {
  const dir = join(work, out);
  await mlops('train', '--data', data, '--target', 'churned', '--positive', 'yes', '--out', dir, ...options);
  return dir;
}

describeWithTools('registering an imported artifact on the local platform', () => {
  beforeAll(async () => {
    buildCli();
    work = mkdtempSync(join(tmpdir(), 'mlops-import-register-'));
    test = await startTestPlatform({
      project: 'import-register',
      batchingWindowMs: 200,
      model: { endpoint: { modelRefreshSeconds: 1 } },
    });
    // production: version 1, trained by the platform (linear) on the built-in v1 data
    await aws(
      test.platform.info.s3Endpoint,
      's3',
      'cp',
      test.platform.info.builtInData.v1Path,
      `s3://${test.platform.info.buckets.raw}/churn/`,
    );
    await settleRuns(test.platform, 500);
    await waitForServing(1);
  }, 300_000);

  afterAll(async () => {
    test?.client.destroy();
    await test?.platform.close();
  });

  it('gates a better artifact against the champion, promotes it, and the endpoint serves it', async () => {
    // given a gradient-boosted model trained outside the platform by `mlops train`
    const better = await train(
      test.platform.info.builtInData.v1Path,
      'better',
      '--learner',
      'gbdt',
      '--time-budget',
      '0',
    );
    // when
    const record = await register(better);
    // then the gate compared it with version 1 and production moved to it
    expect(record).toMatchObject({
      trigger: { kind: 'import' },
      outcome: 'succeeded',
      registeredVersion: 2,
      promoted: true,
    });
    expect(record.gate).toMatchObject({ decision: 'promote', championVersion: 1 });
    expect(record.imported).toMatchObject({
      source: 'external artifact',
      importKey: `imports/churn/${record.runId}/model.json`,
    });
    const listed = await versions();
    expect(listed.at(-1)).toMatchObject({
      version: 2,
      approval: 'approved',
      aliases: ['production'],
      dataSha256: null,
      origin: 'imported external artifact',
    });
    expect(listed[0]).toMatchObject({ version: 1, origin: 'trained' });
    // and the endpoint serves it, scoring as the artifact itself does
    await waitForServing(2);
    const instance = test.platform.info.builtInData.exampleInstance;
    const served = await predict(instance);
    const row = join(work, 'one-row.csv');
    const columns = Object.keys(instance);
    writeFileSync(row, csvText(columns, [columns.map((name) => String(instance[name] ?? ''))]));
    await mlops('predict', '--model', better, '--data', row, '--out', join(work, 'one-row.scored.csv'));
    const scored = parseCsv(readFileSync(join(work, 'one-row.scored.csv'), 'utf8'));
    expect(served.score).toBe(Number(scored.columns[scored.columnNames.indexOf('score')][0]));
  }, 300_000);

  it('rejects a worse artifact and leaves production untouched', async () => {
    // given a model trained on v1 with its labels shuffled: it has learnt nothing
    const shuffled = variantOfV1('shuffled.csv', (columns, rows) => {
      const target = columns.indexOf('churned');
      for (let row = 0; row < rows.length; row++) {
        const other = (row * 7919) % rows.length;
        [rows[row][target], rows[other][target]] = [rows[other][target], rows[row][target]];
      }
    });
    const worse = await train(shuffled, 'worse', '--learner', 'linear');
    // when
    const record = await register(worse);
    // then
    expect(record).toMatchObject({ outcome: 'rejected', registeredVersion: 3, promoted: false });
    expect(record.gate).toMatchObject({ decision: 'reject', championVersion: 2 });
    const listed = await versions();
    expect(listed.at(-1)).toMatchObject({ version: 3, approval: 'pending', aliases: [] });
    expect(listed.find((row) => row.aliases.includes('production'))?.version).toBe(2);
    expect((await predict(test.platform.info.builtInData.exampleInstance)).version).toBe(2);
  }, 300_000);

  it('fails the run at the adopt step, with its reason, for an artifact that predicts another column', async () => {
    // given a model of the same data whose target column is called "left"
    const renamed = variantOfV1('renamed.csv', (columns) => {
      columns[columns.indexOf('churned')] = 'left';
    });
    const dir = join(work, 'other-target');
    await mlops(
      'train',
      '--data',
      renamed,
      '--target',
      'left',
      '--positive',
      'yes',
      '--out',
      dir,
      '--learner',
      'linear',
    );
    // when
    const record = await register(dir);
    // then
    expect(record.outcome).toBe('failed');
    expect(record.failure).toEqual({
      step: 'adopt',
      reason: expect.stringMatching(
        /^ArtifactError: imported artifact s3:\/\/\S+ predicts "left", but model churn predicts "churned"; import it with --target churned/,
      ),
    });
    expect((await versions()).map((row) => row.version)).toEqual([1, 2, 3]);
    expect((await predict(test.platform.info.builtInData.exampleInstance)).version).toBe(2);
  }, 300_000);

  it('fails a run started with the AWS CLI on an upload that is not an artifact, naming why', async () => {
    // given a file that is not JSON, uploaded under the import prefix by any S3 client
    const { info } = test.platform;
    const key = 'imports/churn/by-hand/model.json';
    const file = join(work, 'not-an-artifact.json');
    writeFileSync(file, 'booster[0]:\n0:[f0<0.5] yes=1,no=2\n');
    await aws(info.s3Endpoint, 's3', 'cp', file, `s3://${info.buckets.artifacts}/${key}`);
    // when the workflow is started with its key, as mlops register would
    const input = { model: 'churn', trigger: { kind: 'import', objects: [] }, candidateKey: key };
    await aws(
      info.awsEndpoint,
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      info.models[0].stateMachineArn,
      '--name',
      'by-hand-import',
      '--input',
      JSON.stringify(input),
    );
    await settleRuns(test.platform, 500);
    // then
    const record = await runOf('by-hand-import');
    expect(record.failure).toEqual({
      step: 'adopt',
      reason: expect.stringMatching(
        /imported artifact s3:\/\/\S+\/imports\/churn\/by-hand\/model\.json is not valid JSON/,
      ),
    });
    expect((await versions()).map((row) => row.version)).toEqual([1, 2, 3]);
  }, 300_000);

  it('refuses a file that is not an artifact before uploading anything', async () => {
    const file = join(work, 'model.ubj');
    writeFileSync(file, Buffer.from([0x7b, 0x55, 0x07, 0x6c]));
    const before = await aws(
      test.platform.info.s3Endpoint,
      's3',
      'ls',
      '--recursive',
      `s3://${test.platform.info.buckets.artifacts}/imports/churn/`,
    );
    const result = await mlopsFailing('register', 'churn', '--artifact', file);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('model.ubj is not valid JSON')]);
    const after = await aws(
      test.platform.info.s3Endpoint,
      's3',
      'ls',
      '--recursive',
      `s3://${test.platform.info.buckets.artifacts}/imports/churn/`,
    );
    expect(after).toBe(before);
  });
});
