import type { ShapForest } from '../explain/shap-forest';
import type { FeatureInfo, FeatureMatrix } from '../features/matrix';

export type Task = 'binary' | 'regression';

/** Called while training so the command line can show progress. */
export type ProgressListener = (event: {
  learner: string;
  iteration: number;
  total: number;
  validationMetric?: number;
  metricName?: string;
}) => void;

export interface TrainInput {
  readonly task: Task;
  readonly train: FeatureMatrix;
  /** Binary: 0/1. Regression: the target value. */
  readonly trainTarget: Float64Array;
  readonly validation: FeatureMatrix;
  readonly validationTarget: Float64Array;
  readonly seed: number;
  readonly onProgress?: ProgressListener;
}

/**
 * A fitted model as plain JSON (stored verbatim in the artifact) plus a fast scorer.
 * `predictRow` takes one feature vector (in `features` order) and returns the probability of the
 * positive class (binary) or the prediction (regression).
 */
export interface FittedModel<J = unknown> {
  readonly kind: string;
  readonly json: J;
  readonly features: readonly FeatureInfo[];
  predictRow(row: Float64Array): number;
  predictMatrix(matrix: FeatureMatrix): Float64Array;
  /**
   * The margin before the link (log-odds for binary, the prediction for regression), computed as
   * scoring computes it. Imported forests: checked against the framework's own output_margin.
   */
  predictMarginRow?(row: Float64Array): number;
  /** Tree models: what TreeSHAP explains (absent for models it cannot explain, such as linear ones). */
  readonly shapForest?: ShapForest;
}
