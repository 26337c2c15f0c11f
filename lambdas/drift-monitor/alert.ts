import { driftStrength } from '../../core/drift/html';
import type { ColumnDrift, DriftReport } from '../../core/drift/report';
import { P_VALUE_TESTS } from '../../core/drift/thresholds';
import { describeRetrain, type RetrainOutcome } from './retrain';

/** The SNS alert of an actionable check, and the one-line texts it shares with the log. */

export interface DriftAlert {
  readonly subject: string;
  readonly message: string;
}

const TOP_COLUMNS = 5;

function formatScore(value: number): string {
  if (value === 0) return '0';
  return Math.abs(value) >= 0.001 ? value.toFixed(3) : value.toExponential(2);
}

/** "age (wasserstein 0.312 >= 0.1)" or "plan (chisquare-homogeneity p 2.10e-9 < 0.05)". */
export function describeColumn(column: ColumnDrift): string {
  if (column.score === null) return `${column.name} (${column.status})`;
  if (P_VALUE_TESTS.has(column.test)) {
    const p = column.adjustedPValue ?? column.score;
    return `${column.name} (${column.test} p ${formatScore(p)} ${column.drift ? '<' : '>='} ${column.threshold})`;
  }
  return `${column.name} (${column.test} ${formatScore(column.score)} ${column.drift ? '>=' : '<'} ${column.threshold})`;
}

/** Drifted columns, strongest first. */
export function topDriftedColumns(report: DriftReport, limit = TOP_COLUMNS): ColumnDrift[] {
  return report.columns
    .filter((column) => column.drift)
    .sort((a, b) => driftStrength(b) - driftStrength(a) || a.name.localeCompare(b.name))
    .slice(0, limit);
}

export function summaryLine(report: DriftReport): string {
  return `drift in ${report.driftedColumns} of ${report.columnCount} columns (share ${formatScore(report.driftShare)}, threshold ${report.driftShareThreshold}); dataset drift: ${report.datasetDrift ? 'yes' : 'no'}`;
}

export interface AlertInputs {
  readonly model: string;
  readonly version: number;
  readonly report: DriftReport;
  readonly rows: number;
  readonly windowHours: number;
  readonly windowEnd: string;
  readonly reportUri: string;
  readonly htmlUri: string;
  readonly retrain: RetrainOutcome;
}

/** SNS subject (ASCII, under 100 characters) and a short plain-text body. */
export function driftAlert(inputs: AlertInputs): DriftAlert {
  const { report } = inputs;
  const subject = report.datasetDrift
    ? `Drift in ${inputs.model}: ${report.driftedColumns} of ${report.columnCount} columns drifted`
    : `Schema change in ${inputs.model} suggests retraining`;
  const lines = [
    `Drift check of ${inputs.model} (production version ${inputs.version}): ${inputs.rows} captured rows in the ${inputs.windowHours} h before ${inputs.windowEnd}.`,
    `${summaryLine(report).replace(/^d/, 'D')}.`,
  ];
  const top = topDriftedColumns(report);
  if (top.length > 0) lines.push('', 'Top drifted columns:', ...top.map((column) => `  - ${describeColumn(column)}`));
  if (report.retrainReasons.length > 0) {
    lines.push('', 'Why retraining is suggested:', ...report.retrainReasons.map((reason) => `  - ${reason}`));
  }
  lines.push(
    '',
    `Retraining: ${describeRetrain(inputs.retrain)}.`,
    '',
    `Report: ${inputs.htmlUri}`,
    `JSON: ${inputs.reportUri}`,
  );
  return { subject: subject.slice(0, 99), message: `${lines.join('\n')}\n` };
}
