/**
 * Several retraining runs of one model reach the register step at once, all gated against the
 * same champion, against the local S3 endpoint (real SDK client, S3's conditional writes):
 * exactly one is promoted, the others are recorded as superseded, and the alias history shows
 * every promotion replacing the champion its run was compared with.
 */
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { PRODUCTION_ALIAS } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import { listRuns } from '../../../core/runs/run-record';
import { evaluateStep } from '../../../lambdas/evaluate-model/evaluate';
import { registerStep } from '../../../lambdas/register-model/register';
import {
  churnData,
  memoryStepDeps,
  STRONG_FEATURES,
  type StepDeps,
  validateAndTrain,
  WEAK_FEATURES,
} from '../../lambdas/fixtures/workflow';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

const RUNS = 6;
let s3: LocalS3Harness;
let deps: StepDeps;

beforeAll(async () => {
  s3 = await startLocalS3Harness(['artifacts']);
  deps = { ...memoryStepDeps(), artifacts: new S3ObjectStore(s3.client, 'artifacts') };
});
afterAll(() => s3.stop());

test(`${RUNS} runs gated against the same champion: one promotes, the rest are superseded`, async () => {
  // given: version 1 serves, and every run was evaluated against it
  const first = await validateAndTrain(deps, 'churn/a.csv', churnData(800, 21), WEAK_FEATURES);
  await registerStep(
    { model: 'churn', validation: first, evaluation: await evaluateStep({ model: 'churn', validation: first }, deps) },
    deps,
  );
  const runs = [];
  for (let index = 0; index < RUNS; index += 1) {
    const validation = await validateAndTrain(deps, `churn/b${index}.csv`, churnData(800, 30 + index), STRONG_FEATURES);
    const evaluation = await evaluateStep({ model: 'churn', validation }, deps);
    expect(evaluation.championVersion).toBe(1);
    // Every candidate passes the gate here: the race, not the gate, is under test.
    runs.push({ model: 'churn', validation, evaluation: { ...evaluation, decision: 'promote' as const } });
  }
  // when
  const results = await Promise.all(runs.map((run) => registerStep(run, deps)));
  // then
  expect(results.filter((result) => result.outcome === 'promoted')).toHaveLength(1);
  expect(results.filter((result) => result.outcome === 'superseded')).toHaveLength(RUNS - 1);
  const registry = new ModelRegistry({ store: deps.artifacts });
  expect(await registry.listVersions('churn')).toHaveLength(RUNS + 1);
  const history = await registry.aliasHistory('churn', PRODUCTION_ALIAS);
  expect(history.map((entry) => entry.previousVersion)).toEqual([null, 1]);
  const records = await listRuns(deps.artifacts, 'churn');
  const winner = records.find((record) => record.outcome === 'succeeded' && record.runId === history[1]!.runId);
  expect(winner).toMatchObject({
    promoted: true,
    registeredVersion: history[1]!.version,
    gate: { championVersion: 1 },
  });
  expect(records.filter((record) => record.outcome === 'superseded' && record.promoted === false)).toHaveLength(
    RUNS - 1,
  );
});
