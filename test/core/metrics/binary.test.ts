import { auc, chooseThreshold, LOG_LOSS_EPSILON, logLoss, metricsAtThreshold } from '../../../core/metrics';
import golden from './fixtures/binary.json';

const TOLERANCE_DIGITS = 9;

interface GoldenBinaryCase {
  name: string;
  scores: number[];
  labels: number[];
  auc: number;
  logLoss: number;
  atThreshold: Record<string, { accuracy: number; precision: number; recall: number; f1: number }>;
  bestF1: number;
  bestThreshold: number;
}

const cases = golden.cases as GoldenBinaryCase[];

describe.each(cases.map((c) => [c.name, c] as const))('binary metrics match scikit-learn on %s', (_name, golden) => {
  it('computes the same AUC', () => {
    expect(auc(golden.scores, golden.labels)).toBeCloseTo(golden.auc, TOLERANCE_DIGITS);
  });

  it('computes the same clipped log loss', () => {
    expect(logLoss(golden.scores, golden.labels)).toBeCloseTo(golden.logLoss, TOLERANCE_DIGITS);
  });

  it.each(Object.keys(golden.atThreshold))('computes the same accuracy, precision, recall and F1 at %s', (key) => {
    const expected = golden.atThreshold[key];
    const actual = metricsAtThreshold(golden.scores, golden.labels, Number(key));
    expect(actual.accuracy).toBeCloseTo(expected.accuracy, TOLERANCE_DIGITS);
    expect(actual.precision).toBeCloseTo(expected.precision, TOLERANCE_DIGITS);
    expect(actual.recall).toBeCloseTo(expected.recall, TOLERANCE_DIGITS);
    expect(actual.f1).toBeCloseTo(expected.f1, TOLERANCE_DIGITS);
  });

  it('chooses the threshold with the best F1 found by brute force', () => {
    const chosen = chooseThreshold(golden.scores, golden.labels);
    expect(chosen.f1).toBeCloseTo(golden.bestF1, TOLERANCE_DIGITS);
    expect(chosen.threshold).toBe(golden.bestThreshold);
  });
});

describe('auc', () => {
  it('is 0.5 when every score is tied', () => {
    // Given scores that cannot tell the classes apart
    const scores = [0.3, 0.3, 0.3, 0.3];
    // When / then
    expect(auc(scores, [0, 1, 0, 1])).toBe(0.5);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it('rejects a single class with a message naming the counts', () => {
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow('2 positives and 0 negatives');
  });

  it('rejects labels other than 0 and 1', () => {
    expect(() => auc([0.1, 0.2], [0, 2])).toThrow('label 2 at row 1');
  });

  it('rejects mismatched lengths', () => {
    expect(() => auc([0.1], [0, 1])).toThrow('1 scores but 2 labels');
  });
});

describe('logLoss', () => {
  it('clips a confident mistake to -log(eps) instead of infinity', () => {
    // Given a certain prediction that is wrong
    const loss = logLoss([0], [1]);
    // Then the loss is finite
    expect(loss).toBeCloseTo(-Math.log(LOG_LOSS_EPSILON), 9);
  });
});

describe('chooseThreshold', () => {
  it('returns the highest score when there is no positive label', () => {
    const chosen = chooseThreshold([0.2, 0.9, 0.4], [0, 0, 0]);
    expect(chosen.f1).toBe(0);
    expect(chosen.threshold).toBe(0.9);
  });

  it('reports the confusion counts at the chosen threshold', () => {
    // Given two positives scored above every negative
    const chosen = chooseThreshold([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]);
    // Then the threshold separates them perfectly
    expect(chosen).toMatchObject({ threshold: 0.8, f1: 1, truePositives: 2, falsePositives: 0, trueNegatives: 2 });
  });
});
