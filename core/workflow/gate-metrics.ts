import type { PROBLEM_TYPES } from '../config/schema';
import { auc, logLoss, mae, metricsAtThreshold, r2, rmse } from '../metrics';

/**
 * The one rule for what the promotion gate can measure: for each metric, the task it fits, its
 * direction, and how it is computed from held-out scores and labels. The config's `gate.metric`
 * enum, its default, the held-out scoring and the gate's direction all read this table, so the
 * config cannot offer a metric the evaluate step cannot measure.
 */

/** The config's problem types (a type-only import: the config imports this module at run time). */
export type GateTask = (typeof PROBLEM_TYPES)[number];

export interface GateMetricRule {
  readonly task: GateTask;
  readonly higherIsBetter: boolean;
  /**
   * Scores are positive-class probabilities (binary) or predictions (regression); labels are 0/1
   * or targets. `threshold` is the model's own decision threshold (binary), so accuracy and F1
   * judge each model as it serves.
   */
  readonly measure: (scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number) => number;
}

export const GATE_METRICS = {
  auc: { task: 'binary', higherIsBetter: true, measure: (scores, labels) => auc(scores, labels) },
  logloss: { task: 'binary', higherIsBetter: false, measure: (scores, labels) => logLoss(scores, labels) },
  accuracy: {
    task: 'binary',
    higherIsBetter: true,
    measure: (scores, labels, threshold) => metricsAtThreshold(scores, labels, threshold).accuracy,
  },
  f1: {
    task: 'binary',
    higherIsBetter: true,
    measure: (scores, labels, threshold) => metricsAtThreshold(scores, labels, threshold).f1,
  },
  rmse: { task: 'regression', higherIsBetter: false, measure: (scores, labels) => rmse(scores, labels) },
  mae: { task: 'regression', higherIsBetter: false, measure: (scores, labels) => mae(scores, labels) },
  r2: { task: 'regression', higherIsBetter: true, measure: (scores, labels) => r2(scores, labels) },
} as const satisfies Record<string, GateMetricRule>;

export type GateMetric = keyof typeof GATE_METRICS;

/** Every gate metric, binary ones first (the order the config's JSON Schema lists them). */
export const GATE_METRIC_NAMES = Object.keys(GATE_METRICS) as [GateMetric, ...GateMetric[]];

type MetricOf<Task extends GateTask> = {
  [Name in GateMetric]: (typeof GATE_METRICS)[Name]['task'] extends Task ? Name : never;
}[GateMetric];

function metricsOf<Task extends GateTask>(task: Task): readonly MetricOf<Task>[] {
  return GATE_METRIC_NAMES.filter((name) => GATE_METRICS[name].task === task) as MetricOf<Task>[];
}

export const BINARY_METRICS = metricsOf('binary');
export const REGRESSION_METRICS = metricsOf('regression');

/** The gate metric when the config names none. */
export const DEFAULT_GATE_METRIC = { binary: 'auc', regression: 'rmse' } as const satisfies {
  readonly [Task in GateTask]: MetricOf<Task>;
};

/** The first-model floor when the config names none: only the default binary metric has a sensible one. */
export function defaultGateFloor(metric: GateMetric): number | null {
  return metric === 'auc' ? 0.6 : null;
}

export function gateMetricsFor(task: GateTask): readonly GateMetric[] {
  return task === 'binary' ? BINARY_METRICS : REGRESSION_METRICS;
}
