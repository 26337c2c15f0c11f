import type { ModelConfig } from '../../core/config/schema';
import { analyzeDrift } from '../../core/drift/detect';
import { notEnoughDataHtml, renderDriftReportHtml } from '../../core/drift/html';
import type { DriftReport } from '../../core/drift/report';
import { parseProfile } from '../../core/profile/profile';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import { writeJson } from '../../core/storage/json';
import type { ObjectStore } from '../../core/storage/object-store';
import { driftReportHtmlKey, driftReportJsonKey } from '../../core/workflow/layout';
import { reportIdFor } from '../shared/monitor-event';
import { type DriftAlert, driftAlert, summaryLine, topDriftedColumns } from './alert';
import { type CapturedTraffic, readCapturedTraffic, windowEndingAt } from './capture-window';
import type { DriftCheckRequest } from './event';
import { writeLatestPointer } from './latest';
import type { DriftMetric } from './metrics';
import { driftMetrics } from './metrics';
import { driftOptionsFromConfig } from './options';
import { describeRetrain, type RetrainOutcome, retrainReason, type StartRetrain, startDriftRetrain } from './retrain';

/**
 * The scheduled drift check of one model (see README.md): captured traffic of the window vs the
 * reference profile saved in the production version's artifact -> report.json + report.html in
 * the monitoring zone -> CloudWatch metrics -> a retrain when the policy says so (with a
 * cooldown) -> an SNS alert. No AWS imports: the handler supplies stores and ports.
 * Its parts sit beside it: event.ts, options.ts, metrics.ts, alert.ts, retrain.ts, latest.ts.
 */

export class DriftMonitorError extends Error {
  override readonly name = 'DriftMonitorError';
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
  readonly startRetrain?: StartRetrain;
  /** @default - the system clock */
  readonly clock?: () => Date;
  /** Rows of captured traffic read at most (newest first). @default 500000 */
  readonly maxRows?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, details?: Record<string, unknown>) => void;
}

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
  const production = await registry.loadAliased(name, PRODUCTION_ALIAS);
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
  const { version, artifact, source } = production;
  if (artifact.profile === undefined || artifact.profile === null) {
    throw new DriftMonitorError(
      artifact.model.kind === 'trees'
        ? `${source} has no reference profile: it was imported without --data; import it again with --data <a sample of its training rows> and register that`
        : `${source} has no reference profile (trained by a release before profiles); retrain ${name} so drift has a reference`,
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
  const reportKey = driftReportJsonKey(name, reportId);
  const htmlKey = driftReportHtmlKey(name, reportId);
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
      retrain = await startDriftRetrain(deps.monitoring, model.drift.cooldownHours, deps.startRetrain, {
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
