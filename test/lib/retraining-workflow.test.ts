import { readTrainerJob } from '../../containers/trainer/trainer';
import { TRAINER_ENV } from '../../core/workflow/contract';
import { ZONE_ENV } from '../../core/workflow/layout';
import { fakeReference, type SynthesizedPlatform, synthesizeTemplates } from '../../lib/synthesize';
import { churnOnly } from './helpers';

// asl-validator ships no type declarations.
const validateAsl: (definition: unknown) => { isValid: boolean; errorsText(separator?: string): string } =
  require('asl-validator');

type State = Record<string, unknown> & { Type: string; Next?: string; Catch?: { Next: string; ResultPath: string }[] };

let platform: SynthesizedPlatform;
let states: Record<string, State>;
beforeAll(() => {
  platform = synthesizeTemplates(churnOnly);
  states = (platform.workflows.churn.definition as { States: Record<string, State> }).States;
});

test('the resolved definition is valid Amazon States Language', () => {
  const result = validateAsl(platform.workflows.churn.definition);
  expect(result.errorsText()).toBe('');
  expect(result.isValid).toBe(true);
});

test('the definition uses JSONPath, not JSONata', () => {
  const { definition } = platform.workflows.churn;
  expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  expect(JSON.stringify(definition)).not.toContain('{%');
});

/** The states a run passes on its success path; `imported`: the run was started with a candidateKey. */
function successPath(imported: boolean): string[] {
  const path: string[] = [];
  let name: string | undefined = (platform.workflows.churn.definition as { StartAt: string }).StartAt;
  while (name) {
    path.push(name);
    const state: State = states[name];
    if (name === 'TrainOrAdopt')
      name = imported ? (state.Choices as { Next: string }[])[0].Next : String(state.Default);
    else name = state.Type === 'Choice' ? (state.Choices as { Next: string }[])[0].Next : state.Next;
  }
  return path;
}

test('runs validate, train, evaluate, gate, register, notify in order', () => {
  expect(successPath(false)).toEqual([
    'Validate',
    'TrainOrAdopt',
    'Train',
    'Evaluate',
    'Gate',
    'Register',
    'Notify',
    'Succeeded',
  ]);
});

test('a run started with a candidateKey adopts the imported artifact instead of training, then meets the same gate', () => {
  expect(states.TrainOrAdopt.Choices).toEqual([{ Variable: '$.candidateKey', IsPresent: true, Next: 'Adopt' }]);
  expect(states.TrainOrAdopt.Default).toBe('Train');
  expect(successPath(true)).toEqual([
    'Validate',
    'TrainOrAdopt',
    'Adopt',
    'Evaluate',
    'Gate',
    'Register',
    'Notify',
    'Succeeded',
  ]);
});

test('the adopt step stores what it found at $.training, where a trained run keeps its job', () => {
  expect(states.Adopt).toMatchObject({
    Resource: 'arn:aws:states:::lambda:invoke',
    ResultPath: '$.training',
    ResultSelector: { 'imported.$': '$.Payload.imported' },
  });
  expect(platform.workflows.churn.lambdaStates.Adopt).toBe('adopt-artifact');
});

test('every task of the main path catches into RecordFailure with the error at $.error', () => {
  for (const name of ['Validate', 'Train', 'Adopt', 'Evaluate', 'Register', 'Notify']) {
    expect(states[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' }]);
  }
});

test('the failure path records, notifies and fails, even when recording fails', () => {
  expect(states.RecordFailure.Next).toBe('NotifyFailure');
  expect(states.RecordFailure.Catch?.[0]).toMatchObject({
    Next: 'FailureNotRecorded',
    ResultPath: '$.recordFailureError',
  });
  expect(states.FailureNotRecorded).toMatchObject({ Type: 'Pass', ResultPath: '$.failure', Next: 'NotifyFailure' });
  expect(states.NotifyFailure.Next).toBe('Failed');
  expect(states.Failed).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
});

test('when recording fails, $.failure is built only from paths a catch always provides', () => {
  // NotifyFailure reads $.failure.*; a missing path there is States.Runtime, which nothing catches.
  expect((states.FailureNotRecorded as State & { Parameters: unknown }).Parameters).toEqual({
    'runId.$': '$$.Execution.Name',
    failedStep: 'unknown',
    'reason.$':
      "States.Format('the failure could not be recorded in the run record ({}); see the execution history', $.recordFailureError.Error)",
    productionChanged: 'unknown',
  });
  const message = JSON.stringify((states.NotifyFailure as State & { Parameters: unknown }).Parameters);
  const failurePaths = [...message.matchAll(/\$\.failure\.(\w+)/g)].map((match) => match[1]);
  expect(failurePaths.length).toBeGreaterThan(0);
  for (const field of failurePaths) expect(['runId', 'failedStep', 'reason', 'productionChanged']).toContain(field);
});

test('Register is retried on any error but a wrong event or config, since it is idempotent by run id', () => {
  const retry = (states.Register as State & { Retry: { ErrorEquals: string[]; MaxAttempts?: number }[] }).Retry;
  const noRetry = retry.find((rule) => rule.ErrorEquals.includes('StepInputError'));
  expect(noRetry).toMatchObject({ ErrorEquals: ['StepInputError', 'WorkflowConfigError'], MaxAttempts: 0 });
  expect(retry.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 });
  expect(retry.indexOf(noRetry!)).toBeLessThan(retry.length - 1);
});

test('the gate registers on promote or reject and treats any other decision as a failure', () => {
  expect(states.Gate.Choices).toEqual([
    {
      Or: [
        { Variable: '$.evaluation.decision', StringEquals: 'promote' },
        { Variable: '$.evaluation.decision', StringEquals: 'reject' },
      ],
      Next: 'Register',
    },
  ]);
  expect(states.Gate.Default).toBe('UnknownDecision');
  expect(states.UnknownDecision).toMatchObject({ ResultPath: '$.error', Next: 'RecordFailure' });
});

test('each Lambda step stores the contract fields of its payload under its own key', () => {
  expect(states.Validate).toMatchObject({
    Resource: 'arn:aws:states:::lambda:invoke',
    ResultPath: '$.validation',
    ResultSelector: expect.objectContaining({
      'runId.$': '$.Payload.runId',
      'snapshotKey.$': '$.Payload.snapshotKey',
      'trainingInputKey.$': '$.Payload.trainingInputKey',
    }),
  });
  expect(states.Evaluate).toMatchObject({
    ResultPath: '$.evaluation',
    ResultSelector: expect.objectContaining({ 'decision.$': '$.Payload.decision' }),
  });
  expect(states.Register).toMatchObject({
    ResultPath: '$.registration',
    ResultSelector: expect.objectContaining({ 'promoted.$': '$.Payload.promoted' }),
  });
});

test('the Batch task waits for the job and passes run id, training input (snapshot or manifest) and output URIs', () => {
  const train = states.Train as State & { Parameters: { ContainerOverrides: { Environment: unknown[] } } };
  expect(train.Resource).toBe('arn:aws:states:::batch:submitJob.sync');
  expect(train.Parameters.ContainerOverrides.Environment).toEqual([
    { Name: TRAINER_ENV.runId, 'Value.$': '$.validation.runId' },
    {
      Name: TRAINER_ENV.input,
      'Value.$': `States.Format('s3://{}/{}', '${fakeReference({ logicalId: platform.bucketLogicalIds.curated, resourceType: 'AWS::S3::Bucket' })}', $.validation.trainingInputKey)`,
    },
    {
      Name: TRAINER_ENV.output,
      'Value.$': `States.Format('s3://{}/runs/churn/{}/candidate/', '${fakeReference({ logicalId: platform.bucketLogicalIds.artifacts, resourceType: 'AWS::S3::Bucket' })}', $.validation.runId)`,
    },
  ]);
  expect(train.ResultPath).toBe('$.training');
});

test('the trainer environment for local runs carries the contract and resolved bucket names', () => {
  const environment = platform.workflows.churn.trainerEnvironment;
  expect(environment).toMatchObject({
    [TRAINER_ENV.model]: 'churn',
    [TRAINER_ENV.target]: 'churned',
    [TRAINER_ENV.positiveLabel]: 'yes',
    [ZONE_ENV.curated]: platform.bucketLogicalIds.curated.toLowerCase(),
  });
  expect(JSON.parse(environment[TRAINER_ENV.params])).toEqual({
    task: 'binary',
    learner: 'auto',
    seed: 42,
    timeBudgetSeconds: 60,
    refit: true,
    validationFraction: 0.2,
  });
});

test('the trainer accepts the environment the job definition and the Train state give it', () => {
  const job = readTrainerJob({
    ...platform.workflows.churn.trainerEnvironment,
    [TRAINER_ENV.runId]: 'run-1',
    [TRAINER_ENV.input]: 's3://curated/churn/snapshots/abc.csv',
    [TRAINER_ENV.output]: 's3://artifacts/runs/churn/run-1/candidate/',
  });
  expect(job).toMatchObject({ model: 'churn', target: 'churned', positiveLabel: 'yes', params: { task: 'binary' } });
});

test('a caller resolver maps references, e.g. buckets to local names', () => {
  const local = synthesizeTemplates(churnOnly, {
    resolve: (reference) =>
      reference.resourceType === 'AWS::S3::Bucket' && !reference.attribute
        ? `local-${reference.logicalId === platform.bucketLogicalIds.curated ? 'curated' : 'other'}`
        : fakeReference(reference),
  });
  expect(local.workflows.churn.trainerEnvironment[ZONE_ENV.curated]).toBe('local-curated');
});

test('lists every function the local platform hosts, with its resolved environment', () => {
  const kinds = platform.functions.map((fn) => `${fn.kind}${fn.model ? `:${fn.model}` : ''}`);
  expect(kinds.sort()).toEqual(
    [
      'adopt-artifact:churn',
      'drift-monitor:churn',
      'evaluate-model:churn',
      'inference:churn',
      'quality-monitor:churn',
      'record-failure:churn',
      'register-model:churn',
      'retrain-trigger',
      'validate-data:churn',
    ].sort(),
  );
  const inference = platform.functions.find((fn) => fn.kind === 'inference')!;
  expect(inference.environment[ZONE_ENV.artifacts]).toBe(
    fakeReference({ logicalId: platform.bucketLogicalIds.artifacts, resourceType: 'AWS::S3::Bucket' }),
  );
  expect(inference.bundleDirectory).toBeUndefined();
});

test('names the zone buckets as the caller asks and gives each workflow the ARN the trigger is told', () => {
  const local = synthesizeTemplates(churnOnly, {
    bucketNames: { raw: 'l-raw', curated: 'l-curated', artifacts: 'l-artifacts', monitoring: 'l-monitoring' },
  });
  const trigger = local.functions.find((fn) => fn.kind === 'retrain-trigger')!;
  expect(trigger.environment[ZONE_ENV.artifacts]).toBe('l-artifacts');
  expect(JSON.parse(trigger.environment.MLOPS_STATE_MACHINES)).toEqual({
    churn: local.workflows.churn.stateMachineArn,
  });
});
