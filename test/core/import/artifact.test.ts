import { parseArtifact, serializeArtifact } from '../../../core/artifact/format';
import { parseCsv } from '../../../core/data/csv';
import { buildImportedArtifact, parseExpectedPredictions } from '../../../core/import/artifact';
import { parseCategoriesFile } from '../../../core/import/categories';
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

describe('buildImportedArtifact: categorical features that hold labels', () => {
  // A model trained on pandas categorical columns of text labels (plan, store), its held-back sample
  // of labels with a plan the model never saw, and python's predictions on it.
  const labelsModel = () => parseXgboostModel(fixtureBytes('xgb-labels.json'), 'xgb-labels.json');
  const categoriesFile = (name: string) => ({
    labels: parseCategoriesFile(new TextDecoder().decode(fixtureBytes(name)), name),
    source: name,
  });
  const expected = { values: expectedPredictions('xgb-labels-expected.txt'), source: 'xgb-labels-expected.txt' };

  test('with the training categories file: parity 0 through the labels, and the mapping stored in the pipeline', () => {
    // when the import reads the labelled sample through the categories the team wrote
    const { artifact, parity } = buildImportedArtifact({
      ...base,
      imported: labelsModel(),
      sample: sample('xgb-labels-sample.csv'),
      target: 'label',
      expected,
      categories: categoriesFile('xgb-labels-categories.json'),
    });
    // then every row scores as python scored it, the unseen plan and missing labels included
    expect(parity).toMatchObject({ status: 'measured', rows: 300, maxAbsDifference: 0 });
    const reread = parseArtifact(serializeArtifact(artifact));
    expect(reread.pipeline.steps[1]).toEqual({
      kind: 'categorical',
      column: 'plan',
      codes: [
        ['basic', 0],
        ['plus', 1],
        ['premium', 2],
        ['team', 3],
      ],
      otherCode: 4,
      missingCode: 4,
      cardinality: 5,
      keepMissing: true,
    });
    expect(reread.imported?.categories).toEqual([
      { column: 'plan', from: 'categories-file' },
      { column: 'store', from: 'categories-file' },
    ]);
    expect(reread.schema.columns.map((column) => [column.name, column.type])).toEqual([
      ['age', 'numeric'],
      ['plan', 'categorical'],
      ['store', 'categorical'],
      ['score', 'numeric'],
      ['label', 'categorical'],
    ]);
    expect(reread.schema.columns[1].uniqueCount).toBe(5);
    expect(reread.notes.join('\n')).toContain(
      'categorical feature "plan" maps labels to codes in the order of --categories xgb-labels-categories.json (basic=0, plus=1, premium=2, team=3); an unseen label takes code 4',
    );
    // and the Scorer serving it takes labels from a client as the batch path does
    const scorer = new Scorer(reread);
    const table = sample('xgb-labels-sample.csv').table;
    expect(largestDifference(scorer.scoreTable(table).scores, expected.values)).toBe(0);
    const row = (name: string) => table.columns[table.columnNames.indexOf(name)][0];
    const record = { age: row('age'), plan: row('plan'), store: row('store'), score: row('score') };
    expect(scorer.scoreRecord(record).score).toBe(expected.values[0]);
  });

  test('an unseen label and a missing one score as missing: each tree takes its default direction', () => {
    const { artifact } = buildImportedArtifact({
      ...base,
      imported: labelsModel(),
      sample: sample('xgb-labels-sample.csv'),
      categories: categoriesFile('xgb-labels-categories.json'),
    });
    const scorer = new Scorer(artifact);
    const codes = (plan: number) => Float64Array.from([40, plan, 1, 0.2]);
    const unseen = scorer.scoreRecord({ age: 40, plan: 'enterprise', store: '21', score: 0.2 }).score;
    expect(unseen).toBe(scorer.model.predictRow(codes(Number.NaN)));
    expect(scorer.scoreRecord({ age: 40, plan: null, store: '21', score: 0.2 }).score).toBe(
      scorer.model.predictRow(codes(Number.NaN)),
    );
  });

  test('without a categories file, the --data labels in sorted order; a label only in the sample shifts the codes and parity fails loudly', () => {
    // given the sample, whose plans sort as basic, enterprise, plus, ... (enterprise was never trained on)
    // then the import stops, naming the difference and the cause
    expect(() =>
      buildImportedArtifact({ ...base, imported: labelsModel(), sample: sample('xgb-labels-sample.csv'), expected }),
    ).toThrow(
      /^parity check failed: our predictions differ from --expected xgb-labels-expected.txt by up to 0\.\d+ \(row \d+: ours .*the category order is the likely cause: "plan" took the sorted --data labels \(basic, enterprise, plus, premium, team\).*pass --categories/,
    );
  });

  test('without a categories file, a sample holding exactly the training labels orders them as training did (store sorts "10" < "21" < "9")', () => {
    // given only plan from the categories file: store's order comes from the sample's labels
    const { labels } = categoriesFile('xgb-labels-categories.json');
    const { artifact, parity } = buildImportedArtifact({
      ...base,
      imported: labelsModel(),
      sample: sample('xgb-labels-sample.csv'),
      expected,
      categories: { labels: new Map([['plan', labels.get('plan')!]]), source: 'plan.json' },
    });
    expect(parity.maxAbsDifference).toBe(0);
    expect(artifact.pipeline.steps[2]).toMatchObject({
      codes: [
        ['10', 0],
        ['21', 1],
        ['9', 2],
        ['x1', 3],
      ],
    });
    expect(artifact.imported?.categories).toEqual([
      { column: 'plan', from: 'categories-file' },
      { column: 'store', from: 'data' },
    ]);
    expect(artifact.notes.join('\n')).toContain(
      `categorical feature "store" maps labels to codes in the order pandas' astype('category') gives the --data labels (sorted)`,
    );
  });

  test('a reversed categories file gives a large difference and a clear message', () => {
    let message = '';
    try {
      buildImportedArtifact({
        ...base,
        imported: labelsModel(),
        sample: sample('xgb-labels-sample.csv'),
        expected,
        categories: categoriesFile('xgb-labels-categories-reversed.json'),
      });
    } catch (error) {
      message = (error as Error).message;
    }
    const difference = Number(/by up to ([0-9.e-]+)/.exec(message)?.[1]);
    expect(difference).toBeGreaterThan(0.3);
    expect(message).toContain('"plan" took the --categories order (team, premium, plus, basic)');
    expect(message).toContain("pass --categories with each column's X[c].cat.categories from the training frame");
  });

  test('a categories file with fewer labels than the model splits on is an error', () => {
    expect(() =>
      buildImportedArtifact({
        ...base,
        imported: labelsModel(),
        categories: { labels: new Map([['plan', ['basic', 'plus', 'premium']]]), source: 'c.json' },
      }),
    ).toThrow(
      'categorical feature "plan": --categories c.json lists 3 label(s), but the model splits on category code 3, so it saw more categories',
    );
  });

  test('a sample with fewer labels than the model splits on asks for --categories', () => {
    const table = parseCsv('age,plan,store,score\n30,basic,9,0.5\n31,team,10,0.1\n', { numbers: true });
    expect(() =>
      buildImportedArtifact({ ...base, imported: labelsModel(), sample: { table, sha256: 's', source: 's.csv' } }),
    ).toThrow(
      'categorical feature "plan": --data s.csv holds 2 label(s), but the model splits on category code 3, so it saw more categories; pass --categories with the training categories in code order',
    );
  });

  test('a categories file naming a numeric feature or an unknown column is an error', () => {
    const build = (column: string) => () =>
      buildImportedArtifact({
        ...base,
        imported: labelsModel(),
        categories: { labels: new Map([[column, ['a']]]), source: 'c.json' },
      });
    expect(build('age')).toThrow('--categories c.json lists "age", which the model reads as a number, not a category');
    expect(build('region')).toThrow('--categories c.json lists "region", which is not a feature of the model');
  });

  test('without --data and without --categories, codes stay numbers', () => {
    const { artifact } = buildImportedArtifact({ ...base, imported: labelsModel() });
    expect(artifact.pipeline.steps.map((step) => step.kind)).toEqual(['numeric', 'numeric', 'numeric', 'numeric']);
    expect(artifact.imported?.categories).toBeUndefined();
    expect(artifact.notes.join('\n')).toMatch(/categorical feature\(s\) plan, store take the integer category codes/);
  });

  test('a categories file without --data: the pipeline maps labels, the schema says categorical', () => {
    const { artifact } = buildImportedArtifact({
      ...base,
      imported: labelsModel(),
      categories: categoriesFile('xgb-labels-categories.json'),
    });
    expect(artifact.schema.columns.map((column) => column.type)).toEqual([
      'numeric',
      'categorical',
      'categorical',
      'numeric',
    ]);
    expect(new Scorer(artifact).scoreRecord({ age: 40, plan: 'premium', store: '9', score: 0 }).score).toBeGreaterThan(
      0,
    );
  });

  test('yes/no words in a numeric feature are an error that says to encode them as the model was trained', () => {
    const table = parseCsv('age,income,visits,score\n30,yes,1,0.5\n31,no,2,0.1\n', { numbers: true });
    expect(() =>
      buildImportedArtifact({
        ...base,
        imported: parseXgboostModel(fixtureBytes('xgb-binary.json'), 'm'),
        sample: { table, sha256: 's', source: 's.csv' },
      }),
    ).toThrow(
      '--data s.csv: column "income" holds text ("yes" at row 1), yes/no or true/false words, but the model reads it as a number: encode it as the model was trained',
    );
  });
});
