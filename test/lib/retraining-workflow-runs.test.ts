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

const adoption = {
  importKey: 'imports/churn/run-42/model.json',
  artifactSha256: 'c'.repeat(64),
  source: 'xgboost',
  modelKind: 'trees',
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
    Adopt: async () => ({ Payload: { imported: adoption }, StatusCode: 200 }),
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
function runWorkflow(
  overrides: Record<string, TaskHandler>,
  published: unknown[],
  input: Record<string, unknown> = { model: 'churn', trigger: { kind: 'manual', objects: [] } },
) {
  return runStateMachine(
    platform.workflows.churn.definition as never,
    input,
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

const importInput = {
  model: 'churn',
  trigger: { kind: 'import', objects: [] },
  candidateKey: 'imports/churn/run-42/model.json',
};

test('a run with a candidateKey adopts instead of training and hands evaluate and register what it adopted', async () => {
  // given
  const inputs: Record<string, unknown[]> = { Train: [], Evaluate: [], Register: [] };
  const recording = (state: string, answer: unknown) => async (input: unknown) => {
    inputs[state].push(input);
    return answer;
  };
  // when
  const result = await runWorkflow(
    {
      Train: recording('Train', { JobId: 'job-1', Status: 'SUCCEEDED' }),
      Evaluate: recording('Evaluate', { Payload: evaluation, StatusCode: 200 }),
      Register: recording('Register', {
        Payload: { version: 2, promoted: true, productionVersion: 2, outcome: 'promoted' },
        StatusCode: 200,
      }),
    },
    [],
    importInput,
  );
  // then
  expect(result.status).toBe('SUCCEEDED');
  expect(result.path.slice(0, 4)).toEqual(['Validate', 'TrainOrAdopt', 'Adopt', 'Evaluate']);
  expect(inputs.Train).toHaveLength(0);
  for (const state of ['Evaluate', 'Register']) {
    expect((inputs[state][0] as { Payload: unknown }).Payload).toMatchObject({
      candidateKey: importInput.candidateKey,
      training: { imported: adoption },
    });
  }
}, 60_000);

test('a run without a candidateKey never enters Adopt', async () => {
  const result = await runWorkflow(
    {
      Adopt: async () => {
        throw new Error('Adopt ran in a training run');
      },
    },
    [],
  );
  expect(result.status).toBe('SUCCEEDED');
  expect(result.path).toContain('Train');
  expect(result.path).not.toContain('Adopt');
}, 60_000);

test('a bad artifact fails the run at Adopt through the failure path, before any evaluation or registration', async () => {
  // given
  const failures: unknown[] = [];
  // when
  const result = await runWorkflow(
    {
      Adopt: async () => {
        throw lambdaError('ArtifactError', 'imported artifact s3://a/imports/churn/x/model.json is not valid JSON');
      },
      RecordFailure: async (input) => {
        failures.push(input);
        return {
          Payload: {
            runId: 'run-42',
            failedStep: 'adopt',
            reason: 'r',
            productionVersion: 1,
            productionChanged: false,
          },
          StatusCode: 200,
        };
      },
    },
    [],
    importInput,
  );
  // then
  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('ArtifactError');
  expect(result.path).not.toContain('Evaluate');
  expect(result.path).not.toContain('Register');
  expect(result.path.slice(-3)).toEqual(['RecordFailure', 'NotifyFailure', 'Failed']);
  const payload = (failures[0] as { Payload: { input: Record<string, unknown> } }).Payload.input;
  expect(payload).toMatchObject({ candidateKey: importInput.candidateKey, error: { Error: 'ArtifactError' } });
  expect(payload.training).toBeUndefined();
}, 60_000);
