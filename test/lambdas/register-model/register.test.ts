import { MemoryEventSink } from '../../../core/registry/events';
import { ModelRegistry } from '../../../core/registry/registry';
import { readRunRecord } from '../../../core/runs/run-record';
import type { EvaluationResult, ValidationResult } from '../../../core/workflow/contract';
import { evaluateStep } from '../../../lambdas/evaluate-model/evaluate';
import { BestEffortEventSink, registerStep } from '../../../lambdas/register-model/register';
import {
  churnData,
  memoryStepDeps,
  STRONG_FEATURES,
  type StepDeps,
  USELESS_FEATURES,
  validateAndTrain,
  WEAK_FEATURES,
} from '../fixtures/workflow';

async function evaluatedRun(
  deps: StepDeps,
  key: string,
  seed: number,
  features: readonly string[],
  rows = 600,
): Promise<{ validation: ValidationResult; evaluation: EvaluationResult }> {
  const validation = await validateAndTrain(deps, key, churnData(rows, seed), features);
  return { validation, evaluation: await evaluateStep({ model: 'churn', validation }, deps) };
}

describe('register step', () => {
  it('registers a promoted candidate with full lineage and moves production to it', async () => {
    // given
    const events = new MemoryEventSink();
    const deps = { ...memoryStepDeps(), events };
    const run = await evaluatedRun(deps, 'churn/a.csv', 11, WEAK_FEATURES);
    // when
    const result = await registerStep({ model: 'churn', ...run }, deps);
    // then
    expect(result).toEqual({ version: 1, promoted: true, productionVersion: 1, outcome: 'promoted' });
    const registry = new ModelRegistry({ store: deps.artifacts });
    const version = await registry.getVersion('churn', 1);
    expect(version?.lineage).toMatchObject({
      runId: run.validation.runId,
      dataSha256: run.validation.dataSha256,
      dataKey: 'churn/a.csv',
      snapshotKey: run.validation.snapshotKey,
      parameters: { chosenLearner: 'linear', seed: 42 },
      schema: { target: 'churned', rowCount: 600 },
    });
    expect(version?.lineage.metrics.auc).toBeCloseTo(run.evaluation.candidateScore, 10);
    expect(version?.lineage.codeVersion).toMatch(/\S/);
    expect(version?.approval.status).toBe('approved');
    expect(events.events.map((event) => event.detailType)).toEqual(['ModelVersionRegistered', 'ModelAliasMoved']);
    expect(await readRunRecord(deps.artifacts, 'churn', run.validation.runId)).toMatchObject({
      outcome: 'succeeded',
      registeredVersion: 1,
      promoted: true,
    });
  });

  it('keeps a rejected candidate registered as pending while production stays where it was', async () => {
    // given
    const deps = memoryStepDeps();
    const first = await evaluatedRun(deps, 'churn/a.csv', 11, STRONG_FEATURES);
    await registerStep({ model: 'churn', ...first }, deps);
    const second = await evaluatedRun(deps, 'churn/b.csv', 12, USELESS_FEATURES);
    // when
    const result = await registerStep({ model: 'churn', ...second }, deps);
    // then
    expect(result).toEqual({ version: 2, promoted: false, productionVersion: 1, outcome: 'rejected' });
    const registry = new ModelRegistry({ store: deps.artifacts });
    expect((await registry.getVersion('churn', 2))?.approval.status).toBe('pending');
    expect((await registry.resolveAlias('churn', 'production'))?.version).toBe(1);
    expect((await readRunRecord(deps.artifacts, 'churn', second.validation.runId))?.outcome).toBe('rejected');
  });

  it('does not register a second version when the step is retried for the same run', async () => {
    // given
    const deps = memoryStepDeps();
    const run = await evaluatedRun(deps, 'churn/a.csv', 11, WEAK_FEATURES);
    const first = await registerStep({ model: 'churn', ...run }, deps);
    // when
    const retried = await registerStep({ model: 'churn', ...run }, deps);
    // then
    expect(retried).toEqual(first);
    expect(await new ModelRegistry({ store: deps.artifacts }).listVersions('churn')).toHaveLength(1);
  });

  it('records the run as superseded when production moved after the gate compared against it', async () => {
    // given
    const deps = memoryStepDeps();
    const first = await evaluatedRun(deps, 'churn/a.csv', 21, WEAK_FEATURES, 800);
    await registerStep({ model: 'churn', ...first }, deps);
    const second = await evaluatedRun(deps, 'churn/b.csv', 22, STRONG_FEATURES, 800);
    expect(second.evaluation.decision).toBe('promote');
    const registry = new ModelRegistry({ store: deps.artifacts });
    const manual = await registry.register({
      model: 'churn',
      artifact: (await registry.getArtifact('churn', 1))!,
      lineage: { ...(await registry.getVersion('churn', 1))!.lineage, runId: 'manual' },
    });
    await registry.promote('churn', manual.version);
    // when
    const result = await registerStep({ model: 'churn', ...second }, deps);
    // then
    expect(result).toEqual({ version: 3, promoted: false, productionVersion: 2, outcome: 'superseded' });
    const record = await readRunRecord(deps.artifacts, 'churn', second.validation.runId);
    expect(record?.outcome).toBe('superseded');
    expect(record?.promoted).toBe(false);
    expect(record?.gate?.reason).toContain('not promoted: production of churn moved from version 1 to 2');
    expect(record?.gate?.championVersion).toBe(1);
  });

  it('finishes the registration when publishing an event fails', async () => {
    // given
    const failures: string[] = [];
    const events = new BestEffortEventSink(
      { publish: async () => Promise.reject(new Error('EventBridge is down')) },
      (event, error) => failures.push(`${event.detailType}: ${(error as Error).message}`),
    );
    const deps = { ...memoryStepDeps(), events };
    const run = await evaluatedRun(deps, 'churn/a.csv', 11, WEAK_FEATURES);
    // when
    const result = await registerStep({ model: 'churn', ...run }, deps);
    // then
    expect(result.promoted).toBe(true);
    expect(failures).toEqual(['ModelVersionRegistered: EventBridge is down', 'ModelAliasMoved: EventBridge is down']);
  });
});
