import type { FeatureInfo } from '../../../core/features/matrix';
import { linearFromJson, trainLinear } from '../../../core/learners/linear';
import { auc, rmse } from '../../../core/metrics';
import { makeProblem, rowOf, trainInput, twoNumeric, xorProblem } from './helpers';

const mixed: FeatureInfo[] = [
  { name: 'x', kind: 'numeric' },
  { name: 'flag', kind: 'binary' },
  { name: 'colour', kind: 'categorical', cardinality: 3 },
];

/** y = 1 + 2x - 3 flag + [0, 0.5, -1][colour] + small noise; x ~ 5 + 2 * U(-1, 1). */
const regressionData = (seed: number, count = 4000) =>
  makeProblem(
    mixed,
    count,
    seed,
    (u) => [5 + 2 * (u() * 2 - 1), u() < 0.4 ? 1 : 0, Math.floor(u() * 3)],
    ([x, flag, colour], u) => 1 + 2 * x - 3 * flag + [0, 0.5, -1][colour] + (u() - 0.5) * 0.1,
  );

describe('trainLinear on a regression task', () => {
  const train = regressionData(1);
  const model = trainLinear(trainInput('regression', train, regressionData(2, 10)), { l2: 1e-8 });

  it('recovers the known coefficients', () => {
    const { weights, encodings } = model.json;
    const standardized = encodings[0];
    if (standardized.kind !== 'standardized') throw new Error('x should be standardized');
    // Weights are per standardized unit: divide by the stored std to get the raw slope.
    expect(weights[0] / standardized.std).toBeCloseTo(2, 2);
    expect(weights[1]).toBeCloseTo(-3, 2);
    // One-hot levels are identified up to a shift shared with the intercept: compare differences.
    expect(weights[3] - weights[2]).toBeCloseTo(0.5, 2);
    expect(weights[4] - weights[2]).toBeCloseTo(-1, 2);
    expect(model.json.converged).toBe(true);
  });

  it('predicts new rows to within the noise', () => {
    const test = regressionData(3, 500);
    expect(rmse(model.predictMatrix(test.matrix), test.target)).toBeLessThan(0.05);
  });

  it('stores the standardisation mean and std in the model JSON', () => {
    const encoding = model.json.encodings[0];
    expect(encoding).toMatchObject({ kind: 'standardized' });
    if (encoding.kind === 'standardized') {
      expect(encoding.mean).toBeCloseTo(5, 1);
      expect(encoding.std).toBeCloseTo(2 / Math.sqrt(3), 1);
    }
  });
});

describe('trainLinear on a binary task', () => {
  /** Logit = -0.5 + 1.5 x - 2 y. */
  const logistic = (seed: number) =>
    makeProblem(
      twoNumeric,
      20000,
      seed,
      (u) => [u() * 4 - 2, u() * 4 - 2],
      ([x, y], u) => (u() < 1 / (1 + Math.exp(-(-0.5 + 1.5 * x - 2 * y))) ? 1 : 0),
    );
  const train = logistic(1);
  const model = trainLinear(trainInput('binary', train, logistic(2)), { l2: 0 });

  it('recovers the logistic coefficients', () => {
    const [x, y] = model.json.encodings;
    if (x.kind !== 'standardized' || y.kind !== 'standardized') throw new Error('numeric features are standardized');
    expect(model.json.weights[0] / x.std).toBeCloseTo(1.5, 1);
    expect(model.json.weights[1] / y.std).toBeCloseTo(-2, 1);
  });

  it('produces byte-identical JSON when trained twice', () => {
    const again = trainLinear(trainInput('binary', train, logistic(2)), { l2: 0 });
    expect(JSON.stringify(again.json)).toBe(JSON.stringify(model.json));
  });

  it('rebuilds from its JSON a model that scores exactly the same', () => {
    const rebuilt = linearFromJson(JSON.parse(JSON.stringify(model.json)), model.features);
    const validation = logistic(3);
    expect(Array.from(rebuilt.predictMatrix(validation.matrix))).toEqual(
      Array.from(model.predictMatrix(validation.matrix)),
    );
    const row = rowOf(validation.matrix, 0);
    expect(rebuilt.predictRow(row)).toBe(model.predictRow(row));
  });

  it('cannot rank an XOR-like problem, which is why the trees exist', () => {
    const validation = xorProblem(2000, 2);
    const xorModel = trainLinear(trainInput('binary', xorProblem(4000, 1), validation));
    expect(auc(xorModel.predictMatrix(validation.matrix), validation.target)).toBeLessThan(0.6);
  });
});

describe('trainLinear edge cases', () => {
  it('handles a constant feature and a constant target', () => {
    const constant = makeProblem(
      twoNumeric,
      200,
      1,
      (u) => [3, u()],
      () => 7,
    );
    const model = trainLinear(trainInput('regression', constant, constant));
    expect(model.predictRow(Float64Array.of(3, 0.4))).toBeCloseTo(7, 9);
  });

  it('rejects a categorical code outside the declared cardinality, naming feature and row', () => {
    const bad = makeProblem(
      mixed,
      5,
      1,
      () => [0, 0, 3],
      () => 1,
    );
    expect(() => trainLinear(trainInput('regression', bad, bad))).toThrow('feature "colour" row 0 has code 3');
  });

  it('rejects JSON whose weights do not match its encodings', () => {
    const model = trainLinear(trainInput('regression', regressionData(1, 50), regressionData(2, 10)));
    const corrupt = { ...model.json, weights: [1] };
    expect(() => linearFromJson(corrupt, model.features)).toThrow('has 1 weights; its encodings need 5');
  });
});
