/**
 * The synthesized retraining state machine, run by the local interpreter with stand-in tasks:
 * the failure path finishes whatever the failing step threw, even when recording the failure
 * fails too, Register is retried to completion after a transient error, and a window run hands
 * the trainer its training manifest.
 */
import { type SynthesizedPlatform, synthesizeTemplates } from '../../lib/synthesize';
import { runStateMachine, type TaskHandler } from '../../local/state-machine-runner';
import { churnOnly } from './helpers';

let platform: SynthesizedPlatform;
beforeAll(() => {
  platform = synthesizeTemplates(churnOnly);
});

const context = {
  Execution: { Id: 'arn:aws:states:us-east-1:1:execution:m:run-42', Name: 'run-42', StartTime: '2026-12-01T00:00:00Z' },
  StateMachine: { Id: 'arn:aws:states:us-east-1:1:stateMachine:m', Name: 'm' },
};

const validation = {
  runId: 'run-42',
  model: 'churn',
  dataKey: 'churn/a.csv',
  snapshotKey: 'churn/snapshots/a.csv',
  snapshotSha256: 'a'.repeat(64),
  trainingInputKey: 'churn/snapshots/a.csv',
  dataSha256: 'a'.repeat(64),
  rowCount: 100,
  columnCount: 5,
  schemaChanges: { newColumns: [], missingColumns: [], typeChanges: [] },
  championVersion: 1,
  startedAt: '2026-12-01T00:00:00Z',
};
const evaluation = {
  decision: 'promote',
  metric: 'auc',
  candidateScore: 0.9,
  championScore: 0.8,
  championVersion: 1,
  requiredGain: 0.005,
  reason: 'gain',
  candidateArtifactKey: 'runs/churn/run-42/candidate/model.json',
};

function lambdaError(name: string, message: string): Error {
  const error = new Error(JSON.stringify({ errorType: name, errorMessage: message }));
  error.name = name;
  return error;
}

function handlers(overrides: Record<string, TaskHandler>, published: unknown[]): Record<string, TaskHandler> {
  return {
    Validate: async () => ({ Payload: validation, StatusCode: 200 }),
    Train: async () => ({ JobId: 'job-1', Status: 'SUCCEEDED' }),
    Evaluate: async () => ({ Payload: evaluation, StatusCode: 200 }),
    Register: async () => ({
      Payload: { version: 2, promoted: true, productionVersion: 2, outcome: 'promoted' },
      StatusCode: 200,
    }),
    RecordFailure: async () => ({
      Payload: {
        runId: 'run-42',
        failedStep: 'validate',
        reason: 'r',
        productionVersion: 1,
        productionChanged: false,
      },
      StatusCode: 200,
    }),
    Notify: async (input) => {
      published.push(input);
      return { MessageId: 'm' };
    },
    NotifyFailure: async (input) => {
      published.push(input);
      return { MessageId: 'm' };
    },
    ...overrides,
  };
}

/** The synthesized churn state machine, run locally with stand-in tasks (`overrides` replace some). */
function runWorkflow(overrides: Record<string, TaskHandler>, published: unknown[]) {
  return runStateMachine(
    platform.workflows.churn.definition as never,
    { model: 'churn', trigger: { kind: 'manual', objects: [] } },
    handlers(overrides, published),
    undefined,
    context,
  );
}

test('a step that throws and a RecordFailure that fails still end in Failed, with a notification naming the run', async () => {
  // given: validate fails unexpectedly (an unreadable alias object) and recording the failure fails too
  const published: unknown[] = [];
  const run = () =>
    runWorkflow(
      {
        Validate: async () => {
          throw lambdaError('Error', 's3://artifacts/registry/churn/aliases/production.json is not valid JSON');
        },
        RecordFailure: async () => {
          throw lambdaError('Error', 'S3 is down');
        },
      },
      published,
    );
  // when
  const result = await run();
  // then
  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('Error');
  expect(result.path.slice(-3)).toEqual(['FailureNotRecorded', 'NotifyFailure', 'Failed']);
  expect(published).toHaveLength(1);
  expect(JSON.stringify(published[0])).toContain('"runId":"run-42"');
  expect(JSON.stringify(published[0])).toContain('the failure could not be recorded in the run record (Error)');
}, 60_000);

test('Register is retried after a transient error and the run succeeds', async () => {
  // given: the first Register attempt fails after its promotion (one S3 error on the run record)
  const published: unknown[] = [];
  let attempts = 0;
  // when
  const result = await runWorkflow(
    {
      Register: async () => {
        attempts += 1;
        if (attempts === 1) throw lambdaError('InternalError', 'We encountered an internal error. Please try again.');
        return {
          Payload: { version: 2, promoted: true, productionVersion: 2, outcome: 'promoted' },
          StatusCode: 200,
        };
      },
    },
    published,
  );
  // then
  expect(result.status).toBe('SUCCEEDED');
  expect(attempts).toBe(2);
  expect(result.path).not.toContain('RecordFailure');
}, 60_000);

test('Register is not retried when its event does not match its contract', async () => {
  // given
  const published: unknown[] = [];
  let attempts = 0;
  // when
  const result = await runWorkflow(
    {
      Register: async () => {
        attempts += 1;
        throw lambdaError('StepInputError', 'register-model received an event that does not match its contract');
      },
    },
    published,
  );
  // then
  expect(attempts).toBe(1);
  expect(result.status).toBe('FAILED');
  expect(result.path).toContain('RecordFailure');
}, 60_000);

test("a window run's trainer reads the training manifest validate names, and evaluate still gets the snapshot", async () => {
  // given: validate answers with a training manifest as the training input
  const manifestKey = `churn/manifests/${'b'.repeat(64)}.json`;
  const windowValidation = { ...validation, trainingInputKey: manifestKey, dataSha256: 'b'.repeat(64) };
  const trainInputs: unknown[] = [];
  const evaluateInputs: unknown[] = [];
  // when
  const result = await runWorkflow(
    {
      Validate: async () => ({ Payload: windowValidation, StatusCode: 200 }),
      Train: async (input) => {
        trainInputs.push(input);
        return { JobId: 'job-1', Status: 'SUCCEEDED' };
      },
      Evaluate: async (input) => {
        evaluateInputs.push(input);
        return { Payload: evaluation, StatusCode: 200 };
      },
    },
    [],
  );
  // then
  expect(result.status).toBe('SUCCEEDED');
  const environment = (trainInputs[0] as { ContainerOverrides: { Environment: { Name: string; Value: string }[] } })
    .ContainerOverrides.Environment;
  expect(environment.find((variable) => variable.Name === 'MLOPS_INPUT_URI')?.Value).toMatch(
    new RegExp(`^s3://[^/]+/${manifestKey}$`),
  );
  expect(JSON.stringify(evaluateInputs[0])).toContain(`"snapshotKey":"${validation.snapshotKey}"`);
  expect(JSON.stringify(evaluateInputs[0])).toContain(`"snapshotSha256":"${validation.snapshotSha256}"`);
}, 60_000);
