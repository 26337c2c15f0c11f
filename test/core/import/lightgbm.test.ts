import { ImportError } from '../../../core/import/import-error';
import { parseLightgbmModel } from '../../../core/import/lightgbm';
import { treesFromJson } from '../../../core/learners/trees';
import { fixtureBytes } from './parity-helpers';

/**
 * LightGBM fixtures are written by hand from its text format (no Debian package makes them), so
 * each expected prediction below is worked out from the trees in the fixture, path by path.
 */
function scorer(file: string) {
  const imported = parseLightgbmModel(fixtureBytes(file), file);
  const model = treesFromJson(
    imported.model,
    imported.model.featureNames.map((name) => ({ name, kind: 'numeric' as const })),
  );
  return { imported, predict: (...row: number[]) => model.predictRow(Float64Array.from(row)) };
}

const sigmoid = (margin: number) => 1 / (1 + Math.exp(-margin));

describe('lgb-regression.txt: numeric splits with each missing type', () => {
  // Tree 0, node 0: temp <= 10.5 goes left to leaf 1.5; missing type NaN, default left (decision_type 10).
  //   node 1: rooms <= 2 goes left to -0.25, else 2.75; missing type zero, default right (decision_type 4).
  // Tree 1: rooms <= 3.5 goes left to 0.125, else -0.5; missing type none (NaN is read as 0).
  // Tree 2: a single leaf, 0.0625, added to every row.
  const { imported, predict } = scorer('lgb-regression.txt');

  test('the header gives the task, the objective and the feature names', () => {
    expect(imported.model.task).toBe('regression');
    expect(imported.model.objective).toBe('regression');
    expect(imported.model.featureNames).toEqual(['temp', 'rooms']);
    expect(imported.featureNamesInModel).toBe(true);
    expect(imported.model.trees).toHaveLength(3);
  });

  test('a value equal to the threshold goes left (x <= t)', () => {
    // temp 10.5 <= 10.5: leaf 1.5; rooms 3 <= 3.5: 0.125; plus 0.0625.
    expect(predict(10.5, 3)).toBe(1.6875);
    // temp 12 goes right; rooms 2 <= 2: -0.25; tree 1: 0.125; plus 0.0625.
    expect(predict(12, 2)).toBe(-0.0625);
  });

  test('missing type NaN sends NaN to the default child (left here)', () => {
    // temp NaN: default left, 1.5; rooms 4 > 3.5: -0.5; plus 0.0625.
    expect(predict(Number.NaN, 4)).toBe(1.0625);
  });

  test('missing type zero sends zero and NaN to the default child (right here)', () => {
    // rooms 0 at node 1: zero, so right: 2.75 (a plain comparison would have gone left to -0.25);
    // tree 1: 0 <= 3.5: 0.125; plus 0.0625.
    expect(predict(12, 0)).toBe(2.9375);
    // rooms NaN is read as 0 at a zero-type node: right, 2.75; at tree 1 (type none) as 0: 0.125.
    expect(predict(12, Number.NaN)).toBe(2.9375);
  });

  test('missing type none compares NaN as 0', () => {
    // temp 5: 1.5; rooms NaN at tree 1 is 0 <= 3.5: 0.125 (not -0.5); plus 0.0625.
    expect(predict(5, Number.NaN)).toBe(1.6875);
    // For contrast, rooms 5 goes right there: 2.75 - 0.5 + 0.0625.
    expect(predict(12, 5)).toBe(2.3125);
  });

  test('cover comes from the counts, leaves after the internal nodes', () => {
    expect(imported.model.trees[0].cover).toEqual([100, 60, 40, 25, 35]);
    expect(imported.model.trees[0].left).toEqual([2, 3, -1, -1, -1]);
    expect(imported.model.trees[0].right).toEqual([1, 4, -1, -1, -1]);
  });
});

test('without counts, cover comes from the hessian weights', () => {
  const text = new TextDecoder().decode(fixtureBytes('lgb-regression.txt'));
  const weighted = text
    .replace('leaf_count=40 25 35\n', '')
    .replace('internal_count=100 60\n', '')
    .replace('leaf_weight=40 25 35', 'leaf_weight=10 6.25 8.75')
    .replace('internal_weight=100 60', 'internal_weight=25 15');
  const imported = parseLightgbmModel(new TextEncoder().encode(weighted), 'm.txt');
  expect(imported.model.trees[0].cover).toEqual([25, 15, 10, 6.25, 8.75]);
});

describe('lgb-binary-categorical.txt: a categorical bitset split, binary', () => {
  // Tree 0, node 0: color is categorical (decision_type 9); cat_threshold words 10 and 2 are the
  //   bits {1, 3} and {32 + 1}: codes 1, 3 and 33 go left to leaf 0.8, others right.
  //   node 1: amount <= 100 left to -0.3, else -1.1; missing type NaN, default left (decision_type 10).
  // Tree 1: amount <= 50.25 left to 0.2, else -0.4; missing type none with the default-left bit set
  //   (decision_type 2): the bit is unused, NaN is compared as 0.
  // The probability is the logistic of the summed margin (sigmoid:1).
  const { imported, predict } = scorer('lgb-binary-categorical.txt');

  test('the bitset decodes to the category codes that go left', () => {
    expect(imported.model.task).toBe('binary');
    expect(imported.model.trees[0].categories?.[0]).toEqual([1, 3, 33]);
    expect(imported.categoricalFeatures).toEqual([0]);
  });

  test('codes in the set go left, in the first and the second bitset word', () => {
    expect(predict(3, 20)).toBe(sigmoid(0.8 + 0.2));
    expect(predict(33, 200)).toBe(sigmoid(0.8 - 0.4));
    // A fractional code is truncated: 1.7 reads as 1, in the set.
    expect(predict(1.7, 60)).toBe(sigmoid(0.8 - 0.4));
  });

  test('codes outside the set, beyond the bitset, negative or NaN go right', () => {
    // code 2: right; amount 100 <= 100: -0.3; tree 1: -0.4.
    expect(predict(2, 100)).toBe(sigmoid(-0.3 - 0.4));
    // code 64 is past the two words: not in the set; amount 10: -0.3; tree 1: 0.2.
    expect(predict(64, 10)).toBe(sigmoid(-0.3 + 0.2));
    // negative code: right; amount 150: -1.1; tree 1: -0.4.
    expect(predict(-1, 150)).toBe(sigmoid(-1.1 - 0.4));
    // NaN code: right; amount NaN: default left at node 1 (-0.3), read as 0 in tree 1 (0.2).
    expect(predict(Number.NaN, Number.NaN)).toBe(sigmoid(-0.3 + 0.2));
  });
});

describe('LightGBM files that cannot be imported', () => {
  const text = (file: string) => new TextDecoder().decode(fixtureBytes(file));
  const bytes = (value: string) => new TextEncoder().encode(value);

  test('a multi-class model is rejected by name', () => {
    const edited = text('lgb-regression.txt')
      .replace('objective=regression', 'objective=multiclass num_class:3')
      .replace('num_class=1', 'num_class=3');
    expect(() => parseLightgbmModel(bytes(edited), 'm.txt')).toThrow(/multi-class objective "multiclass"/);
  });

  test('another objective is rejected, naming it and the supported ones', () => {
    const edited = text('lgb-regression.txt').replace('objective=regression', 'objective=poisson');
    expect(() => parseLightgbmModel(bytes(edited), 'm.txt')).toThrow(
      'm.txt: objective "poisson" is not supported; supported objectives: binary, regression, regression_l2, l2, mean_squared_error, mse',
    );
  });

  test('an XGBoost file given as LightGBM says which framework to use', () => {
    expect(() => parseLightgbmModel(fixtureBytes('xgb-binary.json'), 'x.json')).toThrow(/use --framework xgboost/);
    expect(() => parseLightgbmModel(fixtureBytes('xgb-binary.ubj'), 'x.ubj')).toThrow(ImportError);
  });

  test('a truncated file is rejected', () => {
    const cut = text('lgb-regression.txt').split('end of trees')[0];
    expect(() => parseLightgbmModel(bytes(cut), 'm.txt')).toThrow(
      'm.txt has no "end of trees" line; the file is truncated',
    );
  });

  test('a tree whose arrays disagree with num_leaves is rejected', () => {
    const edited = text('lgb-regression.txt').replace('leaf_value=1.5 -0.25 2.75', 'leaf_value=1.5 -0.25');
    expect(() => parseLightgbmModel(bytes(edited), 'm.txt')).toThrow(
      'm.txt: tree 0 has 2 leaf_value values, expected 3; the file is corrupt',
    );
  });

  test('a split on a feature past max_feature_idx is rejected', () => {
    const edited = text('lgb-regression.txt').replace('split_feature=0 1', 'split_feature=0 7');
    expect(() => parseLightgbmModel(bytes(edited), 'm.txt')).toThrow(
      'm.txt: tree 0 node 1 splits on feature 7, but the model has 2',
    );
  });
});
