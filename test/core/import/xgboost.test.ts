import { parseXgboostModel } from '../../../core/import/xgboost';
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
  ])('%s scores what python3-xgboost predicted', (model, sample, expected, columns) => {
    const imported = parseXgboostModel(fixtureBytes(model), model);
    const ours = scoreSample(imported, sample, columns);
    const theirs = expectedPredictions(expected);
    const diff = largestDifference(ours, theirs);
    console.log(model, diff);
    expect(diff).toBeLessThanOrEqual(1e-6);
  });
});
