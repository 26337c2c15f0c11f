import { tableFromRecords } from '../../../core/data/table';
import { fitPipeline, Pipeline } from '../../../core/features/pipeline';
import type { ColumnSchema } from '../../../core/schema/types';

const feature = (name: string, type: ColumnSchema['type']): ColumnSchema => ({
  name,
  type,
  role: 'feature',
  missingRate: 0,
  uniqueCount: 0,
});

describe('feature pipeline', () => {
  const table = tableFromRecords([
    { age: '30', plan: 'basic', mobile: 'yes' },
    { age: null, plan: 'premium', mobile: 'no' },
    { age: '50', plan: 'basic', mobile: null },
    { age: '40', plan: 'premium', mobile: 'yes' },
    { age: 'NaN', plan: 'rare', mobile: 'yes' },
  ]);
  const target = Float64Array.from([1, 0, 1, 0, 1]);
  const features = [feature('age', 'numeric'), feature('plan', 'categorical'), feature('mobile', 'boolean')];
  const pipeline = fitPipeline(table, features, [0, 1, 2, 3, 4], target, { minCategoryCount: 2, smoothing: 0 });

  it('imputes numeric gaps with the training median and adds a missing indicator', () => {
    const matrix = pipeline.transformTable(table);
    const names = matrix.features.map((f) => f.name);
    expect(names).toEqual(['age', 'age__missing', 'plan', 'mobile', 'mobile__missing']);
    expect(Array.from(matrix.columns[0])).toEqual([30, 40, 50, 40, 40]);
    expect(Array.from(matrix.columns[1])).toEqual([0, 1, 0, 0, 1]);
  });

  it('orders category codes by the target mean, with rare values in the other bucket', () => {
    const step = pipeline.json.steps[1];
    expect(step.kind).toBe('categorical');
    if (step.kind !== 'categorical') return;
    const codes = new Map(step.codes);
    // premium churns 0/2, basic 2/2: premium gets the lower code.
    expect(codes.get('premium')!).toBeLessThan(codes.get('basic')!);
    expect(codes.has('rare')).toBe(false);
    expect(pipeline.transformRecord({ plan: 'rare' })[2]).toBe(step.otherCode);
    expect(pipeline.transformRecord({ plan: 'never-seen' })[2]).toBe(step.otherCode);
    expect(pipeline.transformRecord({ plan: null })[2]).toBe(step.missingCode);
  });

  it('computes the same features for a record as for the same row of a table, after a JSON round trip', () => {
    const reloaded = Pipeline.fromJson(JSON.parse(JSON.stringify(pipeline.json)));
    const matrix = pipeline.transformTable(table);
    for (let row = 0; row < table.rowCount; row++) {
      const record = Object.fromEntries(table.columnNames.map((name, c) => [name, table.columns[c][row]]));
      const fromRecord = Array.from(reloaded.transformRecord(record));
      expect(fromRecord).toEqual(matrix.columns.map((column) => column[row]));
    }
  });

  it('computes the same features for a row of a table as for that row as a record, a column left out included', () => {
    // Given a table without one of the pipeline's input columns, with a missing cell in another
    const names = table.columnNames.slice(1);
    const partial = {
      columnNames: names,
      columns: table.columns.slice(1).map((column) => [...column]),
      rowCount: table.rowCount,
    };
    partial.columns[0]![0] = null;
    for (let row = 0; row < partial.rowCount; row++) {
      // When one row is transformed from the table and as a record
      const record = Object.fromEntries(names.map((name, c) => [name, partial.columns[c]![row]!]));
      // Then the features are the same
      expect(Array.from(pipeline.transformTableRow(partial, row))).toEqual(
        Array.from(pipeline.transformRecord(record)),
      );
    }
  });

  it('treats a category label named __proto__ as plain data', () => {
    const tricky = tableFromRecords(Array.from({ length: 6 }, (_, i) => ({ c: i % 2 ? '__proto__' : 'constructor' })));
    const fitted = fitPipeline(
      tricky,
      [feature('c', 'categorical')],
      [0, 1, 2, 3, 4, 5],
      Float64Array.from([0, 1, 0, 1, 0, 1]),
      { minCategoryCount: 1 },
    );
    const reloaded = Pipeline.fromJson(JSON.parse(JSON.stringify(fitted.json)));
    expect(reloaded.transformRecord({ c: '__proto__' })[0]).toBe(fitted.transformRecord({ c: '__proto__' })[0]);
    expect(reloaded.transformRecord({ c: '__proto__' })[0]).not.toBe(reloaded.transformRecord({ c: 'constructor' })[0]);
  });

  it('fits only on the given rows so validation rows cannot leak into imputation', () => {
    const fitted = fitPipeline(table, [feature('age', 'numeric')], [0, 2], target);
    expect(fitted.json.steps[0]).toMatchObject({ fill: 40, missingIndicator: false });
  });

  it('rejects a malformed pipeline on load', () => {
    expect(() => Pipeline.fromJson({ steps: [{ kind: 'numeric', column: 'a' }] })).toThrow();
  });
});

describe('numeric steps that keep missing values (imported models)', () => {
  const table = tableFromRecords([{ x: '1.5' }, { x: null }, { x: 'NaN' }, { x: 'inf' }, { x: 'oops' }]);
  const keeping = new Pipeline({
    steps: [{ kind: 'numeric', column: 'x', fill: 0, missingIndicator: false, keepMissing: true }],
  });

  it('pass missing and non-finite values to the model as NaN, with no indicator, in both paths', () => {
    // given a step with keepMissing, when a table and single records are transformed,
    // then every missing or non-finite value arrives as NaN and the fill is never used
    expect(keeping.features.map((f) => f.name)).toEqual(['x']);
    expect(Array.from(keeping.transformTable(table).columns[0])).toEqual([1.5, NaN, NaN, NaN, NaN]);
    expect(Array.from(keeping.transformRecord({ x: null }))).toEqual([NaN]);
    expect(Array.from(keeping.transformRecord({}))).toEqual([NaN]);
    expect(Array.from(keeping.transformRecord({ x: 2 }))).toEqual([2]);
  });

  it('leave a step without the option, as every trained artifact has, imputing and byte-identical', () => {
    // given a trained pipeline's JSON, when it is parsed and serialised again, then nothing is added
    const json = { steps: [{ kind: 'numeric', column: 'x', fill: 7, missingIndicator: true }] };
    const pipeline = Pipeline.fromJson(json);
    expect(JSON.stringify(pipeline.json)).toBe(JSON.stringify(json));
    expect(Array.from(pipeline.transformRecord({ x: null }))).toEqual([7, 1]);
  });
});

describe('inputOfFeature', () => {
  it('maps each feature to its input column by position, even when a column is named like an indicator', () => {
    // Given a column "x" with a missing indicator and another column literally named "x__missing"
    const pipeline = new Pipeline({
      steps: [
        { kind: 'numeric', column: 'x', fill: 0, missingIndicator: true },
        { kind: 'categorical', column: 'plan', codes: [['a', 0]], otherCode: 1, missingCode: 2, cardinality: 3 },
        { kind: 'numeric', column: 'x__missing', fill: 0, missingIndicator: false },
        { kind: 'boolean', column: 'active', fill: 1, missingIndicator: true },
      ],
    });
    expect(pipeline.features.map((feature) => feature.name)).toEqual([
      'x',
      'x__missing',
      'plan',
      'x__missing',
      'active',
      'active__missing',
    ]);
    expect(Array.from(pipeline.inputOfFeature)).toEqual([0, 0, 1, 2, 3, 3]);
  });
});
