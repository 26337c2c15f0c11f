import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, SQSEvent } from 'aws-lambda';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { modelConfigToEnv, RUNTIME_ENV } from '../../core/config/runtime-env';
import { ModelRegistry } from '../../core/registry/registry';
import { listRuns, readRunRecord } from '../../core/runs/run-record';
import { pendingMarkersPrefix } from '../../core/trigger/pending-markers';
import type {
  EvaluationResult,
  ExecutionInput,
  RegistrationResult,
  ValidationResult,
} from '../../core/workflow/contract';
import { ZONE_ENV } from '../../core/workflow/layout';
import type * as EvaluateModule from '../../lambdas/evaluate-model/handler';
import type * as RecordFailureModule from '../../lambdas/record-failure/handler';
import type { FailureSummary } from '../../lambdas/record-failure/record-failure';
import type * as RegisterModule from '../../lambdas/register-model/handler';
import type * as TriggerModule from '../../lambdas/retrain-trigger/handler';
import type * as ValidateModule from '../../lambdas/validate-data/handler';
import { at, objectCreated } from '../core/trigger/events';
import { type LocalS3Harness, startLocalS3Harness } from '../support/local-s3-harness';
import { StepFunctionsStandIn } from './fixtures/sfn-stand-in';
import {
  BUCKETS,
  churnData,
  churnModel,
  MODEL,
  STRONG_FEATURES,
  trainAsContainer,
  USELESS_FEATURES,
  uploadInput,
  WEAK_FEATURES,
  type Zones,
} from './fixtures/workflow';

/**
 * The deployed handlers end to end, as the state machine calls them: configuration from the
 * environment the CDK app sets, the real @aws-sdk/client-s3 against the local S3 endpoint
 * (conditional writes enforced), registry events to a loopback EventBridge, the trainer entry
 * between validate and evaluate as the Batch job runs it. The tests continue one story: each
 * run starts from the registry the previous one left.
 */
type Handler<O> = (event: unknown, context: Context) => Promise<O>;

const context = {
  awsRequestId: 'req-1',
  functionName: 'step',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:step',
  memoryLimitInMB: '1769',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:churn-retraining';

let harness: LocalS3Harness;
let zones: Zones;
let eventBridge: { server: Server; entries: Record<string, string>[] };
let stepFunctions: StepFunctionsStandIn;
let validate: Handler<ValidationResult>;
let evaluate: Handler<EvaluationResult>;
let register: Handler<RegistrationResult>;
let recordFailure: Handler<FailureSummary>;
let trigger: Handler<{ batchItemFailures: { itemIdentifier: string }[] }>;
const savedEnv = { ...process.env };

function startEventBridge(): Promise<{ server: Server; entries: Record<string, string>[] }> {
  const entries: Record<string, string>[] = [];
  const server = createServer((request, reply) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      entries.push(...JSON.parse(body).Entries);
      reply
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: String(entries.length) }] }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, entries })));
}

beforeAll(async () => {
  harness = await startLocalS3Harness(Object.values(BUCKETS));
  eventBridge = await startEventBridge();
  stepFunctions = new StepFunctionsStandIn();
  await stepFunctions.start();
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: harness.server.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(eventBridge.server.address() as AddressInfo).port}`,
    AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    [RUNTIME_ENV.modelConfig]: modelConfigToEnv(churnModel()),
    [RUNTIME_ENV.eventBusName]: 'mlops-registry',
    [RUNTIME_ENV.stateMachines]: JSON.stringify({ [MODEL]: STATE_MACHINE }),
    [ZONE_ENV.raw]: BUCKETS.raw,
    [ZONE_ENV.curated]: BUCKETS.curated,
    [ZONE_ENV.artifacts]: BUCKETS.artifacts,
  });
  // Loaded after the environment is set, as Lambda loads a function into a prepared container.
  validate = (require('../../lambdas/validate-data/handler') as typeof ValidateModule)
    .handler as Handler<ValidationResult>;
  evaluate = (require('../../lambdas/evaluate-model/handler') as typeof EvaluateModule)
    .handler as Handler<EvaluationResult>;
  register = (require('../../lambdas/register-model/handler') as typeof RegisterModule)
    .handler as Handler<RegistrationResult>;
  recordFailure = (require('../../lambdas/record-failure/handler') as typeof RecordFailureModule)
    .handler as Handler<FailureSummary>;
  trigger = (require('../../lambdas/retrain-trigger/handler') as typeof TriggerModule).handler as Handler<{
    batchItemFailures: { itemIdentifier: string }[];
  }>;
  zones = {
    raw: new S3ObjectStore(harness.client, BUCKETS.raw),
    curated: new S3ObjectStore(harness.client, BUCKETS.curated),
    artifacts: new S3ObjectStore(harness.client, BUCKETS.artifacts),
  };
});

afterAll(async () => {
  process.env = savedEnv;
  await stepFunctions.stop();
  await new Promise((resolve) => eventBridge.server.close(resolve));
  await harness.stop();
});

/** The state machine's happy path: each result lands under its own key of the state. */
async function runWorkflow(dataKey: string, csv: string, features: readonly string[]) {
  await zones.raw.put(dataKey, csv);
  const input: ExecutionInput = uploadInput(dataKey);
  const validation = await validate(input, context);
  const training = await trainAsContainer(zones, validation, { learner: 'linear', features });
  expect(training.exitCode).toBe(0);
  const afterTraining = { ...input, validation, training: { jobId: 'job', status: 'SUCCEEDED' } };
  const evaluation = await evaluate(afterTraining, context);
  const registration = await register({ ...afterTraining, evaluation }, context);
  return { validation, evaluation, registration };
}

/** The state after Step Functions caught a Lambda function error into `$.error`. */
function caughtLambdaError(state: object, error: Error): object {
  return {
    ...state,
    error: {
      Error: error.name,
      Cause: JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }),
    },
  };
}

const registry = () => new ModelRegistry({ store: zones.artifacts });

describe('retraining handlers against the local S3 endpoint', () => {
  it('trains a first model from an upload and makes it production', async () => {
    // given
    const csv = churnData(800, 21);
    // when
    const run = await runWorkflow('churn/2026-11-01.csv', csv, WEAK_FEATURES);
    // then
    expect(run.evaluation).toMatchObject({ decision: 'promote', championVersion: null });
    expect(run.registration).toEqual({ version: 1, promoted: true, productionVersion: 1, outcome: 'promoted' });
    expect((await registry().resolveAlias(MODEL, 'production'))?.version).toBe(1);
    expect(await readRunRecord(zones.artifacts, MODEL, run.validation.runId)).toMatchObject({
      outcome: 'succeeded',
      registeredVersion: 1,
      gate: { decision: 'promote' },
    });
    expect(eventBridge.entries.map((entry) => [entry.EventBusName, entry.Source, entry.DetailType])).toEqual([
      ['mlops-registry', 'mlops.registry', 'ModelVersionRegistered'],
      ['mlops-registry', 'mlops.registry', 'ModelAliasMoved'],
    ]);
  });

  it('promotes a better candidate trained on new data', async () => {
    // given
    const csv = churnData(800, 22);
    // when
    const run = await runWorkflow('churn/2026-11-02.csv', csv, STRONG_FEATURES);
    // then
    expect(run.validation.championVersion).toBe(1);
    expect(run.evaluation.decision).toBe('promote');
    expect(run.evaluation.candidateScore - run.evaluation.championScore!).toBeGreaterThanOrEqual(0.005);
    expect(run.registration).toEqual({ version: 2, promoted: true, productionVersion: 2, outcome: 'promoted' });
  });

  it('registers a worse candidate without moving production', async () => {
    // given
    const csv = churnData(800, 23);
    // when
    const run = await runWorkflow('churn/2026-11-03.csv', csv, USELESS_FEATURES);
    // then
    expect(run.evaluation).toMatchObject({ decision: 'reject', championVersion: 2 });
    expect(run.registration).toEqual({ version: 3, promoted: false, productionVersion: 2, outcome: 'rejected' });
    expect((await registry().getVersion(MODEL, 3))?.approval.status).toBe('pending');
    expect((await readRunRecord(zones.artifacts, MODEL, run.validation.runId))?.outcome).toBe('rejected');
  });

  it('records data that cannot train as a failed run and leaves production unchanged', async () => {
    // given
    await zones.raw.put('churn/2026-11-04.csv', 'age,plan,churned\n');
    const input = uploadInput('churn/2026-11-04.csv');
    const error = await validate(input, context).catch((caught: Error) => caught);
    // when
    const summary = await recordFailure(caughtLambdaError(input, error as Error), context);
    // then
    expect(error).toMatchObject({ name: 'DataError', message: 'churn/2026-11-04.csv has a header but no data rows' });
    expect(summary).toMatchObject({ failedStep: 'validate', outcome: 'failed', productionVersion: 2 });
    expect((await readRunRecord(zones.artifacts, MODEL, summary.runId))?.failure?.reason).toBe(
      'DataError: churn/2026-11-04.csv has a header but no data rows',
    );
    expect((await registry().resolveAlias(MODEL, 'production'))?.version).toBe(2);
    expect(await registry().listVersions(MODEL)).toHaveLength(3);
  });

  it("records a failed training job with the trainer's reason and leaves production unchanged", async () => {
    // given
    await zones.raw.put('churn/2026-11-05.csv', churnData(400, 24));
    const input = uploadInput('churn/2026-11-05.csv');
    const validation = await validate(input, context);
    const training = await trainAsContainer(zones, validation, { learner: 'linear', features: ['no_such_column'] });
    const cause = JSON.stringify({
      JobName: 'churn-training',
      Status: 'FAILED',
      StatusReason: 'Essential container in task exited',
      Container: { ExitCode: training.exitCode },
    });
    // when
    const summary = await recordFailure(
      { ...input, validation, error: { Error: 'States.TaskFailed', Cause: cause } },
      context,
    );
    // then
    expect(training.exitCode).toBe(2);
    expect(summary).toMatchObject({ failedStep: 'train', runId: validation.runId, productionVersion: 2 });
    expect(summary.reason).toMatch(
      /^training job churn-training FAILED: .*exit code 2 \(bad input, not retried\): .*no_such_column/,
    );
    expect((await registry().resolveAlias(MODEL, 'production'))?.version).toBe(2);
    expect((await listRuns(zones.artifacts, MODEL)).map((run) => run.outcome).sort()).toEqual([
      'failed',
      'failed',
      'rejected',
      'succeeded',
      'succeeded',
    ]);
  });

  it('rejects an event that does not match the step contract, naming the field', async () => {
    // given
    const event = { model: MODEL, validation: { runId: 'r1' } };
    // when
    const attempt = evaluate(event, context);
    // then
    await expect(attempt).rejects.toMatchObject({
      name: 'StepInputError',
      message: expect.stringContaining('validation.snapshotKey'),
    });
  });

  it('starts one execution for a burst of uploads and keeps later uploads for a follow-up run', async () => {
    // given
    const sqs = (events: unknown[], prefix: string): SQSEvent =>
      ({
        Records: events.map((event, index) => ({ messageId: `${prefix}-${index}`, body: JSON.stringify(event) })),
      }) as SQSEvent;
    const burst = sqs(
      Array.from({ length: 20 }, (_, index) => objectCreated(`churn/burst-${index}.csv`, at(index), BUCKETS.raw)),
      'burst',
    );
    // when
    const first = await trigger(burst, context);
    const later = await trigger(sqs([objectCreated('churn/later.csv', at(30), BUCKETS.raw)], 'later'), context);
    const broken = await trigger({ Records: [{ messageId: 'broken', body: 'not json' }] }, context);
    // then
    expect(first.batchItemFailures).toEqual([]);
    expect(later.batchItemFailures).toEqual([]);
    expect(broken.batchItemFailures).toEqual([{ itemIdentifier: 'broken' }]);
    const started = [...stepFunctions.executions.values()];
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0]!.input)).toMatchObject({ model: MODEL, dataKey: 'churn/burst-19.csv' });
    expect(await zones.artifacts.list(pendingMarkersPrefix(MODEL))).toHaveLength(1);
  });
});
