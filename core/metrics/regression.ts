/** Metrics for regressors; values match scikit-learn's (golden tests in test/core/metrics). */

import { timed } from '../timing/phases';

function checkLengths(predictions: ArrayLike<number>, targets: ArrayLike<number>, metric: string): void {
  if (predictions.length !== targets.length) {
    throw new Error(`${metric}: ${predictions.length} predictions but ${targets.length} targets; pass one per target`);
  }
  if (targets.length === 0) throw new Error(`${metric}: no rows; pass at least one prediction and target`);
}

export function rmse(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  return timed('metrics', () => rmseUntimed(predictions, targets));
}

function rmseUntimed(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  checkLengths(predictions, targets, 'rmse');
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    const error = predictions[i] - targets[i];
    total += error * error;
  }
  return Math.sqrt(total / targets.length);
}

export function mae(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  return timed('metrics', () => maeUntimed(predictions, targets));
}

function maeUntimed(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  checkLengths(predictions, targets, 'mae');
  let total = 0;
  for (let i = 0; i < targets.length; i++) total += Math.abs(predictions[i] - targets[i]);
  return total / targets.length;
}

/**
 * Coefficient of determination, 1 - SS_res / SS_tot. For a constant target, as scikit-learn's
 * `force_finite`: 1 when the predictions are exact, 0 otherwise (instead of NaN / -Infinity).
 */
export function r2(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  return timed('metrics', () => r2Untimed(predictions, targets));
}

function r2Untimed(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  checkLengths(predictions, targets, 'r2');
  let mean = 0;
  for (let i = 0; i < targets.length; i++) mean += targets[i];
  mean /= targets.length;
  let residual = 0;
  let totalSquares = 0;
  for (let i = 0; i < targets.length; i++) {
    residual += (targets[i] - predictions[i]) ** 2;
    totalSquares += (targets[i] - mean) ** 2;
  }
  if (totalSquares === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / totalSquares;
}
