import { parseLightgbmModel } from '../../../core/import/lightgbm';
import { parseXgboostModel } from '../../../core/import/xgboost';
import { type TreesModelJson, treesFromJson } from '../../../core/learners/trees';
import { fixtureBytes, sampleMatrix } from '../import/parity-helpers';

const featuresOf = (model: TreesModelJson) => model.featureNames.map((name) => ({ name, kind: 'numeric' as const }));

/** The leaf a row reaches by following shapForest.next from the root. */
function leafByNext(forest: NonNullable<ReturnType<typeof treesFromJson>['shapForest']>, t: number, row: Float64Array) {
  let node = 0;
  while (forest.trees[t].left[node] >= 0) node = forest.next(t, node, row);
  return node;
}

describe('the trees model kind', () => {
  test.each([
    ['xgb-categorical.json', 'xgb-categorical-sample.csv', ['age', 'income', 'visits', 'score', 'color']],
    ['xgb-regression.json', 'xgb-regression-sample.csv', ['age', 'income', 'visits', 'score']],
  ])('%s: the shapForest paths reach the leaves scoring sums, within float32 rounding', (file, sample, columns) => {
    // given an imported XGBoost forest and the held-back rows (with missing values and categories)
    const imported = parseXgboostModel(fixtureBytes(file), file);
    const model = treesFromJson(imported.model, featuresOf(imported.model));
    const forest = model.shapForest!;
    const matrix = sampleMatrix(sample, columns);
    const row = new Float64Array(columns.length);
    let largest = 0;
    for (let r = 0; r < matrix.rowCount; r++) {
      for (let f = 0; f < columns.length; f++) row[f] = matrix.columns[f][r];
      // when the margin is rebuilt from the leaves next() leads to
      let margin = forest.baseMargin;
      forest.trees.forEach((tree, t) => {
        margin += tree.value[leafByNext(forest, t, row)];
      });
      const score = imported.model.task === 'binary' ? 1 / (1 + Math.exp(-margin)) : margin;
      largest = Math.max(largest, Math.abs(score - model.predictRow(row)));
    }
    // then it is the margin scoring computed, up to float64 vs float32 summation
    expect(largest).toBeLessThan(1e-5);
    expect(forest.featureCount).toBe(columns.length);
    expect(forest.trees[0].cover[0]).toBeGreaterThan(forest.trees[0].cover[1]);
  });

  test('a LightGBM forest exposes its counts as cover and a zero base margin', () => {
    const imported = parseLightgbmModel(fixtureBytes('lgb-regression.txt'), 'm.txt');
    const forest = treesFromJson(imported.model, featuresOf(imported.model)).shapForest!;
    expect(forest.baseMargin).toBe(0);
    expect(Array.from(forest.trees[0].cover)).toEqual([100, 60, 40, 25, 35]);
    // temp 12 goes right at the root (node 1), rooms 0 at a zero-type node goes right (default).
    expect(forest.next(0, 0, [12, 0])).toBe(1);
    expect(forest.next(0, 1, [12, 0])).toBe(4);
  });

  test('JSON stored in an artifact is checked: features, shape and cycles', () => {
    const model = parseLightgbmModel(fixtureBytes('lgb-regression.txt'), 'm.txt').model;
    expect(() => treesFromJson(model, [{ name: 'temp', kind: 'numeric' }])).toThrow(
      'imported trees model reads features [temp, rooms] but was given [temp]',
    );
    const cyclic = structuredClone(model);
    cyclic.trees[0].left[1] = 0;
    expect(() => treesFromJson(cyclic, featuresOf(model))).toThrow('trees model json: tree 0 reaches node 0 twice');
    const short = structuredClone(model);
    short.trees[1].cover.pop();
    expect(() => treesFromJson(short, featuresOf(model))).toThrow('tree 1 has node arrays of different lengths');
    expect(() => treesFromJson({ ...model, comparison: 'greater' }, featuresOf(model))).toThrow(
      /trees model json is invalid at comparison/,
    );
  });
});
