import { serializeArtifact } from '../../../core/artifact/format';
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
} from './fixtures';

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

  it('refuses a gate metric the held-out comparison does not measure', () => {
    // given
    const model = churnModel({ gate: { metric: 'logloss' } });
    // when
    const build = () => gateRuleFor(model);
    // then
    expect(build).toThrow(/gate.metric "logloss".*set gate.metric to "auc"/);
  });
});
