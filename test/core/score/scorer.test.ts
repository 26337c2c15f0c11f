import { type ModelArtifact, serializeArtifact } from '../../../core/artifact/format';
import type { Cell } from '../../../core/data/table';
import { tableFromRecords } from '../../../core/data/table';
import { ExplanationUnavailableError, InputError, MISSING_IMPUTED, Scorer } from '../../../core/score/scorer';
import { trainModel } from '../../../core/train/train';
import { churnRecords, gbdtScorer, importedScorer, linearScorer } from './fixtures';

/** Churn rows where every fifth age is missing, so the pipeline adds an `age__missing` indicator. */
function recordsWithGaps(rows: number, seed: number): Record<string, Cell>[] {
  return churnRecords(rows, seed).map((record, index) => (index % 5 === 0 ? { ...record, age: null } : record));
}

function gbdtArtifact(task: 'binary' | 'regression'): ModelArtifact {
  const records = recordsWithGaps(600, 3).map((record, index) =>
    task === 'binary' ? record : { ...record, churned: (record.churned === 'yes' ? 10 : 0) + (index % 7) },
  );
  return trainModel(tableFromRecords(records), {
    target: 'churned',
    ...(task === 'binary' ? { positiveLabel: 'yes' } : {}),
    learner: 'gbdt',
    learnerParams: { gbdt: { nEstimators: 30, maxDepth: 4 } },
    seed: 42,
    dataSha256: 'c'.repeat(64),
    createdAt: '2026-12-07T10:00:00.000Z',
  });
}

const sum = (values: ArrayLike<number>) => Array.from(values).reduce((total, value) => total + value, 0);
const logit = (p: number) => Math.log(p / (1 - p));

describe('Scorer explanations', () => {
  const binary = Scorer.fromJson(serializeArtifact(gbdtArtifact('binary')));
  const requests = recordsWithGaps(40, 9).map(({ churned: _target, ...features }) => features);

  it('folds the missing indicator into its column: one contribution per input column', () => {
    // Given a model whose pipeline has age, age__missing, plan and active features
    expect(binary.pipeline.features.map((feature) => feature.name)).toEqual(['age', 'age__missing', 'plan', 'active']);
    // Then explanations are per input column
    expect(binary.pipeline.inputColumns).toEqual(['age', 'plan', 'active']);
    expect(binary.explainRecord(requests[0])).toHaveLength(3);
  });

  it('gives contributions and base that add up to the log-odds of the score (binary)', () => {
    for (const record of requests) {
      const contributions = binary.explainRecord(record);
      const { score } = binary.scoreRecord(record);
      expect(binary.explanationBase + sum(contributions)).toBeCloseTo(logit(score), 9);
    }
    expect(binary.marginUnits).toBe('log-odds');
  });

  it('gives contributions and base that add up to the prediction (regression)', () => {
    const regression = Scorer.fromJson(serializeArtifact(gbdtArtifact('regression')));
    for (const record of requests) {
      const contributions = regression.explainRecord(record);
      expect(regression.explanationBase + sum(contributions)).toBeCloseTo(regression.scoreRecord(record).score, 9);
    }
    expect(regression.marginUnits).toBe('prediction');
  });

  it('explains a table row for row as it explains records', () => {
    const table = tableFromRecords(requests);
    const explained = binary.explainTable(table);
    expect(explained.columns).toEqual(['age', 'plan', 'active']);
    expect(explained.baseValue).toBe(binary.explanationBase);
    requests.forEach((record, r) => {
      const single = binary.explainRecord(record);
      for (let c = 0; c < explained.columns.length; c++) {
        expect(explained.contributions[c][r]).toBeCloseTo(single[c], 12);
      }
    });
  });

  it('refuses a linear model with a 400-class error that says why', () => {
    const linear = linearScorer();
    expect(() => linear.explainRecord(requests[0])).toThrow(ExplanationUnavailableError);
    expect(() => linear.explainRecord(requests[0])).toThrow(InputError);
    expect(() => linear.explainRecord(requests[0])).toThrow('tree models only');
  });

  it('asks for retraining when a GBDT was stored without node cover, and still scores it the same', () => {
    // Given the artifact as written before cover was stored
    const artifact = gbdtArtifact('binary');
    const json = artifact.model.json as { trees: Array<{ cover?: number[] }> };
    const old = {
      ...artifact,
      model: { ...artifact.model, json: { ...json, trees: json.trees.map(({ cover: _c, ...tree }) => tree) } },
    };
    const scorer = Scorer.fromJson(serializeArtifact(old));
    // Then scores are unchanged and explanations fail naming the fix
    for (const record of requests) expect(scorer.scoreRecord(record)).toEqual(binary.scoreRecord(record));
    expect(() => scorer.explainRecord(requests[0])).toThrow('retrain to enable explanations');
  });
});

describe('Scorer warnings for missing features', () => {
  it('says an imported model gets a missing feature as missing, and scores it that way', () => {
    // Given an imported XGBoost model, whose pipeline keeps missing values as NaN
    const scorer = importedScorer();
    const records: Record<string, Cell>[] = [
      { age: 41, visits: 2, score: 0.3 },
      { age: 30, income: null, visits: 5, score: -0.4 },
    ];
    // When requests lack income
    const warnings = scorer.checkRecords(records);
    // Then the warning says what happens: the trees' default direction, not an imputation
    expect(warnings).toEqual([
      'feature "income" missing in 2 instance(s); passed to the model as missing, so each tree takes its default direction',
    ]);
    // And that is what scoring does: the score is the trees' with NaN there
    expect(scorer.scoreRecord(records[0]).score).toBe(scorer.model.predictRow(Float64Array.from([41, NaN, 2, 0.3])));
  });

  it('still says a trained model imputes a missing feature as in training', () => {
    const scorer = Scorer.fromJson(serializeArtifact(gbdtArtifact('binary')));
    expect(scorer.checkRecords([{ plan: 'basic', active: true }])).toEqual([
      'feature "age" missing in 1 instance(s); imputed as in training',
    ]);
    expect(scorer.missingGroups(['age', 'plan'])).toEqual([{ treatment: MISSING_IMPUTED, names: ['age', 'plan'] }]);
  });
});

const field = (row: number, column: string) => `rows[${row}].${column}`;

function rejection(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('Scorer.checkTable', () => {
  it('names the first bad cell in row order, whichever column it is in', () => {
    // given a bad plan in row 2 and a bad age in row 1 (age is the first feature)
    const scorer = linearScorer();
    const table = tableFromRecords([
      { age: 30, plan: 'pro', active: true },
      { age: 31, plan: 'pro', active: 'maybe' },
      { age: 'old', plan: 'pro', active: true },
    ]);
    // when the table is checked, then the error is row 1's, as a row-by-row check finds it
    const error = rejection(() => scorer.checkTable(table, {}, field));
    expect(error.field).toBe('rows[1].active');
    expect(error.message).toBe('rows[1].active must be a boolean, got "maybe"');
  });

  it('gives the warnings checkRecords gives for the same rows', () => {
    const scorer = linearScorer();
    const records: Record<string, Cell>[] = [
      { age: 30, plan: 'pro', zip: '1' },
      { age: null, plan: 'pro', active: true },
      { zip: null },
    ];
    const fromRecords = scorer.checkRecords(records);
    const { columnNames, columns, rowCount } = tableFromRecords(records);
    const present = columnNames.map((name) => records.filter((record) => Object.hasOwn(record, name)).length);
    expect(scorer.checkTable({ columnNames, columns, rowCount }, {}, field, present)).toEqual(fromRecords);
    expect(fromRecords).toEqual([
      'unknown feature "zip" ignored in 2 instance(s)',
      'feature "age" missing in 2 instance(s); imputed as in training',
      'feature "plan" missing in 1 instance(s); imputed as in training',
      'feature "active" missing in 2 instance(s); imputed as in training',
    ]);
  });

  it('scores a checked table column by column as it scores each row', () => {
    const scorer = gbdtScorer();
    const records = [
      { age: 30, plan: 'pro', active: true },
      { age: '44', plan: 'team', active: 'false' },
      { age: null, plan: 'unseen', active: null },
    ];
    const table = tableFromRecords(records);
    scorer.checkTable(table, {}, field);
    expect(Array.from(scorer.scoreTable(table).scores)).toEqual(
      records.map((record) => scorer.scoreRecord(record).score),
    );
  });
});
