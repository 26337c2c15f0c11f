import { defaultsFor } from '../../../core/config/parse';
import { decideGate } from '../../../core/workflow/gate';
import {
  BINARY_METRICS,
  DEFAULT_GATE_METRIC,
  GATE_METRICS,
  type GateMetric,
  type GateMetricRule,
  REGRESSION_METRICS,
} from '../../../core/workflow/gate-metrics';

// Labels 0/1 with a good and a poor set of probabilities for them (binary), and targets with a
// close and a far set of predictions (regression): the better model must win on every metric.
const binaryLabels = [0, 0, 0, 1, 1, 1, 0, 1];
const goodProbabilities = [0.1, 0.2, 0.3, 0.8, 0.9, 0.7, 0.4, 0.6];
const poorProbabilities = [0.6, 0.4, 0.7, 0.3, 0.6, 0.5, 0.5, 0.4];
const targets = [10, 12, 15, 20, 22, 30];
const closePredictions = [11, 12, 14, 21, 22, 29];
const farPredictions = [15, 8, 20, 14, 28, 22];

function betterAndWorse(metric: GateMetric): { better: number; worse: number } {
  const rule: GateMetricRule = GATE_METRICS[metric];
  return rule.task === 'binary'
    ? {
        better: rule.measure(goodProbabilities, binaryLabels, 0.5),
        worse: rule.measure(poorProbabilities, binaryLabels, 0.5),
      }
    : { better: rule.measure(closePredictions, targets, 0.5), worse: rule.measure(farPredictions, targets, 0.5) };
}

describe('gate metrics', () => {
  it('lists every binary and regression metric once, binary first', () => {
    expect(Object.keys(GATE_METRICS)).toEqual([...BINARY_METRICS, ...REGRESSION_METRICS]);
    expect(BINARY_METRICS).toEqual(['auc', 'logloss', 'accuracy', 'f1']);
    expect(REGRESSION_METRICS).toEqual(['rmse', 'mae', 'r2']);
  });

  it.each(Object.keys(GATE_METRICS) as GateMetric[])('%s promotes the better model and rejects the worse', (metric) => {
    const { better, worse } = betterAndWorse(metric);
    const rule = { metric, minGain: 0 };
    expect(decideGate(rule, better, worse).decision).toBe('promote');
    expect(decideGate(rule, worse, better).decision).toBe('reject');
  });

  it.each([
    ['logloss', 0.3, 0.5],
    ['mae', 1, 2],
  ] as const)('%s is an error metric: its floor is a ceiling for a first model', (metric, low, high) => {
    const rule = { metric, minGain: 0, floor: (low + high) / 2 };
    expect(decideGate(rule, low, null).decision).toBe('promote');
    expect(decideGate(rule, high, null).decision).toBe('reject');
  });

  it('measures accuracy and f1 at the threshold it is given', () => {
    const labels = [0, 1, 1];
    const scores = [0.2, 0.4, 0.9];
    expect(GATE_METRICS.accuracy.measure(scores, labels, 0.5)).toBeCloseTo(2 / 3, 12);
    expect(GATE_METRICS.accuracy.measure(scores, labels, 0.3)).toBe(1);
    expect(GATE_METRICS.f1.measure(scores, labels, 0.3)).toBe(1);
  });

  it('defaults to auc with a floor of 0.6 for binary models and rmse without floor for regression', () => {
    expect(DEFAULT_GATE_METRIC).toEqual({ binary: 'auc', regression: 'rmse' });
    expect(defaultsFor({ name: 'churn', target: 'churned', positiveLabel: 'yes' }).gate).toMatchObject({
      metric: 'auc',
      floor: 0.6,
    });
  });
});
