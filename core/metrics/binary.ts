/**
 * Metrics for binary classifiers: `scores` are probabilities (or any monotone score for AUC),
 * `labels` are 0/1. Values match scikit-learn's (golden tests in test/core/metrics).
 */

import { timed } from '../timing/phases';

/** Clipping bound for log loss, as scikit-learn's historic `eps=1e-15`: one confident mistake costs ~34.5, not infinity. */
export const LOG_LOSS_EPSILON = 1e-15;

export interface ConfusionCounts {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

export interface ThresholdMetrics extends ConfusionCounts {
  readonly threshold: number;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number>, metric: string): void {
  if (scores.length !== labels.length) {
    throw new Error(`${metric}: ${scores.length} scores but ${labels.length} labels; pass one score per label`);
  }
  if (scores.length === 0) throw new Error(`${metric}: no rows; pass at least one score and label`);
}

function isPositive(label: number, metric: string, index: number): boolean {
  if (label === 1) return true;
  if (label === 0) return false;
  throw new Error(`${metric}: label ${label} at row ${index} is not 0 or 1; encode the positive class as 1`);
}

/**
 * Area under the ROC curve, exact: the probability that a random positive outscores a random
 * negative, ties counted as one half. O(n log n): sorts positives' and negatives' scores apart
 * (native numeric sort) and merges. Throws when one class is absent (AUC is undefined).
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return timed('metrics', () => aucUntimed(scores, labels));
}

function aucUntimed(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(scores, labels, 'auc');
  let positiveCount = 0;
  for (let i = 0; i < labels.length; i++) if (isPositive(labels[i], 'auc', i)) positiveCount++;
  const negativeCount = labels.length - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) {
    throw new Error(`auc: needs both classes, got ${positiveCount} positives and ${negativeCount} negatives`);
  }
  const positives = new Float64Array(positiveCount);
  const negatives = new Float64Array(negativeCount);
  let p = 0;
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const score = scores[i];
    if (Number.isNaN(score)) throw new Error(`auc: score at row ${i} is NaN; score every row`);
    if (labels[i] === 1) positives[p++] = score;
    else negatives[n++] = score;
  }
  positives.sort();
  negatives.sort();
  // For each positive (ascending), count negatives strictly below and equal to it.
  let below = 0;
  let wins = 0;
  for (let i = 0; i < positiveCount; i++) {
    const score = positives[i];
    while (below < negativeCount && negatives[below] < score) below++;
    let equal = below;
    while (equal < negativeCount && negatives[equal] === score) equal++;
    wins += below + 0.5 * (equal - below);
  }
  return wins / positiveCount / negativeCount;
}

/** Mean binary cross-entropy with probabilities clipped to [eps, 1 - eps]. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>, eps = LOG_LOSS_EPSILON): number {
  return timed('metrics', () => logLossUntimed(probabilities, labels, eps));
}

function logLossUntimed(probabilities: ArrayLike<number>, labels: ArrayLike<number>, eps = LOG_LOSS_EPSILON): number {
  checkLengths(probabilities, labels, 'logLoss');
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i], eps), 1 - eps);
    total -= isPositive(labels[i], 'logLoss', i) ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

/** Confusion counts when a row is predicted positive iff `score >= threshold`. */
export function confusionAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ConfusionCounts {
  checkLengths(scores, labels, 'confusionAt');
  let truePositives = 0;
  let falsePositives = 0;
  let trueNegatives = 0;
  let falseNegatives = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold;
    if (isPositive(labels[i], 'confusionAt', i)) {
      if (predicted) truePositives++;
      else falseNegatives++;
    } else if (predicted) falsePositives++;
    else trueNegatives++;
  }
  return { truePositives, falsePositives, trueNegatives, falseNegatives };
}

/** 0 when the denominator is 0, as scikit-learn's `zero_division` default. */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Accuracy, precision, recall and F1 of confusion counts (for labels decided elsewhere, e.g. as served). */
export function metricsFromConfusion(counts: ConfusionCounts, threshold: number): ThresholdMetrics {
  const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = counts;
  return {
    ...counts,
    threshold,
    accuracy: (tp + tn) / (tp + fp + tn + fn),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

/** Accuracy, precision, recall and F1 when a row is predicted positive iff `score >= threshold`. */
export function metricsAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): ThresholdMetrics {
  return metricsFromConfusion(confusionAt(scores, labels, threshold), threshold);
}

/**
 * The decision threshold that maximises F1 on these rows (positive iff `score >= threshold`).
 * Candidates are the distinct scores themselves, so every achievable split is tried in
 * O(n log n). Among equal F1 values the highest threshold wins (fewest positive predictions).
 * With no positive labels F1 is 0 everywhere and the highest score is returned.
 */
export function chooseThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): ThresholdMetrics {
  return timed('metrics', () => chooseThresholdUntimed(scores, labels));
}

function chooseThresholdUntimed(scores: ArrayLike<number>, labels: ArrayLike<number>): ThresholdMetrics {
  checkLengths(scores, labels, 'chooseThreshold');
  const order = new Uint32Array(scores.length);
  let positives = 0;
  for (let i = 0; i < order.length; i++) {
    order[i] = i;
    if (isPositive(labels[i], 'chooseThreshold', i)) positives++;
    if (Number.isNaN(scores[i])) throw new Error(`chooseThreshold: score at row ${i} is NaN; score every row`);
  }
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  let truePositives = 0;
  let falsePositives = 0;
  let bestF1 = -1;
  let bestThreshold = scores[order[0]];
  let bestTp = 0;
  let bestFp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) truePositives++;
    else falsePositives++;
    const isLastOfTie = i + 1 === order.length || scores[order[i + 1]] !== scores[order[i]];
    if (!isLastOfTie) continue;
    const f1 = ratio(2 * truePositives, truePositives + falsePositives + positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      bestThreshold = scores[order[i]];
      bestTp = truePositives;
      bestFp = falsePositives;
    }
  }
  const negatives = scores.length - positives;
  return metricsFromConfusion(
    {
      truePositives: bestTp,
      falsePositives: bestFp,
      trueNegatives: negatives - bestFp,
      falseNegatives: positives - bestTp,
    },
    bestThreshold,
  );
}
