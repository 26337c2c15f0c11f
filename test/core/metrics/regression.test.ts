import { mae, r2, rmse } from '../../../core/metrics';
import golden from './fixtures/regression.json';

const TOLERANCE_DIGITS = 9;

interface GoldenRegressionCase {
  name: string;
  predictions: number[];
  targets: number[];
  rmse: number;
  mae: number;
  r2: number;
}

const cases = golden.cases as GoldenRegressionCase[];

describe.each(cases.map((c) => [c.name, c] as const))(
  'regression metrics match scikit-learn on %s',
  (_name, golden) => {
    it('computes the same RMSE', () => {
      expect(rmse(golden.predictions, golden.targets)).toBeCloseTo(golden.rmse, TOLERANCE_DIGITS);
    });

    it('computes the same MAE', () => {
      expect(mae(golden.predictions, golden.targets)).toBeCloseTo(golden.mae, TOLERANCE_DIGITS);
    });

    it('computes the same R²', () => {
      expect(r2(golden.predictions, golden.targets)).toBeCloseTo(golden.r2, TOLERANCE_DIGITS);
    });
  },
);

describe('regression metric inputs', () => {
  it('rejects predictions and targets of different lengths', () => {
    expect(() => rmse([1, 2], [1])).toThrow('2 predictions but 1 targets');
  });

  it('rejects empty input', () => {
    expect(() => mae([], [])).toThrow('no rows');
  });
});
