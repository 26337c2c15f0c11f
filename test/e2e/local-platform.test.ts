/**
 * The product end to end on the local platform, driven by real clients: the AWS CLI for uploads,
 * curl for predictions, the `mlops` command line for the registry, drift and rollback. The
 * platform runs as `mlops local start` in a child process (the same command as `npm start`), on
 * free loopback ports, with its data in a temporary folder.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
      '--kinesis-port',
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

  /** The AWS CLI against the local Kinesis. */
  async function kinesisCli(...args: string[]): Promise<string> {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const { stdout } = await run(AWS_CLI, ['--endpoint-url', info.kinesisEndpoint!, 'kinesis', ...args], { env });
    return stdout;
  }

  /** Every record on a stream so far, read with `aws kinesis get-records` from each shard's start. */
  async function streamRecords(stream: string): Promise<Array<{ PartitionKey: string; data: string }>> {
    const shards = (
      await kinesisCli('list-shards', '--stream-name', stream, '--query', 'Shards[].ShardId', '--output', 'text')
    )
      .trim()
      .split(/\s+/);
    const records: Array<{ PartitionKey: string; data: string }> = [];
    for (const shard of shards) {
      let iterator = (
        await kinesisCli(
          'get-shard-iterator',
          '--stream-name',
          stream,
          '--shard-id',
          shard,
          '--shard-iterator-type',
          'TRIM_HORIZON',
          '--query',
          'ShardIterator',
          '--output',
          'text',
        )
      ).trim();
      for (;;) {
        const page = JSON.parse(await kinesisCli('get-records', '--shard-iterator', iterator)) as {
          Records: Array<{ PartitionKey: string; Data: string }>;
          NextShardIterator?: string;
        };
        records.push(
          ...page.Records.map((r) => ({
            PartitionKey: r.PartitionKey,
            data: Buffer.from(r.Data, 'base64').toString('utf8'),
          })),
        );
        if (page.Records.length === 0 || !page.NextShardIterator) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  }

  function onFailureMessages(): Array<Record<string, unknown>> {
    const file = info.models[0]!.stream!.onFailureFile!;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(JSON.parse(line).body));
  }

  it('names the Kinesis endpoint and the streams in `mlops local info --json`', async () => {
    const described = JSON.parse(await mlops('local', 'info', '--json', '--data-dir', dataDir)) as PlatformInfo;
    expect(described.kinesisEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(described.models[0]!.stream).toEqual({
      inputStream: expect.stringMatching(/^churnStreamingScoringInput/),
      outputStream: expect.stringMatching(/^churnStreamingScoringOutput/),
      onFailureQueueUrl: expect.stringContaining('/123456789012/churnStreamingScoringDeadLetters'),
      onFailureFile: expect.stringContaining(join(dataDir, 'sqs')),
    });
  });

  it('scores records put on the input stream with the AWS CLI onto the output stream, equal to the endpoint to the last bit', async () => {
    const stream = info.models[0]!.stream!;
    const instances = v2Instances(40).map(({ customer_id: _c, ...rest }) => rest);
    // Three with `aws kinesis put-record`, the rest with `mlops stream put` (PutRecords; keys are line numbers).
    for (const [index, instance] of instances.slice(0, 3).entries()) {
      await kinesisCli(
        'put-record',
        '--stream-name',
        stream.inputStream,
        '--partition-key',
        `cli-${index}`,
        '--cli-binary-format',
        'raw-in-base64-out',
        '--data',
        JSON.stringify(instance),
      );
    }
    const file = join(dataDir, 'events.jsonl');
    writeFileSync(file, `${[...instances.slice(3).map((row) => JSON.stringify(row)), 'not json'].join('\n')}\n`);
    await mlops('stream', 'put', '--model', 'churn', '--file', file);
    const keyOf = (index: number) => (index < 3 ? `cli-${index}` : String(index - 3 + 1));
    const results = await waitFor('40 results on the output stream', async () => {
      const found = await streamRecords(stream.outputStream!);
      return found.length >= 40 ? found : undefined;
    });
    expect(results).toHaveLength(40);
    const scoreByKey = new Map(results.map((r) => [r.PartitionKey, JSON.parse(r.data).predictions[0].score as number]));
    expect(instances.map((_, index) => scoreByKey.get(keyOf(index)))).toEqual(await endpointScores(instances));
    // The record that is not JSON went to the dead-letter queue from the function itself.
    const badRecord = await waitFor('the bad record in the queue', async () =>
      onFailureMessages().find((m) => m.kind === 'mlops-stream-bad-record'),
    );
    expect(badRecord.reason).toMatch(/JSON/);
    expect(badRecord.partitionKey).toBe(String(instances.length - 3 + 1));
  });

  it('sends a batch whose output keeps failing to the on-failure queue after the retries, then moves on', async () => {
    const stream = info.models[0]!.stream!;
    // The output stream goes away: every result write fails and the function reports each record failed.
    await kinesisCli('delete-stream', '--stream-name', stream.outputStream!);
    const put = JSON.parse(
      await kinesisCli(
        'put-record',
        '--stream-name',
        stream.inputStream,
        '--partition-key',
        'doomed',
        '--cli-binary-format',
        'raw-in-base64-out',
        '--data',
        JSON.stringify(v2Instances(1).map(({ customer_id: _c, ...rest }) => rest)[0]),
      ),
    ) as { SequenceNumber: string; ShardId: string };
    const failure = await waitFor('the on-failure record', async () =>
      onFailureMessages().find(
        (m) => (m.requestContext as { condition?: string } | undefined)?.condition === 'RetryAttemptsExhausted',
      ),
    );
    // streaming.maxRetries is 2: three invocations, then Lambda's on-failure record (positions, no data).
    expect(failure.requestContext).toMatchObject({ approximateInvokeCount: 3 });
    expect(failure.KinesisBatchInfo).toMatchObject({
      shardId: put.ShardId,
      startSequenceNumber: put.SequenceNumber,
      endSequenceNumber: put.SequenceNumber,
      batchSize: 1,
      streamArn: expect.stringContaining(`:stream/${stream.inputStream}`),
    });
    expect(output).toMatch(/sent to the on-failure destination after 3 invocation/);
    // With the output stream back, the next record is scored: the shard moved past the discarded one.
    await kinesisCli('create-stream', '--stream-name', stream.outputStream!, '--shard-count', '1');
    await waitFor('the output stream to be active', async () =>
      (await kinesisCli('describe-stream-summary', '--stream-name', stream.outputStream!)).includes('ACTIVE'),
    );
    await kinesisCli(
      'put-record',
      '--stream-name',
      stream.inputStream,
      '--partition-key',
      'after',
      '--cli-binary-format',
      'raw-in-base64-out',
      '--data',
      JSON.stringify(v2Instances(1).map(({ customer_id: _c, ...rest }) => rest)[0]),
    );
    const after = await waitFor('the next record scored', async () =>
      (await streamRecords(stream.outputStream!)).find((r) => r.PartitionKey === 'after'),
    );
    expect(JSON.parse(after.data).predictions).toHaveLength(1);
  });
});
