import type { ModelConfig } from '../../core/config/schema';
import { renderQualityReportHtml } from '../../core/ground-truth/html';
import {
  DEFAULT_JOIN_CONFIG,
  type JoinResult,
  JoinSupersededError,
  predictionCountsIn,
  readJoinedWindow,
  runJoin,
} from '../../core/ground-truth/join';
import { decideQualityActions, liveMetric, type PolicyResult } from '../../core/ground-truth/policy';
import { computeQuality, type QualityTarget, type VersionQuality } from '../../core/ground-truth/quality';
import type { JoinedRow } from '../../core/ground-truth/records';
import {
  bucketHoursFor,
  type QualityLatest,
  type QualityReport,
  type QualityStatus,
  qualityLatestKey,
  qualityOverTime,
  qualityReportHtmlKey,
  qualityReportJsonKey,
  qualityStateKey,
} from '../../core/ground-truth/report';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry, RegistryError } from '../../core/registry/registry';
import { writeJson } from '../../core/storage/json';
import type { ObjectStore } from '../../core/storage/object-store';
import { writeLatestPointer } from '../shared/latest-pointer';
import { type MonitorRequest, reportIdFor } from '../shared/monitor-event';
import {
  describeRetrain,
  type RetrainOutcome,
  type StartRetrain,
  startRetrainWithCooldown,
} from '../shared/retrain-cooldown';
import { type QualityAlert, qualityAlert } from './alert';
import { type QualityMetric, qualityMetrics } from './metrics';

/**
 * The scheduled quality check of one model (README.md beside this file): the ground-truth join
 * (new predictions and outcomes) -> quality per version over the window -> the policy -> a
 * rollback and a retrain when it says so -> report.json + report.html + latest.json in the
 * monitoring zone -> metrics -> an SNS alert. No AWS imports: the handler supplies stores and ports.
 */

export interface QualityMonitorDeps {
  readonly model: ModelConfig;
  /** The registry: read, and written only to roll production back (quality.rollbackOnRegression). */
  readonly artifacts: ObjectStore;
  /** predictions/, actuals/, ground-truth/, joined/ and quality/ of the model. */
  readonly monitoring: ObjectStore;
  /** Uploaded outcomes under feedback/<model>/. */
  readonly raw: ObjectStore;
  readonly publishMetrics: (metrics: readonly QualityMetric[]) => void;
  readonly publishAlert: (alert: QualityAlert) => Promise<void>;
  /** @default - none configured (quality.retrain off): no run is started */
  readonly startRetrain?: StartRetrain;
  /** Seconds a log batch is given to be written before the join reads it. @default 900 */
  readonly joinSettleSeconds?: number;
  /** @default - the system clock */
  readonly clock?: () => Date;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, details?: Record<string, unknown>) => void;
}

export type RollbackOutcome =
  | { readonly status: 'not-needed' }
  | { readonly status: 'disabled'; readonly reason: string }
  | { readonly status: 'rolled-back'; readonly from: number; readonly to: number; readonly reason: string }
  /** Production moved after the check measured it: nothing rolled back. */
  | { readonly status: 'superseded'; readonly error: string; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string; readonly reason: string };

export interface QualityCheckSummary {
  readonly model: string;
  /** `join-superseded`: another join committed while this one ran; nothing else was done (run again). */
  readonly status: QualityStatus | 'join-superseded';
  readonly version: number | null;
  readonly trigger: MonitorRequest['trigger'];
  readonly window: { readonly start: string; readonly end: string; readonly hours: number };
  readonly labeled: number;
  /** Which of auc / rmse the version is judged on; null when no version was judged. */
  readonly task: 'binary' | 'regression' | null;
  readonly auc: number | null;
  readonly rmse: number | null;
  readonly coverage: number | null;
  readonly reasons: readonly string[];
  readonly join: QualityReport['join'];
  readonly reportUri: string | null;
  readonly htmlUri: string | null;
  readonly alerted: boolean;
  readonly retrain: RetrainOutcome;
  readonly rollback: RollbackOutcome;
}

/** Who the registry records as the mover of a rollback. */
export const QUALITY_MONITOR_ACTOR = 'quality-monitor';
const HOUR_MS = 3_600_000;

/**
 * One quality check. A scheduled event is retried with the same time, so the same window, report
 * folder and execution name; the join is idempotent, the retrain claim recognises its own name,
 * and a rollback already done leaves production on a version reached by rollback, which the
 * policy never rolls back again.
 */
export async function runQualityCheck(request: MonitorRequest, deps: QualityMonitorDeps): Promise<QualityCheckSummary> {
  const { model } = deps;
  const name = model.name;
  const config = model.quality;
  const log = deps.log ?? (() => {});
  const at = request.at ?? (deps.clock ?? (() => new Date()))();
  const windowHours = request.windowHours ?? config.windowHours;
  const windowStart = new Date(at.getTime() - windowHours * HOUR_MS);
  const window = { start: windowStart.toISOString(), end: at.toISOString(), hours: windowHours };
  const task = model.problemType;
  const nothing = { labeled: 0, task: null, auc: null, rmse: null, coverage: null, reasons: [] };
  const untouched = { alerted: false, retrain: { status: 'not-needed' }, rollback: { status: 'not-needed' } } as const;

  let joined: JoinResult;
  try {
    joined = await runJoin({ monitoring: deps.monitoring, raw: deps.raw }, name, {
      now: at,
      config: {
        lookbackDays: config.lookbackDays,
        settleSeconds: deps.joinSettleSeconds ?? DEFAULT_JOIN_CONFIG.settleSeconds,
      },
    });
  } catch (error) {
    if (!(error instanceof JoinSupersededError)) throw error;
    log('warn', 'join superseded: another run committed first; stopping', { error: error.message });
    return {
      model: name,
      status: 'join-superseded',
      version: null,
      trigger: request.trigger,
      window,
      ...nothing,
      join: { status: 'superseded', runId: null, counts: {}, pending: 0 },
      reportUri: null,
      htmlUri: null,
      ...untouched,
    };
  }
  const join: QualityReport['join'] = {
    status: joined.changed ? 'joined' : 'nothing-new',
    runId: joined.runId,
    counts: joined.counts,
    pending: joined.state?.pendingCount ?? 0,
  };
  log('info', `join ${join.status}`, { ...join, problems: joined.problems.slice(0, 5) });

  const registry = new ModelRegistry({ store: deps.artifacts });
  const production = await registry.loadAliased(name, PRODUCTION_ALIAS);
  if (!production) {
    log('info', 'no production version yet: outcomes are joined, nothing to judge');
    return {
      model: name,
      status: 'no-production-model',
      version: null,
      trigger: request.trigger,
      window,
      ...nothing,
      join,
      reportUri: null,
      htmlUri: null,
      ...untouched,
    };
  }
  const { version, alias, artifact } = production;
  const target: QualityTarget =
    task === 'binary'
      ? {
          task: 'binary',
          positiveLabel: artifact.target.positiveLabel ?? model.positiveLabel ?? '1',
          negativeLabel: artifact.target.negativeLabel,
          threshold: artifact.target.threshold,
        }
      : { task: 'regression' };
  const validation = artifact.metrics.validation as Record<string, number>;
  const validationMetric = (task === 'binary' ? validation.auc : validation.rmse) ?? null;
  const { validationPositives, validationRows } = artifact.data;
  const validationCounts =
    validationPositives === undefined
      ? null
      : { positives: validationPositives, negatives: validationRows - validationPositives };
  const promotedAt = new Date(alias.movedAt);
  const comparePredecessor = alias.kind === 'promote' && alias.previousVersion !== null;
  // The predecessor is judged on its own last window before the promotion, which may start before this window.
  const predecessorStart = new Date(promotedAt.getTime() - windowHours * HOUR_MS);
  const readFrom = comparePredecessor && predecessorStart < windowStart ? predecessorStart : windowStart;
  const read = await readJoinedWindow(deps.monitoring, name, readFrom, at);
  const inWindow = read.rows.filter((row) => Date.parse(row.time) >= windowStart.getTime());
  const predictionCounts = joined.state ? predictionCountsIn(joined.state, windowStart, at) : undefined;
  const versions = computeQuality(inWindow, { target, predictionCounts });
  const live = versions.find((quality) => quality.version === version) ?? null;

  const qualityOf = (rows: JoinedRow[]): VersionQuality | null => computeQuality(rows, { target })[0] ?? null;
  const predecessor = comparePredecessor
    ? qualityOf(
        read.rows.filter(
          (row) =>
            row.version === alias.previousVersion &&
            Date.parse(row.time) >= predecessorStart.getTime() &&
            Date.parse(row.time) < promotedAt.getTime(),
        ),
      )
    : null;
  const sincePromotion = comparePredecessor
    ? qualityOf(inWindow.filter((row) => row.version === version && Date.parse(row.time) >= promotedAt.getTime()))
    : null;

  const policy = decideQualityActions({
    task,
    config,
    production: {
      version,
      validationMetric,
      validationCounts,
      live,
      movedBy: alias.kind,
      previousVersion: alias.previousVersion,
    },
    predecessor,
    sincePromotion,
  });
  for (const decision of policy.decisions) log('info', `quality check ${decision.check}`, { ...decision });

  const reportId = reportIdFor(at);
  const reportKey = qualityReportJsonKey(name, reportId);
  const htmlKey = qualityReportHtmlKey(name, reportId);
  const reason = policy.reasons.join('; ').slice(0, 1000);

  const rollback = await applyRollback(registry, name, version, policy, config.rollbackOnRegression);
  if (rollback.status === 'rolled-back')
    log('warn', `rolled production back to version ${rollback.to}`, { ...rollback });
  else if (rollback.status === 'failed' || rollback.status === 'superseded')
    log('error', 'rollback not done', { ...rollback });

  let retrain: RetrainOutcome = { status: 'not-needed' };
  if (policy.status === 'degraded') {
    if (!config.retrain) retrain = { status: 'disabled', reason };
    else if (!deps.startRetrain) retrain = { status: 'not-configured', reason };
    else {
      retrain = await startRetrainWithCooldown(
        deps.monitoring,
        qualityStateKey(name),
        config.cooldownHours,
        deps.startRetrain,
        {
          model: name,
          at,
          executionName: `quality-${reportId}`,
          reason,
          reportKey,
          force: request.force,
          trigger: 'quality',
        },
      );
    }
    log(
      retrain.status === 'failed' ? 'error' : 'info',
      `quality retrain ${describeRetrain(retrain, 'quality.retrain')}`,
    );
  }

  const notes: string[] = [];
  if (read.badLines > 0) notes.push(`${read.badLines} joined line(s) were unreadable and skipped`);
  if (joined.counts.rejectedUploads > 0)
    notes.push(`${joined.counts.rejectedUploads} uploaded outcome file(s) were rejected`);
  for (const problem of joined.problems.slice(0, 5)) {
    notes.push(`${problem.source}${problem.line ? `:${problem.line}` : ''}: ${problem.reason}`);
  }
  const report: QualityReport = {
    format: 'mlops-quality-report',
    formatVersion: 1,
    model: name,
    generatedAt: at.toISOString(),
    trigger: request.trigger,
    task,
    status: policy.status,
    window,
    production: {
      version,
      validationMetric,
      movedBy: alias.kind,
      movedAt: alias.movedAt,
      previousVersion: alias.previousVersion,
    },
    versions,
    overTime: qualityOverTime(inWindow, {
      target,
      start: windowStart,
      end: at,
      bucketHours: bucketHoursFor(windowHours),
    }),
    decisions: policy.decisions,
    actions: { alerted: policy.alert, retrain, rollback },
    join,
    rows: { joined: inWindow.length, superseded: read.superseded, badLines: read.badLines },
    notes,
  };
  await writeJson(deps.monitoring, reportKey, report);
  await deps.monitoring.put(htmlKey, renderQualityReportHtml(report), { contentType: 'text/html; charset=utf-8' });

  const value = liveMetric(live, task);
  const summaryNumbers = {
    labeled: live?.labeled ?? 0,
    auc: task === 'binary' ? value : null,
    rmse: task === 'regression' ? value : null,
    coverage: live?.coverage ?? null,
  };
  const latest: QualityLatest = {
    model: name,
    generatedAt: report.generatedAt,
    status: policy.status,
    reportKey,
    htmlKey,
    version,
    task,
    window,
    ...summaryNumbers,
    labelDelaySeconds: live?.labelDelaySeconds?.p50 ?? null,
    alerted: policy.alert,
    retrain: retrain.status,
    rollback: rollback.status,
  };
  await writeLatestPointer(deps.monitoring, qualityLatestKey(name), latest);

  deps.publishMetrics(qualityMetrics(policy, summaryNumbers, rollback));
  const reportUri = `s3://${deps.monitoring.bucket}/${reportKey}`;
  const htmlUri = `s3://${deps.monitoring.bucket}/${htmlKey}`;
  if (policy.alert) {
    await deps.publishAlert(
      qualityAlert({ model: name, version, policy, retrain, rollback, window, reportUri, htmlUri }),
    );
  }
  return {
    model: name,
    status: policy.status,
    version,
    trigger: request.trigger,
    window,
    task,
    ...summaryNumbers,
    reasons: policy.reasons,
    join,
    reportUri,
    htmlUri,
    alerted: policy.alert,
    retrain,
    rollback,
  };
}

/** Production back to the version before it, compare-and-swap on the version the check measured. */
async function applyRollback(
  registry: ModelRegistry,
  model: string,
  measured: number,
  policy: PolicyResult,
  enabled: boolean,
): Promise<RollbackOutcome> {
  const regression = policy.decisions.find((decision) => decision.check === 'regression' && decision.breached);
  if (!regression) return { status: 'not-needed' };
  if (!enabled || !policy.rollback) return { status: 'disabled', reason: regression.message };
  const { to, reason } = policy.rollback;
  try {
    await registry.rollback(model, { to, expectedVersion: measured, reason, actor: QUALITY_MONITOR_ACTOR });
    return { status: 'rolled-back', from: measured, to, reason };
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'superseded') {
      return { status: 'superseded', error: error.message, reason };
    }
    if (error instanceof RegistryError) return { status: 'failed', error: error.message, reason };
    throw error;
  }
}
