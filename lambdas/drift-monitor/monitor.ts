import { z } from 'zod';
import { parseArtifact } from '../../core/artifact/format';
import { METRICS, RUNTIME_ENV } from '../../core/config/runtime-env';
import type { DRIFT_TESTS, ModelConfig } from '../../core/config/schema';
import { analyzeDrift, type ColumnDriftOverride, type DriftOptions, P_VALUE_TESTS } from '../../core/drift/detect';
import { driftStrength, escapeHtml, renderDriftReportHtml } from '../../core/drift/html';
import type { ColumnDrift, DriftReport, DriftTestName } from '../../core/drift/report';
import { type DataProfile, parseProfile } from '../../core/profile/profile';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import { readJson, writeJson } from '../../core/storage/json';
import { isPreconditionFailed, type ObjectStore } from '../../core/storage/object-store';
import { type ExecutionInput, executionInputSchema } from '../../core/workflow/contract';
import { driftReportPrefix } from '../../core/workflow/layout';
import { type CapturedTraffic, readCapturedTraffic, windowEndingAt } from './capture-window';
import { claimDriftRetrain } from './retrain-state';

/**
 * The scheduled drift check of one model (see README.md): captured traffic of the window vs the
 * reference profile saved in the production version's artifact -> report.json + report.html in
 * the monitoring zone -> CloudWatch metrics -> a retrain when the policy says so (with a
 * cooldown) -> an SNS alert. No AWS imports: the handler supplies stores and ports.
 */

// ---------------------------------------------------------------------------------------------
// Event

const MAX_WINDOW_HOURS = 24 * 90;

/** `mlops drift run <model>` (and any on-demand invoke) sends this; every field is optional. */
export const onDemandEventSchema = z.strictObject({
  windowHours: z.number().int().min(1).max(MAX_WINDOW_HOURS).optional(),
  /** Start a retrain even inside the cooldown (the policy must still call for one). */
  force: z.boolean().optional(),
});

/** What an EventBridge schedule delivers; its `time` is the end of the window, so a retried event checks the same window. */
const scheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  id: z.string().optional(),
  time: z.iso.datetime(),
});

export interface DriftCheckRequest {
  readonly trigger: 'schedule' | 'on-demand';
  /** End of the window; absent: now. */
  readonly at?: Date;
  readonly windowHours?: number;
  readonly force: boolean;
}

export class DriftMonitorInputError extends Error {
  override readonly name = 'DriftMonitorInputError';
}

export class DriftMonitorError extends Error {
  override readonly name = 'DriftMonitorError';
}

export function parseDriftCheckEvent(event: unknown): DriftCheckRequest {
  const scheduled = scheduledEventSchema.safeParse(event);
  if (scheduled.success) return { trigger: 'schedule', at: new Date(scheduled.data.time), force: false };
  const onDemand = onDemandEventSchema.safeParse(event ?? {});
  if (onDemand.success) {
    return { trigger: 'on-demand', windowHours: onDemand.data.windowHours, force: onDemand.data.force ?? false };
  }
  const problems = onDemand.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new DriftMonitorInputError(
    `drift-monitor expects an EventBridge "Scheduled Event" or {"windowHours"?: 1..${MAX_WINDOW_HOURS}, "force"?: boolean}; ` +
      `received ${JSON.stringify(event)?.slice(0, 200)} (${problems})`,
  );
}

// ---------------------------------------------------------------------------------------------
// Config -> drift options

const CONFIG_TEST_NAMES: Readonly<Record<Exclude<(typeof DRIFT_TESTS)[number], 'auto'>, DriftTestName>> = {
  ks: 'ks',
  // Evidently's goodness-of-fit test, as `mlops drift --test col=chisquare` means; `auto` picks
  // the calibrated two-sample form (core/drift/README.md).
  chisquare: 'chisquare',
  ztest: 'z',
  wasserstein: 'wasserstein',
  jensenshannon: 'jensenshannon',
  psi: 'psi',
};

export interface ResolvedDriftOptions {
  /** The reference with the config's ignored columns set aside (they are then neither tested nor "new"). */
  readonly reference: DataProfile;
  readonly options: DriftOptions;
  /** Config entries that could not apply, for the log and the summary. */
  readonly notes: readonly string[];
}

/** Maps the model's `drift` config onto analyzeDrift's options. */
export function driftOptionsFromConfig(
  drift: ModelConfig['drift'],
  profile: DataProfile,
  now: Date,
): ResolvedDriftOptions {
  const known = new Set(profile.columns.map((column) => column.name));
  const notes: string[] = [];
  const ignored = new Set<string>();
  const columns: Record<string, ColumnDriftOverride> = {};
  for (const [name, setting] of Object.entries(drift.columns)) {
    if (!known.has(name)) {
      // A config that names a column the production model lacks must not stop every check.
      notes.push(
        `drift.columns.${name} ignored: the production model's reference has no column "${name}" (it has ${[...known].join(', ')})`,
      );
      continue;
    }
    if (setting.ignore) {
      ignored.add(name);
      continue;
    }
    const override: { test?: DriftTestName; threshold?: number } = {};
    if (setting.test !== 'auto') override.test = CONFIG_TEST_NAMES[setting.test];
    if (setting.threshold !== undefined) override.threshold = setting.threshold;
    if (override.test || override.threshold !== undefined) columns[name] = override;
  }
  const reference: DataProfile = {
    ...profile,
    columns: profile.columns.filter((column) => !ignored.has(column.name)),
    ignoredColumns: [...profile.ignoredColumns, ...ignored],
  };
  const options: DriftOptions = {
    driftShare: drift.driftShare,
    thresholds: {
      ks: drift.pValue,
      chisquare: drift.pValue,
      'chisquare-homogeneity': drift.pValue,
      z: drift.pValue,
      wasserstein: drift.distance,
      jensenshannon: drift.distance,
      psi: drift.distance,
    },
    columns,
    now,
  };
  return { reference, options, notes };
}

// ---------------------------------------------------------------------------------------------
// Metrics

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

// ---------------------------------------------------------------------------------------------
// Ports and result

export interface DriftAlert {
  readonly subject: string;
  readonly message: string;
}

export interface DriftMonitorDeps {
  readonly model: ModelConfig;
  /** The registry (read). */
  readonly artifacts: ObjectStore;
  /** Captured traffic (read) and drift/<model>/ (reports, latest.json, state.json). */
  readonly monitoring: ObjectStore;
  readonly publishMetrics: (metrics: readonly DriftMetric[]) => void;
  readonly publishAlert: (alert: DriftAlert) => Promise<void>;
  /**
   * Starts the model's retraining state machine; a repeated name must not start a second run.
   * @default - none configured (the CDK app passes the state machine only when retrain.onDrift is on): no run is started
   */
  readonly startRetrain?: (executionName: string, input: ExecutionInput) => Promise<{ executionArn: string }>;
  /** @default - the system clock */
  readonly clock?: () => Date;
  /** Rows of captured traffic read at most (newest first). @default 500000 */
  readonly maxRows?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, details?: Record<string, unknown>) => void;
}

export type RetrainOutcome =
  | { readonly status: 'not-needed' }
  | { readonly status: 'disabled'; readonly reason: string }
  /** retrain.onDrift is on but the function was given no state machine to start (a deployment mismatch). */
  | { readonly status: 'not-configured'; readonly reason: string }
  | { readonly status: 'started'; readonly executionArn: string; readonly reason: string }
  | { readonly status: 'cooldown'; readonly until: string; readonly lastStartedAt: string; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string; readonly reason: string };

export interface DriftCheckSummary {
  readonly model: string;
  readonly status: 'checked' | 'not-enough-data' | 'no-production-model';
  readonly version: number | null;
  readonly trigger: DriftCheckRequest['trigger'];
  readonly window: { readonly start: string; readonly end: string; readonly hours: number };
  readonly rows: number;
  readonly minRows: number;
  readonly requests: number;
  readonly datasetDrift: boolean;
  readonly driftShare: number;
  readonly driftedColumns: number;
  readonly columnCount: number;
  readonly suggestsRetrain: boolean;
  readonly retrainReasons: readonly string[];
  readonly topDriftedColumns: readonly string[];
  readonly reportUri: string | null;
  readonly htmlUri: string | null;
  readonly alerted: boolean;
  readonly retrain: RetrainOutcome;
  readonly notes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Keys

/** A sortable folder name for one check: its window end to the second, e.g. 20261129T100000Z. */
export function reportIdFor(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export const latestReportKey = (model: string): string => `${driftReportPrefix(model)}latest.json`;

export const latestPointerSchema = z.looseObject({
  model: z.string(),
  generatedAt: z.string(),
  status: z.string(),
  reportKey: z.string(),
  htmlKey: z.string(),
});
export type LatestPointer = z.infer<typeof latestPointerSchema>;

// ---------------------------------------------------------------------------------------------
// Text

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

function describeRetrain(outcome: RetrainOutcome): string {
  switch (outcome.status) {
    case 'not-needed':
      return 'not needed';
    case 'disabled':
      return 'not started: retrain.onDrift is off in the model config';
    case 'not-configured':
      return `not started: retrain.onDrift is on but this monitor has no state machine (${RUNTIME_ENV.stateMachineArn} is not set); redeploy the stack so the CDK app passes it`;
    case 'started':
      return `started (${outcome.executionArn})`;
    case 'cooldown':
      return `not started: a drift-triggered retrain began at ${outcome.lastStartedAt}; cooldown until ${outcome.until}`;
    case 'failed':
      return `could NOT be started: ${outcome.error}`;
  }
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

/** The report page of a check that had too little traffic to judge. */
export function notEnoughDataHtml(inputs: {
  model: string;
  version: number;
  rows: number;
  minRows: number;
  windowStart: string;
  windowEnd: string;
}): string {
  const title = `Drift report: ${inputs.model}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:32px;color:#0f172a;max-width:760px}
h1{font-size:22px;margin:0 0 8px}.summary{font-size:18px;padding:12px 16px;border-radius:8px;background:#f1f5f9}
.meta{color:#64748b;font-size:13px}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p class="summary">Not enough data: ${inputs.rows} captured ${inputs.rows === 1 ? 'row' : 'rows'} in the window; at least ${inputs.minRows} needed (drift.minRows). No verdict, no alert, no retrain.</p>
<p class="meta">Production version ${inputs.version} · window ${escapeHtml(inputs.windowStart)} to ${escapeHtml(inputs.windowEnd)}</p>
</body></html>
`;
}

// ---------------------------------------------------------------------------------------------
// The check

/** Writes the pointer unless a newer check already did; conditional, so the newest always wins. */
async function writeLatestPointer(store: ObjectStore, pointer: LatestPointer, maxAttempts = 5): Promise<boolean> {
  const key = latestReportKey(pointer.model);
  for (let attempt = 1; ; attempt++) {
    const current = await readJson(store, key, latestPointerSchema);
    if (current && current.value.generatedAt > pointer.generatedAt) return false;
    try {
      await writeJson(store, key, pointer, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
      return true;
    } catch (error) {
      if (!isPreconditionFailed(error) || attempt >= maxAttempts) throw error;
    }
  }
}

/** The report's own reasons (dataset drift among them, when found), else the summary line. */
function retrainReason(report: DriftReport, summary: string): string {
  const reasons = report.retrainReasons.length > 0 ? report.retrainReasons : [summary];
  return reasons.join('; ').slice(0, 1000);
}

/**
 * One drift check. Order matters for retries (a scheduled event is retried with the same time,
 * so the same window and report folder): report first, then the retrain claim (a retried check
 * finds its own claim and re-issues the same idempotent start), then latest.json, then the alert.
 */
export async function runDriftCheck(request: DriftCheckRequest, deps: DriftMonitorDeps): Promise<DriftCheckSummary> {
  const { model } = deps;
  const name = model.name;
  const log = deps.log ?? (() => {});
  const at = request.at ?? (deps.clock ?? (() => new Date()))();
  const windowHours = request.windowHours ?? model.drift.windowHours;
  const window = windowEndingAt(at, windowHours);
  const windowSummary = { start: window.start.toISOString(), end: window.end.toISOString(), hours: windowHours };
  const minRows = model.drift.minRows;

  const registry = new ModelRegistry({ store: deps.artifacts });
  const production = await registry.resolveAlias(name, PRODUCTION_ALIAS);
  if (!production) {
    log('info', 'no production version yet: nothing to monitor', { model: name });
    return {
      model: name,
      status: 'no-production-model',
      version: null,
      trigger: request.trigger,
      window: windowSummary,
      rows: 0,
      minRows,
      requests: 0,
      datasetDrift: false,
      driftShare: 0,
      driftedColumns: 0,
      columnCount: 0,
      suggestsRetrain: false,
      retrainReasons: [],
      topDriftedColumns: [],
      reportUri: null,
      htmlUri: null,
      alerted: false,
      retrain: { status: 'not-needed' },
      notes: [],
    };
  }
  const version = production.version;
  const bytes = await registry.getArtifact(name, version);
  if (!bytes) {
    throw new DriftMonitorError(
      `production of ${name} points to version ${version}, whose artifact is missing from s3://${deps.artifacts.bucket}/registry/${name}/; roll production back (mlops rollback) or re-register the version`,
    );
  }
  const source = `s3://${deps.artifacts.bucket}/registry/${name}/versions/${version}/model.json`;
  const artifact = parseArtifact(new TextDecoder().decode(bytes), source);
  if (artifact.profile === undefined || artifact.profile === null) {
    throw new DriftMonitorError(
      `${source} has no reference profile (trained by a release before profiles); retrain ${name} so drift has a reference`,
    );
  }
  const profile = parseProfile(artifact.profile, `${source} profile`);
  const resolved = driftOptionsFromConfig(model.drift, profile, at);
  for (const note of resolved.notes) log('warn', note);

  const traffic: CapturedTraffic = await readCapturedTraffic(deps.monitoring, name, window, { maxRows: deps.maxRows });
  const rows = traffic.table.rowCount;
  const enoughData = rows >= minRows;
  const notes = [...resolved.notes];
  if (traffic.skippedLines > 0)
    notes.push(`${traffic.skippedLines} capture line(s) were not capture records and were skipped`);
  if (traffic.truncated) notes.push(`the window held more than ${rows} rows; the newest ${rows} were compared`);

  // Without enough rows every column gets "not enough data" and the report suggests nothing.
  const analysis = analyzeDrift(
    resolved.reference,
    traffic.table,
    enoughData ? resolved.options : { ...resolved.options, minCurrentRows: Number.MAX_SAFE_INTEGER },
  );
  const report: DriftReport = enoughData
    ? analysis.report
    : { ...analysis.report, suggestsRetrain: false, retrainReasons: [] };
  const status = enoughData ? 'checked' : 'not-enough-data';

  const reportId = reportIdFor(at);
  const folder = `${driftReportPrefix(name)}${reportId}/`;
  const reportKey = `${folder}report.json`;
  const htmlKey = `${folder}report.html`;
  const reportUri = `s3://${deps.monitoring.bucket}/${reportKey}`;
  const htmlUri = `s3://${deps.monitoring.bucket}/${htmlKey}`;
  const monitor = {
    model: name,
    version,
    status,
    trigger: request.trigger,
    window: windowSummary,
    minRows,
    rows,
    requests: traffic.requests,
    captureObjects: traffic.objects,
    capturePartitions: traffic.partitions,
    servedVersions: traffic.versions,
    skippedLines: traffic.skippedLines,
    truncated: traffic.truncated,
    notes,
  };
  await writeJson(deps.monitoring, reportKey, { ...report, monitor });
  const html = enoughData
    ? renderDriftReportHtml(report, { reference: analysis.referenceProfile, current: analysis.currentProfile })
    : notEnoughDataHtml({
        model: name,
        version,
        rows,
        minRows,
        windowStart: windowSummary.start,
        windowEnd: windowSummary.end,
      });
  await deps.monitoring.put(htmlKey, html, { contentType: 'text/html; charset=utf-8' });

  deps.publishMetrics(driftMetrics(report, rows, enoughData));

  const actionable = enoughData && (report.datasetDrift || report.suggestsRetrain);
  let retrain: RetrainOutcome = { status: 'not-needed' };
  if (actionable) {
    const reason = retrainReason(report, summaryLine(report));
    if (!model.retrain.onDrift) {
      retrain = { status: 'disabled', reason };
    } else if (!deps.startRetrain) {
      retrain = { status: 'not-configured', reason };
      log('warn', `drift retrain ${describeRetrain(retrain)}`, { reason });
    } else {
      retrain = await startRetrainWithCooldown(deps, deps.startRetrain, {
        model: name,
        at,
        executionName: `drift-${reportId}`,
        reason,
        reportKey,
        force: request.force,
      });
    }
    if (retrain.status === 'failed') log('error', 'drift retrain could not be started', { ...retrain });
    else if (retrain.status !== 'not-configured') log('info', `drift retrain ${retrain.status}`, { ...retrain });
  }

  await writeLatestPointer(deps.monitoring, {
    model: name,
    version,
    generatedAt: report.generatedAt,
    status,
    reportKey,
    htmlKey,
    datasetDrift: report.datasetDrift,
    driftShare: report.driftShare,
    suggestsRetrain: report.suggestsRetrain,
    rows,
    retrain: retrain.status,
  });

  if (actionable) {
    await deps.publishAlert(
      driftAlert({
        model: name,
        version,
        report,
        rows,
        windowHours,
        windowEnd: windowSummary.end,
        reportUri,
        htmlUri,
        retrain,
      }),
    );
  }

  return {
    model: name,
    status,
    version,
    trigger: request.trigger,
    window: windowSummary,
    rows,
    minRows,
    requests: traffic.requests,
    datasetDrift: report.datasetDrift,
    driftShare: report.driftShare,
    driftedColumns: report.driftedColumns,
    columnCount: report.columnCount,
    suggestsRetrain: report.suggestsRetrain,
    retrainReasons: report.retrainReasons,
    topDriftedColumns: topDriftedColumns(report).map((column) => column.name),
    reportUri,
    htmlUri,
    alerted: actionable,
    retrain,
    notes,
  };
}

async function startRetrainWithCooldown(
  deps: DriftMonitorDeps,
  startRetrain: NonNullable<DriftMonitorDeps['startRetrain']>,
  request: { model: string; at: Date; executionName: string; reason: string; reportKey: string; force: boolean },
): Promise<RetrainOutcome> {
  const { reason } = request;
  const claim = await claimDriftRetrain(deps.monitoring, {
    model: request.model,
    now: request.at,
    cooldownHours: deps.model.drift.cooldownHours,
    executionName: request.executionName,
    reason,
    reportKey: request.reportKey,
    force: request.force,
  });
  if (claim.kind === 'cooldown') {
    return { status: 'cooldown', until: claim.until, lastStartedAt: claim.lastStartedAt, reason };
  }
  const input = executionInputSchema.parse({
    model: request.model,
    trigger: { kind: 'drift', objects: [], reason },
  });
  try {
    const { executionArn } = await startRetrain(request.executionName, input);
    return { status: 'started', executionArn, reason };
  } catch (error) {
    // The claim would otherwise hold off every retrain for the cooldown though none started.
    if (claim.kind === 'claimed') await claim.release();
    return { status: 'failed', error: (error as Error).message, reason };
  }
}
