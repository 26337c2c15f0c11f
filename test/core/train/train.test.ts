import {
  ARTIFACT_FORMAT_VERSION,
  ArtifactError,
  parseArtifact,
  serializeArtifact,
} from '../../../core/artifact/format';
import { parseCsv } from '../../../core/data/csv';
import { DataError, type DataTable, takeRows } from '../../../core/data/table';
import { generateChurn } from '../../../core/datasets/churn';
import { auc, logLoss } from '../../../core/metrics';
import { encodeTarget } from '../../../core/schema/target';
import { InputError, Scorer } from '../../../core/score/scorer';
import { splitRows } from '../../../core/train/split';
import { trainModel } from '../../../core/train/train';

const churn = generateChurn({ rows: 3000, seed: 7, batch: 'v1' });
const options = { target: 'churned', positiveLabel: 'yes', dataSha256: 'sha', createdAt: '2026-01-01T00:00:00.000Z' };
const artifact = trainModel(churn, { ...options, learnerParams: { gbdt: { nEstimators: 60 } } });

function record(table: DataTable, row: number) {
  return Object.fromEntries(table.columnNames.map((name, c) => [name, table.columns[c][row]]));
}

describe('trainModel', () => {
  it('produces an artifact that loads and carries schema, metrics, lineage and profile', () => {
    const loaded = parseArtifact(serializeArtifact(artifact));
    expect(loaded.formatVersion).toBe(ARTIFACT_FORMAT_VERSION);
    expect(loaded.target).toMatchObject({ name: 'churned', task: 'binary', positiveLabel: 'yes', negativeLabel: 'no' });
    expect(loaded.schema.columns.find((c) => c.name === 'customer_id')).toMatchObject({ role: 'excluded' });
    expect(loaded.data).toMatchObject({ sha256: 'sha', rows: 3000, columns: 14 });
    expect(loaded.data.trainRows + loaded.data.validationRows).toBe(3000);
    expect(loaded.metrics.candidates.map((c) => c.learner)).toEqual(['gbdt', 'linear']);
    expect(loaded.metrics.validation).toHaveProperty('auc');
    expect(loaded.profile).toBeTruthy();
  });

  it('scores the validation rows through the saved artifact exactly as training scored them', () => {
    // Given the artifact after a JSON round trip, and the validation split re-derived from its seed
    const scorer = Scorer.fromJson(serializeArtifact(artifact));
    const target = encodeTarget(churn.columns[churn.columnNames.indexOf('churned')], {
      target: 'churned',
      positiveLabel: 'yes',
    });
    const split = splitRows(target.values, {
      seed: artifact.params.seed,
      validationFraction: artifact.params.validationFraction,
      stratify: true,
    });
    const labels = Float64Array.from(split.validation, (row) => target.values[row]);
    // When each validation row is scored one record at a time, as the endpoint does
    const scores = Float64Array.from(split.validation, (row) => scorer.scoreRecord(record(churn, row)).score);
    // Then the metrics training recorded are reproduced to the last bit
    const validation = artifact.metrics.validation as { auc: number; logLoss: number };
    expect(auc(scores, labels)).toBe(validation.auc);
    expect(logLoss(scores, labels)).toBe(validation.logLoss);
    // And the table path (batch scoring) agrees with the record path row by row
    const fromTable = scorer.scoreTable(takeRows(churn, split.validation)).scores;
    expect(Array.from(fromTable)).toEqual(Array.from(scores));
  });

  it('gives a byte-identical artifact for the same data and seed', () => {
    const again = trainModel(churn, { ...options, learnerParams: { gbdt: { nEstimators: 60 } } });
    expect(serializeArtifact(again)).toBe(serializeArtifact(artifact));
  });

  it('trains regression targets and reports RMSE', () => {
    const table = parseCsv(
      ['x,y', ...Array.from({ length: 200 }, (_, i) => `${i % 20},${(i % 20) * 2 + (i % 3)}`)].join('\n'),
    );
    const model = trainModel(table, { target: 'y', task: 'regression', dataSha256: 's', learner: 'linear' });
    expect(model.target.task).toBe('regression');
    expect((model.metrics.validation as { rmse: number }).rmse).toBeLessThan(1.5);
  });

  it('refuses too few rows, naming the count and the minimum', () => {
    const small = takeRows(churn, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => trainModel(small, { ...options, source: 'tiny.csv' })).toThrow(
      new DataError('tiny.csv has 10 usable row(s); training needs at least 30'),
    );
  });

  it('refuses a header-only file', () => {
    expect(() => trainModel(parseCsv('a,churned\n'), { ...options, source: 'h.csv' })).toThrow(
      'h.csv has a header but no data rows',
    );
  });
});

describe('artifact loading', () => {
  it('names an unknown format version and the fix', () => {
    const future = serializeArtifact(artifact).replace(
      `"formatVersion":${ARTIFACT_FORMAT_VERSION}`,
      '"formatVersion":99',
    );
    expect(() => parseArtifact(future, 'model.json')).toThrow(
      new ArtifactError(
        'model.json has format version 99, but this code reads version 1; retrain the model or use a matching release of mlops',
      ),
    );
  });

  it('names the invalid field', () => {
    const broken = JSON.parse(serializeArtifact(artifact));
    broken.target.task = 'multiclass';
    expect(() => parseArtifact(JSON.stringify(broken), 'model.json')).toThrow(/model.json is invalid at target.task/);
  });

  it('rejects text that is not an artifact', () => {
    expect(() => parseArtifact('{"hello":1}', 'x.json')).toThrow('x.json is not a model artifact');
    expect(() => parseArtifact('nope', 'x.json')).toThrow('x.json is not valid JSON');
  });
});

describe('Scorer input checks', () => {
  const scorer = new Scorer(artifact);
  const good = record(churn, 0);

  it('warns about unknown and missing features by default', () => {
    const { age: _age, ...withoutAge } = good;
    const warnings = scorer.checkRecords([{ ...withoutAge, time_spent_on_video_tutorials: 3 }]);
    expect(warnings).toEqual([
      'unknown feature "time_spent_on_video_tutorials" ignored in 1 instance(s)',
      'feature "age" missing in 1 instance(s); imputed as in training',
    ]);
  });

  it('rejects unknown or missing features when the policy says so', () => {
    expect(() => scorer.checkRecords([{ ...good, extra: 1 }], { unknownFeatures: 'reject' })).toThrow(InputError);
    expect(() => scorer.checkRecords([{ ...good, age: null }], { missingFeatures: 'reject' })).toThrow(
      'instances[0].age is missing',
    );
  });

  it('names the field with a wrong type', () => {
    expect(() => scorer.checkRecords([good, { ...good, tenure_months: 'long' }])).toThrow(
      'instances[1].tenure_months must be a number, got "long"',
    );
  });
});
