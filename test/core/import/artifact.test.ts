import { parseArtifact, serializeArtifact } from '../../../core/artifact/format';
import { parseCsv } from '../../../core/data/csv';
import { buildImportedArtifact, parseExpectedPredictions } from '../../../core/import/artifact';
import { parseLightgbmModel } from '../../../core/import/lightgbm';
import { parseXgboostModel } from '../../../core/import/xgboost';
import { Scorer } from '../../../core/score/scorer';
import { expectedPredictions, fixtureBytes, largestDifference } from './parity-helpers';

const sample = (file: string) => ({
  table: parseCsv(fixtureBytes(file), { source: file, numbers: true }),
  sha256: 'sample-sha',
  source: file,
});
const base = { modelFile: 'model.json', modelSha256: 'model-sha', createdAt: '2026-01-01T00:00:00.000Z' };

describe('buildImportedArtifact', () => {
  test('an XGBoost model with a sample, a target and its predictions: parity measured, metrics, profile', () => {
    // given the binary model, its held-back sample with labels and python's predictions on it
    const { artifact, parity } = buildImportedArtifact({
      ...base,
      imported: parseXgboostModel(fixtureBytes('xgb-binary.json'), 'xgb-binary.json'),
      sample: sample('xgb-binary-sample.csv'),
      target: 'label',
      expected: { values: expectedPredictions('xgb-binary-expected.txt'), source: 'xgb-binary-expected.txt' },
    });
    // then the parity report says how close we are, and the artifact reads back as any other
    expect(parity).toEqual({
      status: 'measured',
      rows: 250,
      maxAbsDifference: 0,
      worstRow: 0,
      expectedFrom: 'xgb-binary-expected.txt',
    });
    const reread = parseArtifact(serializeArtifact(artifact));
    expect(reread.imported?.parity).toEqual(parity);
    expect(reread.model.kind).toBe('trees');
    expect(reread.target).toMatchObject({ name: 'label', task: 'binary', positiveLabel: '1', threshold: 0.5 });
    expect(reread.schema.columns.map((column) => [column.name, column.role])).toEqual([
      ['age', 'feature'],
      ['income', 'feature'],
      ['visits', 'feature'],
      ['score', 'feature'],
      ['label', 'target'],
    ]);
    expect(Object.keys(reread.metrics.validation)).toEqual([
      'auc',
      'logLoss',
      'threshold',
      'accuracy',
      'precision',
      'recall',
      'f1',
    ]);
    expect((reread.profile as { rowCount: number }).rowCount).toBe(250);
  });

  test('the Scorer serving the artifact sends a missing field to the trees as NaN', () => {
    const { artifact } = buildImportedArtifact({
      ...base,
      imported: parseXgboostModel(fixtureBytes('xgb-binary.json'), 'xgb-binary.json'),
      sample: sample('xgb-binary-sample.csv'),
    });
    const scorer = new Scorer(parseArtifact(serializeArtifact(artifact)));
    const withNull = scorer.scoreRecord({ age: 41, income: null, visits: 2, score: 0.3 });
    const withNaN = scorer.model.predictRow(Float64Array.from([41, Number.NaN, 2, 0.3]));
    const imputed = scorer.model.predictRow(Float64Array.from([41, 0, 2, 0.3]));
    expect(withNull.score).toBe(withNaN);
    expect(withNull.score).not.toBe(imputed);
    // and a table scores as python did, through the same path as batch scoring
    const scores = scorer.scoreTable(sample('xgb-binary-sample.csv').table).scores;
    expect(largestDifference(scores, expectedPredictions('xgb-binary-expected.txt'))).toBe(0);
  });

  test('an unnamed model takes its feature names from the sample columns in order', () => {
    const { artifact, parity } = buildImportedArtifact({
      ...base,
      imported: parseXgboostModel(fixtureBytes('xgb-regression.json'), 'm.json'),
      sample: sample('xgb-regression-sample.csv'),
      target: 'y',
    });
    expect(artifact.imported?.featureNamesFrom).toBe('data');
    expect((artifact.model.json as { featureNames: string[] }).featureNames).toEqual([
      'age',
      'income',
      'visits',
      'score',
    ]);
    expect(parity.status).toBe('unmeasured');
    expect(parity.expectedFrom).toMatch(/pass --expected/);
    expect(Object.keys(artifact.metrics.validation)).toEqual(['rmse', 'mae', 'r2']);
  });

  test('without a sample: generated names, no profile, empty metrics, and notes that say so', () => {
    const { artifact, parity } = buildImportedArtifact({
      ...base,
      imported: parseLightgbmModel(fixtureBytes('lgb-binary-categorical.txt'), 'm.txt'),
    });
    expect(artifact.imported?.featureNamesFrom).toBe('model');
    expect(artifact.profile).toBeNull();
    expect(artifact.metrics.validation).toEqual({});
    expect(parity).toMatchObject({ status: 'unmeasured', rows: 0, maxAbsDifference: null });
    expect(artifact.notes.join('\n')).toMatch(/no --data sample/);
    expect(artifact.notes.join('\n')).toMatch(/categorical feature\(s\) color take the integer category codes/);
    expect(parseArtifact(serializeArtifact(artifact)).metrics.validation).toEqual({});
    const unnamed = buildImportedArtifact({
      ...base,
      imported: parseXgboostModel(fixtureBytes('xgb-regression.json'), 'm'),
    });
    expect(unnamed.artifact.imported?.featureNamesFrom).toBe('generated');
    expect(unnamed.artifact.notes.join('\n')).toMatch(
      /names no features and no --data was given: features are named f0..f3/,
    );
  });

  test('a sample without some of the model features is an error naming them', () => {
    const table = parseCsv('age,visits\n30,1\n', { numbers: true });
    expect(() =>
      buildImportedArtifact({
        ...base,
        imported: parseXgboostModel(fixtureBytes('xgb-binary.json'), 'm'),
        sample: { table, sha256: 's', source: 's.csv' },
      }),
    ).toThrow(
      "--data s.csv lacks the model's feature column(s): income, score (the model reads age, income, visits, score)",
    );
  });

  test('an unnamed model and a sample of another width is a feature count mismatch', () => {
    const table = parseCsv('a,b,y\n1,2,3\n', { numbers: true });
    expect(() =>
      buildImportedArtifact({
        ...base,
        imported: parseXgboostModel(fixtureBytes('xgb-regression.json'), 'm'),
        sample: { table, sha256: 's', source: 's.csv' },
        target: 'y',
      }),
    ).toThrow(
      'feature count mismatch: the model reads 4 unnamed features, but --data s.csv has 2 column(s) besides the target (a, b)',
    );
  });

  test('expected predictions of another row count, or without a sample, are errors', () => {
    const imported = parseXgboostModel(fixtureBytes('xgb-binary.json'), 'm');
    expect(() =>
      buildImportedArtifact({
        ...base,
        imported,
        sample: sample('xgb-binary-sample.csv'),
        expected: { values: new Float64Array(3), source: 'e.txt' },
      }),
    ).toThrow('--expected e.txt has 3 prediction(s), but --data has 250 row(s); one per row, in order');
    expect(() =>
      buildImportedArtifact({ ...base, imported, expected: { values: new Float64Array(3), source: 'e.txt' } }),
    ).toThrow('--expected needs --data');
  });

  test('a text column where the model reads numbers is an error', () => {
    const table = parseCsv('age,income,visits,score\n30,high,1,0.5\n', { numbers: true });
    expect(() =>
      buildImportedArtifact({
        ...base,
        imported: parseXgboostModel(fixtureBytes('xgb-binary.json'), 'm'),
        sample: { table, sha256: 's', source: 's.csv' },
      }),
    ).toThrow('--data s.csv: column "income" holds text ("high" at row 1); it is a numeric feature');
  });

  test('expected predictions are read one per line, the last field when a line has several', () => {
    expect(Array.from(parseExpectedPredictions('0.5\n0.25\n\n', 'e'))).toEqual([0.5, 0.25]);
    expect(Array.from(parseExpectedPredictions('0.5,0.5\n0.75,0.25\n', 'e'))).toEqual([0.5, 0.25]);
    expect(() => parseExpectedPredictions('0.5\nabc\n', 'e.txt')).toThrow(
      '--expected e.txt: line 2 ("abc") is not a number',
    );
  });
});
