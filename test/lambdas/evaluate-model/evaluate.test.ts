import { serializeArtifact } from '../../../core/artifact/format';
import { defaultsFor } from '../../../core/config/parse';
import type { ModelConfig } from '../../../core/config/schema';
import { readRunRecord } from '../../../core/runs/run-record';
import { TRAINER_OUTPUTS } from '../../../core/workflow/contract';
import { candidateArtifactKey } from '../../../core/workflow/layout';
import { trainerOutputKey } from '../../../core/workflow/run-ids';
import { evaluateStep, gateRuleFor } from '../../../lambdas/evaluate-model/evaluate';
import { registerStep } from '../../../lambdas/register-model/register';
import { validateStep } from '../../../lambdas/validate-data/validate';
import {
  churnData,
  churnModel,
  memoryStepDeps,
  STRONG_FEATURES,
  USELESS_FEATURES,
  uploadInput,
  validateAndTrain,
  WEAK_FEATURES,
} from '../fixtures/workflow';

describe('evaluate step', () => {
  it('promotes a first model that clears the floor and records the decision in the run record', async () => {
    // given
    const deps = memoryStepDeps();
    const validation = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), WEAK_FEATURES);
    // when
    const result = await evaluateStep({ model: 'churn', validation }, deps);
    // then
    expect(result).toMatchObject({
      decision: 'promote',
      metric: 'auc',
      championScore: null,
      championVersion: null,
      candidateArtifactKey: candidateArtifactKey('churn', validation.runId),
    });
    expect(result.candidateScore).toBeGreaterThan(0.6);
    const record = await readRunRecord(deps.artifacts, 'churn', validation.runId);
    expect(record?.gate).toMatchObject({ decision: 'promote', candidate: result.candidateScore, champion: null });
    expect(record?.metrics.auc).toBeCloseTo(result.candidateScore, 10);
    expect(record?.parameters).toMatchObject({ chosenLearner: 'linear', validationFraction: 0.2 });
    expect(Object.keys(record?.timings ?? {})).toEqual(['validate', 'train', 'evaluate']);
  });

  it('scores champion and candidate on the same rows and rejects a candidate that is worse', async () => {
    // given
    const deps = memoryStepDeps();
    const first = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), STRONG_FEATURES);
    const evaluation = await evaluateStep({ model: 'churn', validation: first }, deps);
    await registerStep({ model: 'churn', validation: first, evaluation }, deps);
    const second = await validateAndTrain(deps, 'churn/b.csv', churnData(600, 12), USELESS_FEATURES);
    // when
    const result = await evaluateStep({ model: 'churn', validation: second }, deps);
    // then
    expect(result.decision).toBe('reject');
    expect(result.championVersion).toBe(1);
    expect(result.championScore!).toBeGreaterThan(result.candidateScore);
    expect(result.requiredGain).toBe(0.005);
    expect(result.reason).toMatch(/^candidate auc 0\.\d{4} vs champion 0\.\d{4}: loss of/);
  });

  it('says what the trainer reported when it wrote no candidate', async () => {
    // given
    const deps = memoryStepDeps();
    await deps.raw.put('churn/a.csv', churnData());
    const validation = await validateStep(uploadInput('churn/a.csv'), deps);
    await deps.artifacts.put(
      trainerOutputKey('churn', validation.runId, TRAINER_OUTPUTS.error),
      JSON.stringify({ error: 'out of memory', retryable: false }),
    );
    // when
    const attempt = evaluateStep({ model: 'churn', validation }, deps);
    // then
    await expect(attempt).rejects.toMatchObject({
      name: 'MissingObjectError',
      message: expect.stringContaining('the trainer reported: {"error":"out of memory"'),
    });
  });

  it('refuses a candidate trained on other data than the run validated', async () => {
    // given
    const deps = memoryStepDeps();
    const validation = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), WEAK_FEATURES);
    const key = candidateArtifactKey('churn', validation.runId);
    const candidate = JSON.parse(new TextDecoder().decode((await deps.artifacts.get(key))!.body));
    await deps.artifacts.put(
      key,
      serializeArtifact({ ...candidate, data: { ...candidate.data, sha256: 'b'.repeat(64) } }),
    );
    // when
    const attempt = evaluateStep({ model: 'churn', validation }, deps);
    // then
    await expect(attempt).rejects.toMatchObject({ name: 'ArtifactError' });
  });

  it('maps the configured gate to the held-out metric and floor', () => {
    // given
    const model = churnModel({ gate: { minGain: 0.01, floor: 0.7 } });
    // when
    const rule = gateRuleFor(model);
    // then
    expect(rule).toEqual({ metric: 'auc', minGain: 0.01, floor: 0.7 });
  });

  it('gates a binary model on held-out log loss, lower being better', async () => {
    // given
    const deps = memoryStepDeps(churnModel({ gate: { metric: 'logloss', minGain: 0.005 } }));
    const first = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), STRONG_FEATURES);
    await registerStep(
      {
        model: 'churn',
        validation: first,
        evaluation: await evaluateStep({ model: 'churn', validation: first }, deps),
      },
      deps,
    );
    const second = await validateAndTrain(deps, 'churn/b.csv', churnData(600, 12), USELESS_FEATURES);
    // when
    const result = await evaluateStep({ model: 'churn', validation: second }, deps);
    // then
    expect(result).toMatchObject({ metric: 'logloss', decision: 'reject', championVersion: 1 });
    expect(result.candidateScore).toBeGreaterThan(result.championScore!);
    expect(result.reason).toMatch(/^candidate logloss 0\.\d{4} vs champion 0\.\d{4}: loss of/);
  });

  it('gates a regression model on held-out mean absolute error, promoting a candidate with a lower one', async () => {
    // given
    const model = defaultsFor({
      name: 'churn',
      target: 'avg_basket_value',
      learner: 'linear',
      gate: { metric: 'mae' },
    });
    const deps = memoryStepDeps(model);
    const first = await validateAndTrain(deps, 'churn/a.csv', churnData(600, 11), ['region']);
    await registerStep(
      {
        model: 'churn',
        validation: first,
        evaluation: await evaluateStep({ model: 'churn', validation: first }, deps),
      },
      deps,
    );
    const second = await validateAndTrain(deps, 'churn/b.csv', churnData(600, 12), ['purchase_frequency', 'plan']);
    // when
    const result = await evaluateStep({ model: 'churn', validation: second }, deps);
    // then
    expect(result).toMatchObject({ metric: 'mae', decision: 'promote', championVersion: 1 });
    expect(result.candidateScore).toBeLessThan(result.championScore!);
    expect(result.reason).toMatch(/^candidate mae \d+\.\d{4} vs champion \d+\.\d{4}: /);
  });

  it('refuses a gate metric of the other problem type in a config built without parseConfig', () => {
    // given
    const model: ModelConfig = { ...churnModel(), gate: { metric: 'rmse', minGain: 0, floor: null } };
    // when
    const build = () => gateRuleFor(model);
    // then
    expect(build).toThrow(
      /gate.metric "rmse" of model churn measures regression models.*one of auc, logloss, accuracy, f1/,
    );
  });
});
