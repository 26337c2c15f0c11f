import { aliasKey } from '../../../core/registry/keys';
import { ModelRegistry } from '../../../core/registry/registry';
import { readRunRecord } from '../../../core/runs/run-record';
import { TRAINER_OUTPUTS } from '../../../core/workflow/contract';
import { runRecordKey } from '../../../core/workflow/layout';
import { trainerOutputKey } from '../../../core/workflow/run-ids';
import { evaluateStep } from '../../../lambdas/evaluate-model/evaluate';
import {
  describeFailure,
  failedStep,
  MAX_REASON_LENGTH,
  type RecordFailureInput,
  recordFailureInputSchema,
  recordFailureStep,
} from '../../../lambdas/record-failure/record-failure';
import { registerStep } from '../../../lambdas/register-model/register';
import { parseStepEvent } from '../../../lambdas/shared/step-handler';
import { validateStep } from '../../../lambdas/validate-data/validate';
import { FaultyStore } from '../../support/faulty-store';
import { churnData, memoryStepDeps, uploadInput, validateAndTrain, WEAK_FEATURES } from '../fixtures/workflow';

const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at validateStep'] });

/** A failed AWS Batch job as a `.sync` task reports it in Cause (DescribeJobs, PascalCase). */
const batchCause = (exitCode: number) =>
  JSON.stringify({
    JobName: 'churn-training',
    JobId: 'job-1',
    Status: 'FAILED',
    StatusReason: 'Essential container in task exited',
    Container: { ExitCode: exitCode, LogStreamName: 'churn/default/abc' },
    Attempts: [{ Container: { ExitCode: exitCode }, StatusReason: 'Essential container in task exited' }],
  });

describe('failure description', () => {
  it("uses the Lambda error's type and message", () => {
    // given
    const error = { Error: 'DataError', Cause: lambdaCause('DataError', 'churn/x.csv line 3, column "age": bad') };
    // when
    const reason = describeFailure(error);
    // then
    expect(reason).toBe('DataError: churn/x.csv line 3, column "age": bad');
  });

  it("gives a Batch job's status reason, exit code meaning and the trainer's own error", () => {
    // given
    const error = { Error: 'States.TaskFailed', Cause: batchCause(2) };
    // when
    const reason = describeFailure(error, { error: 'target column "churned" not found', retryable: false });
    // then
    expect(reason).toBe(
      'training job churn-training FAILED: Essential container in task exited, exit code 2 (bad input, not retried): target column "churned" not found',
    );
  });

  it('reads a camel-case job description as well', () => {
    // given
    const cause = JSON.stringify({ jobName: 'churn-training', status: 'FAILED', container: { exitCode: 137 } });
    // when
    const reason = describeFailure({ Error: 'States.TaskFailed', Cause: cause });
    // then
    expect(reason).toBe(
      'training job churn-training FAILED, exit code 137 (killed, often out of memory: raise training.memoryMiB)',
    );
  });

  it('keeps a plain-text cause on one line, shortened', () => {
    // given
    const error = { Error: 'States.Timeout', Cause: `line one\nline two ${'x'.repeat(1000)}` };
    // when
    const reason = describeFailure(error);
    // then
    expect(reason.startsWith('States.Timeout: line one line two x')).toBe(true);
    expect(reason).not.toContain('\n');
    expect(reason).toHaveLength(MAX_REASON_LENGTH);
  });

  it.each([
    [{}, 'validate'],
    [{ validation: { runId: 'r1' } }, 'train'],
    [{ validation: { runId: 'r1' }, candidateKey: 'imports/churn/r1/model.json' }, 'adopt'],
    [
      { validation: { runId: 'r1' }, candidateKey: 'imports/churn/r1/model.json', training: { imported: {} } },
      'evaluate',
    ],
    [{ validation: { runId: 'r1' }, training: { jobId: 'j' } }, 'evaluate'],
    [{ validation: { runId: 'r1' }, training: { jobId: 'j' }, evaluation: { decision: 'promote' } }, 'register'],
    [
      { validation: { runId: 'r1' }, training: {}, evaluation: { decision: 'promote' }, registration: { version: 2 } },
      'notify',
    ],
  ])('tells the failed step from the results the state holds (%j -> %s)', (state, step) => {
    // given
    const input = { model: 'churn', error: { Error: 'States.TaskFailed' }, ...state } as RecordFailureInput;
    // when
    const found = failedStep(input);
    // then
    expect(found).toBe(step);
  });
});

describe('record-failure step', () => {
  it('writes a failed run record for a run that failed validation and leaves production alone', async () => {
    // given
    const deps = memoryStepDeps();
    const run = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), WEAK_FEATURES);
    await registerStep(
      { model: 'churn', validation: run, evaluation: await evaluateStep({ model: 'churn', validation: run }, deps) },
      deps,
    );
    await deps.raw.put('churn/empty.csv', 'age,churned\n');
    const error = await validateStep(uploadInput('churn/empty.csv'), deps).catch((caught: Error) => caught);
    // when
    const summary = await recordFailureStep(
      {
        ...uploadInput('churn/empty.csv'),
        error: { Error: (error as Error).name, Cause: lambdaCause((error as Error).name, (error as Error).message) },
      },
      deps,
    );
    // then
    expect(summary).toMatchObject({
      failedStep: 'validate',
      reason: 'DataError: churn/empty.csv has a header but no data rows',
      outcome: 'failed',
      productionVersion: 1,
      productionChanged: false,
    });
    expect(await readRunRecord(deps.artifacts, 'churn', summary.runId)).toMatchObject({
      outcome: 'failed',
      trigger: { kind: 'upload' },
      inputs: { dataKey: 'churn/empty.csv' },
      failure: { step: 'validate', reason: summary.reason },
    });
    const registry = new ModelRegistry({ store: deps.artifacts });
    expect(await registry.aliasHistory('churn', 'production')).toHaveLength(1);
    expect(await registry.listVersions('churn')).toHaveLength(1);
  });

  it("marks a run whose training failed, with the trainer's error.json in the reason", async () => {
    // given
    const deps = memoryStepDeps();
    await deps.raw.put('churn/a.csv', churnData());
    const validation = await validateStep(uploadInput('churn/a.csv'), deps);
    await deps.artifacts.put(
      trainerOutputKey('churn', validation.runId, TRAINER_OUTPUTS.error),
      JSON.stringify({ error: 'MLOPS_TRAIN_PARAMS.features: expected array', retryable: false, exitCode: 2 }),
    );
    // when
    const summary = await recordFailureStep(
      { ...uploadInput('churn/a.csv'), validation, error: { Error: 'States.TaskFailed', Cause: batchCause(2) } },
      deps,
    );
    // then
    expect(summary.failedStep).toBe('train');
    expect(summary.productionVersion).toBeNull();
    const record = await readRunRecord(deps.artifacts, 'churn', validation.runId);
    expect(record?.outcome).toBe('failed');
    expect(record?.inputs?.dataSha256).toBe(validation.dataSha256);
    expect(record?.failure?.reason).toMatch(/exit code 2 \(bad input, not retried\): MLOPS_TRAIN_PARAMS.features/);
  });

  it('keeps the registered outcome when only the notification failed', async () => {
    // given
    const deps = memoryStepDeps();
    const validation = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), WEAK_FEATURES);
    const evaluation = await evaluateStep({ model: 'churn', validation }, deps);
    const registration = await registerStep({ model: 'churn', validation, evaluation }, deps);
    // when
    const summary = await recordFailureStep(
      {
        model: 'churn',
        validation,
        training: { jobId: 'job-1', status: 'SUCCEEDED' },
        evaluation,
        registration,
        error: { Error: 'SNS.AuthorizationErrorException', Cause: 'not authorized to publish' },
      },
      deps,
    );
    // then
    expect(summary).toMatchObject({ failedStep: 'notify', outcome: 'succeeded', productionChanged: true });
    expect((await readRunRecord(deps.artifacts, 'churn', validation.runId))?.failure?.step).toBe('notify');
  });

  it('says production changed when the register step failed after its promotion', async () => {
    // given: the promotion lands, then the run record update fails (one S3 error) on every attempt
    const deps = memoryStepDeps();
    const validation = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), WEAK_FEATURES);
    const evaluation = await evaluateStep({ model: 'churn', validation }, deps);
    const artifacts = new FaultyStore(deps.artifacts);
    artifacts.onFirstWrite(runRecordKey('churn', validation.runId), async () => {
      throw new Error('S3 InternalError');
    });
    const error = await registerStep({ model: 'churn', validation, evaluation }, { ...deps, artifacts }).catch(
      (caught: Error) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    // when
    const summary = await recordFailureStep(
      {
        model: 'churn',
        validation,
        training: { jobId: 'job-1', status: 'SUCCEEDED' },
        evaluation,
        error: { Error: 'Error', Cause: lambdaCause('Error', 'S3 InternalError') },
      },
      deps,
    );
    // then
    expect(summary).toMatchObject({ failedStep: 'register', productionVersion: 1, productionChanged: true });
    expect(summary.reason).toContain('this run had already made version 1 production');
    expect(await readRunRecord(deps.artifacts, 'churn', validation.runId)).toMatchObject({
      outcome: 'failed',
      promoted: true,
      registeredVersion: 1,
    });
  });

  it('records the run when the production alias is corrupt, naming the object in the reason', async () => {
    // given: an unreadable alias object makes validation (and the failure path's own read) fail
    const deps = memoryStepDeps();
    await deps.artifacts.put(aliasKey('churn', 'production'), '{"version": "not a number"');
    await deps.raw.put('churn/a.csv', churnData());
    const error = (await validateStep(uploadInput('churn/a.csv'), deps).catch((caught: Error) => caught)) as Error;
    // when
    const summary = await recordFailureStep(
      {
        ...uploadInput('churn/a.csv'),
        runId: 'run-9',
        error: { Error: error.name, Cause: lambdaCause(error.name, error.message) },
      },
      deps,
    );
    // then
    expect(summary).toMatchObject({ runId: 'run-9', failedStep: 'validate', productionChanged: 'unknown' });
    const record = await readRunRecord(deps.artifacts, 'churn', 'run-9');
    expect(record?.outcome).toBe('failed');
    expect(record?.failure?.reason).toContain(
      's3://artifacts/registry/churn/aliases/production.json is not valid JSON',
    );
  });

  it('records a failure whatever shape the failed state has', async () => {
    // given: a state whose parts do not match their contracts
    const deps = memoryStepDeps();
    const state = {
      input: { model: 'churn', validation: 'garbled', evaluation: [1, 2], error: 42, trigger: { kind: 'unknown' } },
      runId: 'run-7',
    };
    // when
    const summary = await recordFailureStep(parseStepEvent(recordFailureInputSchema, state, 'record-failure'), deps);
    // then
    expect(summary).toMatchObject({ runId: 'run-7', failedStep: 'validate', outcome: 'failed' });
    expect(await readRunRecord(deps.artifacts, 'churn', 'run-7')).toMatchObject({
      outcome: 'failed',
      failure: { step: 'validate', reason: 'Unknown: the failed state held no readable error' },
    });
  });

  it('rewrites an unreadable run record instead of failing', async () => {
    // given
    const deps = memoryStepDeps();
    await deps.artifacts.put(runRecordKey('churn', 'run-5'), 'not json');
    // when
    const summary = await recordFailureStep(
      { model: 'churn', runId: 'run-5', error: { Error: 'States.Timeout' } },
      deps,
    );
    // then
    expect(summary.reason).toContain('the run record was unreadable and is rewritten');
    expect((await readRunRecord(deps.artifacts, 'churn', 'run-5'))?.outcome).toBe('failed');
  });
});
