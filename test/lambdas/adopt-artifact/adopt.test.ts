import { createHash } from 'node:crypto';
import { serializeArtifact } from '../../../core/artifact/format';
import { parseCsv } from '../../../core/data/csv';
import { buildImportedArtifact } from '../../../core/import/artifact';
import { parseXgboostModel } from '../../../core/import/xgboost';
import { PRODUCTION_ALIAS } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import { readRunRecord } from '../../../core/runs/run-record';
import { importExecutionInput } from '../../../core/workflow/contract';
import { candidateArtifactKey, importKey } from '../../../core/workflow/layout';
import { adoptStep } from '../../../lambdas/adopt-artifact/adopt';
import { evaluateStep } from '../../../lambdas/evaluate-model/evaluate';
import { registerStep } from '../../../lambdas/register-model/register';
import { validateStep } from '../../../lambdas/validate-data/validate';
import { fixtureBytes } from '../../core/import/parity-helpers';
import {
  churnData,
  churnModel,
  memoryStepDeps,
  STRONG_FEATURES,
  type StepDeps,
  USELESS_FEATURES,
  validateAndTrain,
  WEAK_FEATURES,
} from '../fixtures/workflow';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** An artifact made outside this data lake, as `mlops train` makes one: by the trainer, on other rows. */
async function externalArtifact(features: readonly string[], seed = 31): Promise<string> {
  const elsewhere = memoryStepDeps();
  const validation = await validateAndTrain(elsewhere, 'churn/elsewhere.csv', churnData(800, seed), features);
  const object = await elsewhere.artifacts.get(candidateArtifactKey('churn', validation.runId));
  return new TextDecoder().decode(object!.body);
}

/** A data lake whose churn model has a production version 1 trained on the weak features. */
async function withChampion(): Promise<StepDeps> {
  const deps = memoryStepDeps();
  const validation = await validateAndTrain(deps, 'churn/a.csv', churnData(800, 21), WEAK_FEATURES);
  const evaluation = await evaluateStep({ model: 'churn', validation }, deps);
  await registerStep({ model: 'churn', validation, evaluation }, deps);
  return deps;
}

/** Uploads as `mlops register` does, then runs the state machine's steps in the order of an import run. */
async function importRun(deps: StepDeps, artifact: string, uploadId = 'upload-1') {
  const key = importKey('churn', uploadId);
  await deps.artifacts.put(key, artifact);
  const input = importExecutionInput('churn', key);
  const validation = await validateStep(input, deps);
  const training = await adoptStep({ model: 'churn', candidateKey: key, validation }, deps);
  const evaluation = await evaluateStep({ model: 'churn', validation, training }, deps);
  const registration = await registerStep({ model: 'churn', validation, training, evaluation }, deps);
  return { key, validation, training, evaluation, registration };
}

describe('an imported artifact through the retraining steps', () => {
  it('is gated against the champion, registered with imported lineage and promoted when better', async () => {
    // given a champion on weak features and a better artifact made elsewhere
    const deps = await withChampion();
    const artifact = await externalArtifact(STRONG_FEATURES);
    // when
    const run = await importRun(deps, artifact);
    // then the gate compared it with version 1 on the held-out rows, and production moved
    expect(run.evaluation).toMatchObject({ decision: 'promote', championVersion: 1 });
    expect(run.evaluation.candidateScore).toBeGreaterThan(run.evaluation.championScore! + 0.005);
    expect(run.registration).toEqual({ version: 2, promoted: true, productionVersion: 2, outcome: 'promoted' });
    const registry = new ModelRegistry({ store: deps.artifacts });
    const version = (await registry.getVersion('churn', 2))!;
    expect(version.lineage.dataSha256).toBeUndefined();
    expect(version.lineage.imported).toEqual({
      source: 'external artifact',
      importKey: run.key,
      modelKind: 'linear',
    });
    expect(version.lineage.dataKey).toBe('churn/a.csv');
    expect(version.lineage.metrics).toEqual({ auc: run.evaluation.candidateScore });
    expect(version.tags).toMatchObject({ origin: 'imported', gate: 'promote' });
    // the registered bytes are the uploaded bytes
    expect(version.artifactSha256).toBe(sha256(artifact));
    expect(run.training.imported.artifactSha256).toBe(sha256(artifact));
    const history = await registry.aliasHistory('churn', PRODUCTION_ALIAS);
    expect(history.at(-1)).toMatchObject({ version: 2, previousVersion: 1, runId: run.validation.runId });
    const record = await readRunRecord(deps.artifacts, 'churn', run.validation.runId);
    expect(record).toMatchObject({ trigger: { kind: 'import' }, outcome: 'succeeded', registeredVersion: 2 });
    expect(record?.imported).toEqual(run.training.imported);
    expect(Object.keys(record?.timings ?? {})).toEqual(['validate', 'adopt', 'evaluate', 'register']);
  });

  it('is registered but not promoted when the gate finds it worse, and production stays', async () => {
    // given
    const deps = await withChampion();
    const artifact = await externalArtifact(USELESS_FEATURES);
    // when
    const run = await importRun(deps, artifact);
    // then
    expect(run.evaluation.decision).toBe('reject');
    expect(run.registration).toEqual({ version: 2, promoted: false, productionVersion: 1, outcome: 'rejected' });
    const registry = new ModelRegistry({ store: deps.artifacts });
    expect((await registry.getVersion('churn', 2))!.approval.status).toBe('pending');
    expect((await registry.resolveAlias('churn', PRODUCTION_ALIAS))?.version).toBe(1);
  });

  it('becomes the first version of a model with no champion, as a trained first model does', async () => {
    // given a model with data but no version yet
    const deps = memoryStepDeps();
    await deps.raw.put('churn/a.csv', churnData(800, 21));
    // when
    const run = await importRun(deps, await externalArtifact(STRONG_FEATURES));
    // then
    expect(run.evaluation).toMatchObject({ decision: 'promote', championVersion: null, championScore: null });
    expect(run.evaluation.reason).toMatch(/^first model: auc 0\.\d{4} clears the floor/);
    expect(run.registration).toMatchObject({ version: 1, promoted: true });
  });

  it("is scored on the model's configured hold-out, whatever split its own parameters name", async () => {
    // given the same model twice, once claiming another seed and hold-out share
    const artifact = await externalArtifact(STRONG_FEATURES);
    const document = JSON.parse(artifact);
    const claimingOtherSplit = JSON.stringify({
      ...document,
      params: { ...document.params, seed: 99, validationFraction: 0.5 },
    });
    // when
    const asIs = await importRun(await withChampion(), artifact);
    const other = await importRun(await withChampion(), claimingOtherSplit);
    // then both were measured on the same rows, the ones the champion was gated on
    expect(other.evaluation.candidateScore).toBe(asIs.evaluation.candidateScore);
    expect(other.evaluation.reason).toBe(asIs.evaluation.reason);
    expect(asIs.evaluation.reason).toMatch(/\(160 held-out rows\)$/);
  });

  it('adopts again to the same result when the step is retried', async () => {
    // given
    const deps = await withChampion();
    const key = importKey('churn', 'upload-1');
    await deps.artifacts.put(key, await externalArtifact(STRONG_FEATURES));
    const validation = await validateStep(importExecutionInput('churn', key), deps);
    const first = await adoptStep({ model: 'churn', candidateKey: key, validation }, deps);
    // when
    const retried = await adoptStep({ model: 'churn', candidateKey: key, validation }, deps);
    // then
    expect(retried).toEqual(first);
  });
});

describe('an XGBoost model converted by mlops import', () => {
  it('is gated on data it never saw and registered with its framework and source file hash', async () => {
    // given the python3-xgboost fixture converted as `mlops import --data sample.csv --target label` does,
    // and a model that predicts "label" whose newest data is the held-back sample
    const modelFile = fixtureBytes('xgb-binary.json');
    const sampleFile = fixtureBytes('xgb-binary-sample.csv');
    const { artifact } = buildImportedArtifact({
      modelFile: 'xgb-binary.json',
      modelSha256: sha256(modelFile),
      createdAt: '2026-12-01T00:00:00.000Z',
      imported: parseXgboostModel(modelFile, 'xgb-binary.json'),
      sample: {
        table: parseCsv(sampleFile, { source: 'sample.csv', numbers: true }),
        sha256: sha256(sampleFile),
        source: 'sample.csv',
      },
      target: 'label',
    });
    // (the fixture model is weak on rows it never saw: AUC 0.57, so the floor is set below it)
    const deps = memoryStepDeps(churnModel({ target: 'label', positiveLabel: '1', gate: { floor: 0.5 } }));
    await deps.raw.put('churn/sample.csv', sampleFile);
    // when
    const run = await importRun(deps, serializeArtifact(artifact));
    // then it is the model's first version, and its lineage says where it came from
    expect(run.evaluation).toMatchObject({ decision: 'promote', championVersion: null });
    expect(run.evaluation.reason).toBe('first model: auc 0.5684 clears the floor of 0.5000 (50 held-out rows)');
    expect(run.registration).toMatchObject({ version: 1, promoted: true });
    const version = await new ModelRegistry({ store: deps.artifacts }).getVersion('churn', 1);
    expect(version?.lineage.imported).toEqual({
      source: 'xgboost',
      sourceFileSha256: sha256(modelFile),
      sourceFile: 'xgb-binary.json',
      importKey: run.key,
      modelKind: 'trees',
    });
  });
});

describe('a bad imported artifact', () => {
  const wrongTarget = (text: string) => {
    const document = JSON.parse(text);
    return JSON.stringify({ ...document, target: { ...document.target, name: 'left' } });
  };
  const extraFeature = (text: string) => {
    const document = JSON.parse(text);
    const extra = { name: 'loyalty_points', type: 'numeric', role: 'feature', missingRate: 0, uniqueCount: 9 };
    return JSON.stringify({
      ...document,
      schema: { ...document.schema, columns: [...document.schema.columns, extra] },
    });
  };

  it.each([
    [
      'not JSON',
      () => 'PK\u0003\u0004 a zip file',
      /imported artifact s3:\/\/artifacts\/imports\/churn\/upload-1\/model\.json is not valid JSON/,
    ],
    [
      'another format version',
      (text: string) => JSON.stringify({ ...JSON.parse(text), formatVersion: 7 }),
      /has format version 7, but this code reads version 1/,
    ],
    [
      'another target',
      wrongTarget,
      /predicts "left", but model churn predicts "churned"; import it with --target churned/,
    ],
    [
      'a feature the data lacks',
      extraFeature,
      /reads 1 feature\(s\) the validated data churn\/a\.csv does not have: loyalty_points/,
    ],
  ])('(%s) fails the adopt step with one line and changes nothing', async (_case, spoil, reason) => {
    // given
    const deps = await withChampion();
    const key = importKey('churn', 'upload-1');
    await deps.artifacts.put(key, spoil(await externalArtifact(STRONG_FEATURES)));
    const validation = await validateStep(importExecutionInput('churn', key), deps);
    const registry = new ModelRegistry({ store: deps.artifacts });
    const before = await registry.listVersions('churn');
    // when
    const attempt = adoptStep({ model: 'churn', candidateKey: key, validation }, deps);
    // then
    await expect(attempt).rejects.toMatchObject({ name: 'ArtifactError', message: expect.stringMatching(reason) });
    await attempt.catch((error: Error) => expect(error.message).not.toContain('\n'));
    expect(await deps.artifacts.get(candidateArtifactKey('churn', validation.runId))).toBeNull();
    expect(await registry.listVersions('churn')).toEqual(before);
    expect((await registry.resolveAlias('churn', PRODUCTION_ALIAS))?.version).toBe(1);
  });

  it('is refused when its key is outside the model import prefix', async () => {
    // given
    const deps = await withChampion();
    const validation = await validateStep(importExecutionInput('churn', 'runs/churn/run-1/candidate/model.json'), deps);
    // when
    const attempt = adoptStep(
      { model: 'churn', candidateKey: 'runs/churn/run-1/candidate/model.json', validation },
      deps,
    );
    // then
    await expect(attempt).rejects.toMatchObject({
      name: 'StepInputError',
      message: expect.stringContaining('is not under imports/churn/'),
    });
  });

  it('is named as missing when nothing was uploaded at the key', async () => {
    const deps = await withChampion();
    const key = importKey('churn', 'never-uploaded');
    const validation = await validateStep(importExecutionInput('churn', key), deps);
    await expect(adoptStep({ model: 'churn', candidateKey: key, validation }, deps)).rejects.toMatchObject({
      name: 'MissingObjectError',
      message: expect.stringContaining('no imported artifact s3://artifacts/imports/churn/never-uploaded/model.json'),
    });
  });
});
