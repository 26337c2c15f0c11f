import { METRICS } from '../../core/config/runtime-env';
import type { DriftReport } from '../../core/drift/report';

/** Per-column metric: dimensions Model and Column (not in METRICS, which holds the Model-only ones). */
export const COLUMN_DRIFT_SCORE_METRIC = 'ColumnDriftScore';
export const COLUMN_DIMENSION = 'Column';
/** Count of drifted columns (dimension Model). */
export const DRIFTED_COLUMNS_METRIC = 'DriftedColumns';

export interface DriftMetric {
  readonly name: string;
  readonly unit: 'Count' | 'None';
  readonly value: number;
  /** Set for per-column metrics: the value of the Column dimension. */
  readonly column?: string;
}

/**
 * The check's CloudWatch metrics. Without enough data only the row count is published, so the
 * dataset-drift alarm sees missing data (not breaching) instead of a 0 that would claim "no drift".
 */
export function driftMetrics(report: DriftReport, rows: number, enoughData: boolean): DriftMetric[] {
  const metrics: DriftMetric[] = [{ name: METRICS.driftRowsChecked, unit: 'Count', value: rows }];
  if (!enoughData) return metrics;
  metrics.push(
    { name: METRICS.datasetDrift, unit: 'None', value: report.datasetDrift ? 1 : 0 },
    { name: METRICS.driftedColumnShare, unit: 'None', value: report.driftShare },
    { name: DRIFTED_COLUMNS_METRIC, unit: 'Count', value: report.driftedColumns },
  );
  for (const column of report.columns) {
    if (column.score === null || !Number.isFinite(column.score)) continue;
    metrics.push({ name: COLUMN_DRIFT_SCORE_METRIC, unit: 'None', value: column.score, column: column.name });
  }
  return metrics;
}
