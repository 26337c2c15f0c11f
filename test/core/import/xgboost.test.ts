import { ImportError } from '../../../core/import/import-error';
import { parseLenientJson, parseXgboostModel, xgboostScalar } from '../../../core/import/xgboost';
import { expectedPredictions, fixtureBytes, largestDifference, scoreSample } from './parity-helpers';

const NUMERIC = ['age', 'income', 'visits', 'score'];

describe('XGBoost parity on the held-back sample', () => {
  test.each([
    ['xgb-binary.json', 'xgb-binary-sample.csv', 'xgb-binary-expected.txt', NUMERIC],
    ['xgb-binary.ubj', 'xgb-binary-sample.csv', 'xgb-binary-expected.txt', NUMERIC],
    ['xgb-regression.json', 'xgb-regression-sample.csv', 'xgb-regression-expected.txt', NUMERIC],
    ['xgb-regression.ubj', 'xgb-regression-sample.csv', 'xgb-regression-expected.txt', NUMERIC],
    ['xgb-categorical.json', 'xgb-categorical-sample.csv', 'xgb-categorical-expected.txt', [...NUMERIC, 'color']],
    ['xgb-binary-v2.json', 'xgb-binary-sample.csv', 'xgb-binary-expected.txt', NUMERIC],
    ['xgb-regression-v2.json', 'xgb-regression-sample.csv', 'xgb-regression-expected.txt', NUMERIC],
    ['xgb-binary-v3.json', 'xgb-binary-sample.csv', 'xgb-binary-expected.txt', NUMERIC],
    ['xgb-categorical-v3.json', 'xgb-categorical-sample.csv', 'xgb-categorical-expected.txt', [...NUMERIC, 'color']],
    ['xgb-categorical.json', 'xgb-categorical-codes.csv', 'xgb-categorical-codes-expected.txt', [...NUMERIC, 'color']],
    ['xgb-binary-base-score.json', 'xgb-binary-sample.csv', 'xgb-binary-base-score-expected.txt', NUMERIC],
  ])('%s on %s scores what python3-xgboost predicted', (model, sample, expected, columns) => {
    const imported = parseXgboostModel(fixtureBytes(model), model);
    const ours = scoreSample(imported, sample, columns);
    const theirs = expectedPredictions(expected);
    expect(ours).toHaveLength(theirs.length);
    // Float32 inputs, thresholds and sums as XGBoost keeps them: the same bits (measured: 0 on every fixture).
    expect(largestDifference(ours, theirs)).toBeLessThanOrEqual(1e-6);
  });
});

describe('what the XGBoost parser reads from each version', () => {
  test('1.7.4 JSON: task, objective, base score, names, categorical features, version', () => {
    const imported = parseXgboostModel(fixtureBytes('xgb-categorical.json'), 'm.json');
    expect(imported.frameworkVersion).toBe('1.7.4');
    expect(imported.model.task).toBe('binary');
    expect(imported.model.objective).toBe('binary:logistic');
    expect(imported.model.baseMargin).toBe(0);
    expect(imported.model.featureNames).toEqual([...NUMERIC, 'color']);
    expect(imported.categoricalFeatures).toEqual([4]);
    expect(imported.model.trees).toHaveLength(20);
    expect(imported.model.trees.some((tree) => tree.categories?.some((set) => set !== null))).toBe(true);
  });

  test('a model trained on a bare array has no names: f0..f3, and says so', () => {
    const imported = parseXgboostModel(fixtureBytes('xgb-regression.json'), 'm.json');
    expect(imported.featureNamesInModel).toBe(false);
    expect(imported.model.featureNames).toEqual(['f0', 'f1', 'f2', 'f3']);
  });

  test('JSON and UBJSON of one model give the same forest once thresholds are float32', () => {
    const json = parseXgboostModel(fixtureBytes('xgb-binary.json'), 'm.json').model;
    const ubj = parseXgboostModel(fixtureBytes('xgb-binary.ubj'), 'm.ubj').model;
    const float32 = (values: number[]) => values.map(Math.fround);
    expect(ubj.trees.map((tree) => float32(tree.threshold))).toEqual(json.trees.map((tree) => float32(tree.threshold)));
    expect(ubj.trees.map((tree) => tree.defaultLeft)).toEqual(json.trees.map((tree) => tree.defaultLeft));
    expect(ubj.featureNames).toEqual(json.featureNames);
  });

  test.each([
    ['5E-1', 0.5],
    ['[5E-1]', 0.5],
    [' [ 2.5E-1 ] ', 0.25],
    [0.5, 0.5],
    [[0.5], 0.5],
  ])('base_score spelled %j reads as %d', (spelling, value) => {
    expect(xgboostScalar(spelling, 'base_score', 'm')).toBe(value);
  });

  test('a base score vector with two targets is rejected', () => {
    expect(() => xgboostScalar('[5E-1,2E-1]', 'base_score', 'm.json')).toThrow(
      'm.json: base_score is "[5E-1,2E-1]"; only one target is supported',
    );
  });

  test('bare NaN and Infinity outside strings become null and infinities; inside strings they stay', () => {
    expect(parseLenientJson('{"a":[NaN,Infinity,-Infinity],"b":"NaN Infinity"}', 'm')).toEqual({
      a: [null, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      b: 'NaN Infinity',
    });
  });
});

describe('XGBoost files that cannot be imported', () => {
  const text = (file: string) => new TextDecoder().decode(fixtureBytes(file));
  /** The parts of XGBoost's JSON document these tests edit. */
  interface XgboostDocument {
    learner: {
      objective: { name: string };
      learner_model_param: Record<string, string>;
      gradient_booster: { name: string; model: { trees: Array<{ split_indices: number[]; left_children: number[] }> } };
    };
  }
  const edited = (edit: (model: XgboostDocument) => void) => {
    const model = parseLenientJson(text('xgb-binary.json'), 'm') as XgboostDocument;
    edit(model);
    return new TextEncoder().encode(JSON.stringify(model));
  };

  test('a multi-class model is rejected by name', () => {
    const bytes = edited((model) => {
      model.learner.objective.name = 'multi:softprob';
      model.learner.learner_model_param.num_class = '3';
    });
    expect(() => parseXgboostModel(bytes, 'm.json')).toThrow(
      'm.json: multi-class objective "multi:softprob" (3 classes) is not supported; supported objectives: binary:logistic, reg:squarederror, reg:linear',
    );
  });

  test('another objective is rejected, naming it and the supported ones', () => {
    const bytes = edited((model) => {
      model.learner.objective.name = 'reg:gamma';
    });
    expect(() => parseXgboostModel(bytes, 'm.json')).toThrow(
      'm.json: objective "reg:gamma" is not supported; supported objectives: binary:logistic, reg:squarederror, reg:linear',
    );
  });

  test('a dart booster is rejected', () => {
    const bytes = edited((model) => {
      model.learner.gradient_booster.name = 'dart';
    });
    expect(() => parseXgboostModel(bytes, 'm.json')).toThrow(/booster "dart" is not supported/);
  });

  test('a split on a feature past num_feature is rejected', () => {
    const bytes = edited((model) => {
      model.learner.gradient_booster.model.trees[3].split_indices[0] = 9;
    });
    expect(() => parseXgboostModel(bytes, 'm.json')).toThrow(
      'm.json: tree 3 node 0 splits on feature 9, but the model has 4',
    );
  });

  test('a tree whose children loop back is rejected', () => {
    const bytes = edited((model) => {
      model.learner.gradient_booster.model.trees[0].left_children[1] = 0;
    });
    expect(() => parseXgboostModel(bytes, 'm.json')).toThrow(/tree 0 links node 0 twice/);
  });

  test('truncated JSON and truncated UBJSON are corrupt files', () => {
    const json = fixtureBytes('xgb-binary.json');
    expect(() => parseXgboostModel(json.subarray(0, json.length / 2), 'm.json')).toThrow(/m.json is not valid JSON/);
    const ubj = fixtureBytes('xgb-binary.ubj');
    expect(() => parseXgboostModel(ubj.subarray(0, ubj.length / 2), 'm.ubj')).toThrow(
      /m.ubj is not valid UBJSON: ends inside a value/,
    );
  });

  test('a LightGBM text model given as XGBoost says which framework to use', () => {
    expect(() => parseXgboostModel(fixtureBytes('lgb-regression.txt'), 'm.txt')).toThrow(
      'm.txt looks like a LightGBM text model, not XGBoost; use --framework lightgbm',
    );
  });

  test('JSON that is not an XGBoost model is rejected', () => {
    expect(() => parseXgboostModel(new TextEncoder().encode('{"format":"mlops-model"}'), 'a.json')).toThrow(
      ImportError,
    );
  });
});
