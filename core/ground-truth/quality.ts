import { auc, logLoss, mae, metricsFromConfusion, rmse } from '../metrics';
import type { ActualLabel, JoinedRow } from './records';

/**
 * Model quality measured on live outcomes: the joined rows of one time window (join.ts
 * `readJoinedWindow`), per model version. Values equal scikit-learn's on the same rows (golden
 * tests in test/core/ground-truth/quality.test.ts): AUC (`roc_auc_score`), log loss (`log_loss`,
 * eps 1e-15), accuracy/precision/recall/F1 of the served labels (`zero_division=0`), calibration
 * (`calibration_curve`, uniform bins), RMSE/MAE; label delay percentiles as numpy's (linear).
 */

/** What the version predicts, to read actual labels against (the model's target encoding). */
export type QualityTarget =
  | {
      readonly task: 'binary';
      readonly positiveLabel: string;
      readonly negativeLabel?: string;
      /** Decides rows recorded without a served label: positive iff score >= threshold. @default 0.5 */
      readonly threshold?: number;
    }
  | { readonly task: 'regression' };

export interface CalibrationBin {
  /** The bin holds scores in (lower, upper]; the first also holds `lower` itself. */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean score in the bin (null when empty). */
  readonly meanPredicted: number | null;
  /** Share of positive outcomes in the bin (null when empty). */
  readonly observedRate: number | null;
}

export interface BinaryQuality {
  readonly positives: number;
  readonly negatives: number;
  /** Null when one class is absent from the outcomes (AUC is undefined). */
  readonly auc: number | null;
  readonly logLoss: number;
  /** Of the labels as served (the version's own threshold). */
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
  readonly calibration: CalibrationBin[];
}

export interface RegressionQuality {
  readonly rmse: number;
  readonly mae: number;
}

export interface VersionQuality {
  readonly version: number;
  /** Joined rows with a readable outcome: what every metric is computed on. */
  readonly labeled: number;
  /** Outcomes that are not a label of this model (e.g. "maybe" for yes/no, text for a regression). */
  readonly unreadableLabels: number;
  /** Predictions made in the window (null when not known). */
  readonly predictions: number | null;
  /** labeled / predictions (null when predictions are not known or zero). */
  readonly coverage: number | null;
  /** Seconds from prediction to outcome received, over the labeled rows. */
  readonly labelDelaySeconds: { readonly p50: number; readonly p90: number } | null;
  readonly binary?: BinaryQuality;
  readonly regression?: RegressionQuality;
}

export interface QualityOptions {
  readonly target: QualityTarget;
  /** Predictions per version in the window, for coverage (join.ts `predictionCountsIn`). */
  readonly predictionCounts?: ReadonlyMap<number, number>;
  /** Equal-width calibration bins over [0, 1]. @default 10 */
  readonly calibrationBins?: number;
}

const TRUE_TEXT = new Set(['1', 'true']);
const FALSE_TEXT = new Set(['0', 'false']);

/**
 * An outcome as the learner's encoding: for a binary model 1 for the positive class, 0 for the
 * other; the model's own labels first (so a model whose labels are "0"/"1" reads them as
 * labels), then 0/1/true/false. For regression, the number (numeric text too). Null when the
 * outcome cannot be read as this model's.
 */
export function encodeActual(label: ActualLabel, target: QualityTarget): number | null {
  if (target.task === 'regression') {
    if (typeof label === 'number') return label;
    if (typeof label === 'boolean' || label.trim() === '') return null;
    const value = Number(label);
    return Number.isFinite(value) ? value : null;
  }
  const text = String(label);
  if (text === target.positiveLabel) return 1;
  if (target.negativeLabel !== undefined && text === target.negativeLabel) return 0;
  const lower = text.trim().toLowerCase();
  if (TRUE_TEXT.has(lower)) return 1;
  if (FALSE_TEXT.has(lower)) return 0;
  return null;
}

/** Quality per version (ascending) of the rows of one window. */
export function computeQuality(rows: readonly JoinedRow[], options: QualityOptions): VersionQuality[] {
  const byVersion = new Map<number, JoinedRow[]>();
  for (const row of rows) {
    const group = byVersion.get(row.version);
    if (group) group.push(row);
    else byVersion.set(row.version, [row]);
  }
  for (const version of options.predictionCounts?.keys() ?? []) if (!byVersion.has(version)) byVersion.set(version, []);
  return [...byVersion.keys()]
    .sort((a, b) => a - b)
    .map((version) => versionQuality(version, byVersion.get(version)!, options));
}

function versionQuality(version: number, rows: readonly JoinedRow[], options: QualityOptions): VersionQuality {
  const { target } = options;
  const scores: number[] = [];
  const outcomes: number[] = [];
  const predicted: number[] = [];
  const delays: number[] = [];
  let unreadableLabels = 0;
  for (const row of rows) {
    const outcome = encodeActual(row.actual, target);
    if (outcome === null) {
      unreadableLabels++;
      continue;
    }
    scores.push(row.score);
    outcomes.push(outcome);
    delays.push((Date.parse(row.receivedAt) - Date.parse(row.time)) / 1000);
    if (target.task === 'binary') {
      predicted.push(
        row.label !== undefined
          ? row.label === target.positiveLabel
            ? 1
            : 0
          : row.score >= (target.threshold ?? 0.5)
            ? 1
            : 0,
      );
    }
  }
  const labeled = outcomes.length;
  const predictions = options.predictionCounts?.get(version) ?? null;
  const sortedDelays = Float64Array.from(delays).sort();
  const quality: VersionQuality = {
    version,
    labeled,
    unreadableLabels,
    predictions,
    coverage: predictions ? labeled / predictions : null,
    labelDelaySeconds: labeled > 0 ? { p50: percentile(sortedDelays, 50), p90: percentile(sortedDelays, 90) } : null,
  };
  if (labeled === 0) return quality;
  if (target.task === 'regression')
    return { ...quality, regression: { rmse: rmse(scores, outcomes), mae: mae(scores, outcomes) } };
  return { ...quality, binary: binaryQuality(scores, outcomes, predicted, options.calibrationBins ?? 10) };
}

function binaryQuality(
  scores: readonly number[],
  outcomes: readonly number[],
  predicted: readonly number[],
  bins: number,
): BinaryQuality {
  let positives = 0;
  for (const outcome of outcomes) positives += outcome;
  const negatives = outcomes.length - positives;
  let truePositives = 0;
  let falsePositives = 0;
  for (let i = 0; i < outcomes.length; i++) {
    if (predicted[i] === 1 && outcomes[i] === 1) truePositives++;
    else if (predicted[i] === 1) falsePositives++;
  }
  const confusion = {
    truePositives,
    falsePositives,
    trueNegatives: negatives - falsePositives,
    falseNegatives: positives - truePositives,
  };
  const { threshold: _unused, ...atServedLabels } = metricsFromConfusion(confusion, Number.NaN);
  return {
    positives,
    negatives,
    auc: positives > 0 && negatives > 0 ? auc(scores, outcomes) : null,
    logLoss: logLoss(scores, outcomes),
    ...atServedLabels,
    calibration: calibration(scores, outcomes, bins),
  };
}

/**
 * Predicted against observed rate in `bins` equal-width bins of [0, 1], binned as scikit-learn's
 * `calibration_curve(strategy="uniform")`: edges `i * (1 / bins)`, a score on an inner edge goes
 * to the bin below it (`searchsorted` left), scores outside [0, 1] to the end bins.
 */
export function calibration(scores: readonly number[], outcomes: readonly number[], bins = 10): CalibrationBin[] {
  const step = 1 / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? 1 : i * step));
  const counts = new Array<number>(bins).fill(0);
  const scoreSums = new Array<number>(bins).fill(0);
  const positiveCounts = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    // The bin is the number of inner edges strictly below the score.
    let low = 0;
    let high = bins - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (edges[middle + 1] < scores[i]) low = middle + 1;
      else high = middle;
    }
    counts[low]++;
    scoreSums[low] += scores[i];
    positiveCounts[low] += outcomes[i];
  }
  return counts.map((count, i) => ({
    lower: edges[i],
    upper: edges[i + 1],
    count,
    meanPredicted: count > 0 ? scoreSums[i] / count : null,
    observedRate: count > 0 ? positiveCounts[i] / count : null,
  }));
}

/** numpy's `percentile(values, q)` (method "linear") of ascending values, including its lerp. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new Error('percentile: no values');
  const position = (q / 100) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  const a = sorted[below];
  const b = sorted[above];
  const difference = b - a;
  // numpy interpolates from the nearer end, which keeps the result exact at both ends.
  return fraction >= 0.5 ? b - difference * (1 - fraction) : a + difference * fraction;
}
