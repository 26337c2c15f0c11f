import * as z from 'zod';
import { computeQuality, type QualityOptions, type VersionQuality } from './quality';
import type { JoinedRow } from './records';

/**
 * The quality monitor's outputs, read by `mlops quality` and the HTML report: the report JSON
 * (everything measured and decided), and latest.json (a small, stable summary of the newest
 * report). One schema each; the monitor writes them, the command line parses them.
 *
 *   monitoring: quality/<model>/<YYYYMMDDTHHMMSSZ>/report.json|report.html
 *               quality/<model>/latest.json    the newest report's summary (compare-and-swap)
 *               quality/<model>/state.json     the retrain cooldown
 */

export const qualityReportPrefix = (model: string): string => `quality/${model}/`;
export const qualityLatestKey = (model: string): string => `${qualityReportPrefix(model)}latest.json`;
export const qualityStateKey = (model: string): string => `${qualityReportPrefix(model)}state.json`;
export const qualityReportJsonKey = (model: string, reportId: string): string =>
  `${qualityReportPrefix(model)}${reportId}/report.json`;
export const qualityReportHtmlKey = (model: string, reportId: string): string =>
  `${qualityReportPrefix(model)}${reportId}/report.html`;

export const QUALITY_STATUSES = ['ok', 'degraded', 'regressed', 'not-enough-labels', 'no-production-model'] as const;
export type QualityStatus = (typeof QUALITY_STATUSES)[number];

/** One point of a version's metric over time: the outcomes of predictions made in [start, end). */
export const qualityPointSchema = z.object({
  start: z.string(),
  end: z.string(),
  version: z.number().int(),
  labeled: z.number().int(),
  auc: z.number().nullable(),
  rmse: z.number().nullable(),
  /** Share of positive outcomes (binary), null otherwise. */
  observedRate: z.number().nullable(),
});
export type QualityPoint = z.infer<typeof qualityPointSchema>;

/**
 * The newest report's summary at quality/<model>/latest.json: what `mlops quality <model> --json`
 * prints. Small and stable: fields are added, never renamed.
 */
export const qualityLatestSchema = z.looseObject({
  model: z.string(),
  generatedAt: z.string(),
  status: z.enum(QUALITY_STATUSES),
  reportKey: z.string(),
  htmlKey: z.string(),
  /** The production version measured (null: none yet). */
  version: z.number().int().nullable(),
  task: z.enum(['binary', 'regression']),
  window: z.object({ start: z.string(), end: z.string(), hours: z.number() }),
  /** Predictions of `version` made in the window that have an outcome. */
  labeled: z.number().int(),
  auc: z.number().nullable(),
  rmse: z.number().nullable(),
  /** labeled / predictions of `version` made in the window (null when the count is not known). */
  coverage: z.number().nullable(),
  /** Median seconds from prediction to outcome. */
  labelDelaySeconds: z.number().nullable(),
  /** What the policy did: alert sent, retrain outcome, rollback outcome. */
  alerted: z.boolean(),
  retrain: z.string(),
  rollback: z.string(),
});
export type QualityLatest = z.infer<typeof qualityLatestSchema>;

/** Per-version quality over time, in buckets of `bucketHours` from `start` to `end`, oldest first. */
export function qualityOverTime(
  rows: readonly JoinedRow[],
  options: QualityOptions & { readonly start: Date; readonly end: Date; readonly bucketHours: number },
): QualityPoint[] {
  const bucketMs = options.bucketHours * 3_600_000;
  const startMs = options.start.getTime();
  const buckets = new Map<number, JoinedRow[]>();
  for (const row of rows) {
    const time = Date.parse(row.time);
    if (time < startMs || time >= options.end.getTime()) continue;
    const index = Math.floor((time - startMs) / bucketMs);
    const bucket = buckets.get(index);
    if (bucket) bucket.push(row);
    else buckets.set(index, [row]);
  }
  const points: QualityPoint[] = [];
  for (const index of [...buckets.keys()].sort((a, b) => a - b)) {
    const from = startMs + index * bucketMs;
    const to = Math.min(from + bucketMs, options.end.getTime());
    for (const quality of computeQuality(buckets.get(index)!, { target: options.target })) {
      points.push(point(quality, new Date(from), new Date(to)));
    }
  }
  return points;
}

function point(quality: VersionQuality, start: Date, end: Date): QualityPoint {
  const binary = quality.binary;
  return {
    start: start.toISOString(),
    end: end.toISOString(),
    version: quality.version,
    labeled: quality.labeled,
    auc: binary?.auc ?? null,
    rmse: quality.regression?.rmse ?? null,
    observedRate: binary ? binary.positives / Math.max(1, binary.positives + binary.negatives) : null,
  };
}

/** Bucket width for a window: hourly up to two days, then daily. */
export function bucketHoursFor(windowHours: number): number {
  return windowHours <= 48 ? 1 : 24;
}

/** Everything one quality check measured and decided: report.json, and what the HTML report shows. */
export interface QualityReport {
  readonly format: 'mlops-quality-report';
  readonly formatVersion: 1;
  readonly model: string;
  readonly generatedAt: string;
  readonly trigger: 'schedule' | 'on-demand';
  readonly task: 'binary' | 'regression';
  readonly status: QualityStatus;
  readonly window: { readonly start: string; readonly end: string; readonly hours: number };
  readonly production: {
    readonly version: number;
    readonly validationMetric: number | null;
    readonly movedBy: 'promote' | 'rollback';
    readonly movedAt: string;
    readonly previousVersion: number | null;
  } | null;
  /** Quality of every version that served in the window. */
  readonly versions: readonly VersionQuality[];
  readonly overTime: readonly QualityPoint[];
  /** Every policy check, acted on or not, with its numbers (core/ground-truth/policy.ts). */
  readonly decisions: ReadonlyArray<{
    readonly check: string;
    readonly breached: boolean;
    readonly metric: string;
    readonly value: number | null;
    readonly limit: number | null;
    readonly message: string;
  }>;
  readonly actions: {
    readonly alerted: boolean;
    readonly retrain: { readonly status: string } & Record<string, unknown>;
    readonly rollback: { readonly status: string } & Record<string, unknown>;
  };
  /** This run's join: its counts, or that another run committed first. */
  readonly join: {
    readonly status: 'joined' | 'nothing-new' | 'superseded';
    readonly runId: string | null;
    readonly counts: Readonly<Record<string, number>>;
    readonly pending: number;
  };
  readonly rows: { readonly joined: number; readonly superseded: number; readonly badLines: number };
  readonly notes: readonly string[];
}
