import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Zone } from '../../core/workflow/layout';
import { type LocalBatchRules, startLocalBatchRules } from '../../local/batch-rules';

/**
 * The local Batch rules against a small template of the synthesized shape, whose image asset is
 * a stand-in bundle: a script that records each run (arguments and Batch's environment) and
 * exits as the run's arguments ask, so retries, array children and timeouts are observable.
 */
const HASH = 'ab'.repeat(32);
const BUCKETS: Record<Zone, string> = { raw: 'l-raw', curated: 'l-curated', artifacts: 'l-art', monitoring: 'l-mon' };

const BUNDLE = `
const { appendFileSync } = require('node:fs');
const argv = process.argv.slice(2);
const env = process.env;
appendFileSync(env.RUNS_FILE, JSON.stringify({ argv, attempt: env.AWS_BATCH_JOB_ATTEMPT, index: env.AWS_BATCH_JOB_ARRAY_INDEX,
  bucket: env.MLOPS_CURATED_BUCKET, s3: env.AWS_ENDPOINT_URL_S3 }) + '\\n');
const input = argv[argv.indexOf('--input') + 1];
if (input.includes('fail-once') && env.AWS_BATCH_JOB_ATTEMPT === '1' && env.AWS_BATCH_JOB_ARRAY_INDEX !== '0') process.exit(75);
if (input.includes('bad')) process.exit(2);
if (input.includes('slow')) setTimeout(() => undefined, 30000);
`;

function template(input: string, attemptSeconds = 60) {
  const target = (extra: Record<string, unknown>) => ({
    Arn: 'arn:aws:batch:us-east-1:123456789012:job-queue/Queue',
    Id: 'Target0',
    BatchParameters: { JobDefinition: { Ref: 'ScoreJob' }, JobName: 'score-m', ...extra },
  });
  return {
    Resources: {
      CuratedBucket: { Type: 'AWS::S3::Bucket' },
      ScoreJob: {
        Type: 'AWS::Batch::JobDefinition',
        Properties: {
          ContainerProperties: {
            Command: ['score', '--model', 'm', '--input', 'Ref::input', '--shards', 'Ref::shards'],
            Environment: [{ Name: 'MLOPS_CURATED_BUCKET', Value: { Ref: 'CuratedBucket' } }],
            Image: { 'Fn::Sub': `\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/assets:${HASH}` },
          },
          Parameters: { input, shards: '2' },
          RetryStrategy: {
            Attempts: 3,
            EvaluateOnExit: [
              { Action: 'RETRY', OnExitCode: '75' },
              { Action: 'EXIT', OnReason: '*' },
            ],
          },
          Timeout: { AttemptDurationSeconds: attemptSeconds },
        },
      },
      Schedule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'cron(0 2 * * ? *)',
          State: 'ENABLED',
          Targets: [target({ ArrayProperties: { Size: 2 } })],
        },
      },
      Upload: {
        Type: 'AWS::Events::Rule',
        Properties: {
          State: 'ENABLED',
          EventPattern: {
            source: ['aws.s3'],
            'detail-type': ['Object Created'],
            detail: { bucket: { name: [{ Ref: 'CuratedBucket' }] }, object: { key: [{ prefix: 'm/score/input/' }] } },
          },
          Targets: [
            {
              ...target({}),
              InputTransformer: {
                InputPathsMap: { b: '$.detail.bucket.name', k: '$.detail.object.key' },
                InputTemplate: '{"input":"s3://<b>/<k>","shards":"1"}',
              },
            },
          ],
        },
      },
    },
  };
}

let dir: string;
let rules: LocalBatchRules | undefined;
const s3Events = new EventEmitter();
const lines: string[] = [];

function start(input: string, attemptSeconds?: number): LocalBatchRules {
  rules = startLocalBatchRules({
    synth: {
      template: template(input, attemptSeconds),
      bucketLogicalIds: { raw: 'RawBucket', curated: 'CuratedBucket', artifacts: 'ArtBucket', monitoring: 'MonBucket' },
    },
    buckets: BUCKETS,
    outdir: join(dir, 'cdk.out'),
    code: 'bundles',
    awsEnvironment: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', RUNS_FILE: join(dir, 'runs.jsonl') },
    logDir: dir,
    log: (line) => lines.push(line),
    s3Events,
  });
  return rules;
}

const runs = () =>
  readFileSync(join(dir, 'runs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { argv: string[]; attempt: string; index?: string; bucket: string; s3: string });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'batch-rules-'));
  mkdirSync(join(dir, 'cdk.out', `asset.${HASH}`), { recursive: true });
  writeFileSync(join(dir, 'cdk.out', `asset.${HASH}`, 'index.js'), BUNDLE);
  writeFileSync(join(dir, 'runs.jsonl'), '');
  lines.length = 0;
});

afterEach(async () => {
  await rules?.close();
  rules = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('startLocalBatchRules', () => {
  it('runs the scheduled job now as an array of two children of the staged bundle, retrying exit 75 once', async () => {
    // given a schedule whose job's child 1 exits 75 on its first attempt
    const local = start('s3://l-curated/m/score/input/fail-once');
    // when the scheduled job is started by hand
    const job = await local.runScheduled('m');
    // then both children succeed, child 1 on its second attempt, with the job definition's environment
    expect(job.status).toBe('SUCCEEDED');
    expect(job.children).toEqual([
      { arrayIndex: 0, exitCode: 0, attempts: 1 },
      { arrayIndex: 1, exitCode: 0, attempts: 2 },
    ]);
    const recorded = runs();
    expect(recorded.map((run) => [run.index, run.attempt]).sort()).toEqual([
      ['0', '1'],
      ['1', '1'],
      ['1', '2'],
    ]);
    expect(recorded[0]).toMatchObject({ bucket: 'l-curated', s3: 'http://127.0.0.1:1' });
    expect(recorded[0]!.argv).toEqual([
      'score',
      '--model',
      'm',
      '--input',
      's3://l-curated/m/score/input/fail-once',
      '--shards',
      '2',
    ]);
    // and a cron schedule is left to AWS, with the command that runs it locally
    expect(lines[0]).toBe(`[m] score-m schedule "cron(0 2 * * ? *)" runs on AWS only; run 'mlops score run m' locally`);
  });

  it('submits one plain job per upload the pattern matches, with the object as its input, and none for other keys', async () => {
    const local = start('s3://l-curated/m/score/input/');
    // when an object is created under the prefix, another elsewhere, and one in another bucket
    s3Events.emit('object-created', {
      bucket: 'l-curated',
      key: 'm/score/input/a.csv',
      eventName: 'ObjectCreated:Put',
    });
    s3Events.emit('object-created', {
      bucket: 'l-curated',
      key: 'm/score/output/a.scored.csv',
      eventName: 'ObjectCreated:Put',
    });
    s3Events.emit('object-created', { bucket: 'l-raw', key: 'm/score/input/a.csv', eventName: 'ObjectCreated:Put' });
    await local.idle();
    // then one job ran, on that object, with one shard and no array index
    const recorded = runs();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.argv).toEqual([
      'score',
      '--model',
      'm',
      '--input',
      's3://l-curated/m/score/input/a.csv',
      '--shards',
      '1',
    ]);
    expect(recorded[0]!.index).toBeUndefined();
  });

  it('does not retry an exit the retry strategy sends to EXIT, and the job fails', async () => {
    const local = start('s3://l-curated/m/score/input/bad');
    const job = await local.runScheduled('m');
    expect(job.status).toBe('FAILED');
    expect(job.children.map((child) => [child.exitCode, child.attempts])).toEqual([
      [2, 1],
      [2, 1],
    ]);
  });

  it('stops an attempt at the job definition’s timeout and does not retry it', async () => {
    const local = start('s3://l-curated/m/score/input/slow', 1);
    const job = await local.runScheduled('m');
    expect(job.status).toBe('FAILED');
    expect(job.children.map((child) => [child.exitCode, child.attempts])).toEqual([
      [137, 1],
      [137, 1],
    ]);
    expect(readFileSync(join(dir, 'score-m.log'), 'utf8')).toContain('attempt 1 exited 137 (timed out); not retried');
  });

  it('refuses to run a schedule the model does not have', async () => {
    const local = start('s3://l-curated/m/score/input/');
    await expect(local.runScheduled('other')).rejects.toThrow('model "other" has no batch-scoring schedule');
  });
});
