import { METRICS } from '../../core/config/runtime-env';
import type { PolicyResult } from '../../core/ground-truth/policy';
import type { RollbackOutcome } from './check';

export interface QualityMetric {
  readonly name: string;
  readonly unit: 'Count' | 'None';
  readonly value: number;
}

/**
 * Metrics with the Model dimension only. The measured values only with enough outcomes, so the
 * alarms see missing data (not breaching) rather than a number computed on a handful of rows.
 */
export function qualityMetrics(
  policy: PolicyResult,
  numbers: { labeled: number; auc: number | null; rmse: number | null },
  rollback: RollbackOutcome,
): QualityMetric[] {
  const metrics: QualityMetric[] = [{ name: METRICS.qualityLabeled, unit: 'Count', value: numbers.labeled }];
  if (policy.status === 'not-enough-labels') return metrics;
  if (numbers.auc !== null) metrics.push({ name: METRICS.qualityAuc, unit: 'None', value: numbers.auc });
  if (numbers.rmse !== null) metrics.push({ name: METRICS.qualityRmse, unit: 'None', value: numbers.rmse });
  metrics.push(
    { name: METRICS.qualityDegraded, unit: 'None', value: policy.status === 'degraded' ? 1 : 0 },
    { name: METRICS.qualityRollback, unit: 'None', value: rollback.status === 'rolled-back' ? 1 : 0 },
  );
  return metrics;
}
