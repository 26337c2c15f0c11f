import type { ModelConfig } from '../config/schema';
import type { VersionQuality } from './quality';

/**
 * What the quality monitor does about what it measured (the model's `quality` config): a floor
 * (`minAuc` / `maxRmse`) or a drop against the version's own validation metric makes the version
 * degraded, which alerts and retrains; a version promoted last that measures worse on live
 * outcomes than its predecessor did is a regression, which alerts and, with
 * `rollbackOnRegression`, rolls production back. Every check is returned as a decision with its
 * numbers, acted on or not, so the report says why something happened and why not.
 */

export type QualityPolicyConfig = ModelConfig['quality'];
export type QualityTask = 'binary' | 'regression';

/** The metric each task is judged on: AUC (higher is better) or RMSE (lower is better). */
export type PolicyMetric = 'auc' | 'rmse';

export const policyMetricFor = (task: QualityTask): PolicyMetric => (task === 'binary' ? 'auc' : 'rmse');

/** The version's judged metric on live outcomes, or null when not measurable (no rows, or one class only). */
export function liveMetric(quality: VersionQuality | null | undefined, task: QualityTask): number | null {
  if (!quality) return null;
  return task === 'binary' ? (quality.binary?.auc ?? null) : (quality.regression?.rmse ?? null);
}

export interface ProductionUnderCheck {
  readonly version: number;
  /** Its metric on its own validation split (registry lineage), when recorded. */
  readonly validationMetric: number | null;
  /** Binary: the validation split's class counts, when the artifact records them (for the AUC's sampling error). */
  readonly validationCounts?: { readonly positives: number; readonly negatives: number } | null;
  /** Its quality on live outcomes in the window. */
  readonly live: VersionQuality | null;
  /** How the production alias reached this version: only a promotion can be rolled back as a regression. */
  readonly movedBy: 'promote' | 'rollback';
  /** The version production served before (the rollback target). */
  readonly previousVersion: number | null;
}

export interface PolicyInputs {
  readonly task: QualityTask;
  readonly config: QualityPolicyConfig;
  readonly production: ProductionUnderCheck;
  /** The previous production version's quality on its own live outcomes before the promotion. */
  readonly predecessor?: VersionQuality | null;
  /** The current version's quality on live outcomes since its promotion (for the regression check). */
  readonly sincePromotion?: VersionQuality | null;
}

export type QualityCheck = 'min-labeled' | 'measurable' | 'floor' | 'drop' | 'regression';

export interface QualityDecision {
  readonly check: QualityCheck;
  /** True when the check found a problem. */
  readonly breached: boolean;
  readonly metric: PolicyMetric | 'labeled';
  /** What was measured (null when it could not be). */
  readonly value: number | null;
  /** What it was compared with. */
  readonly limit: number | null;
  readonly message: string;
}

export interface PolicyResult {
  /** `not-enough-labels`: fewer than minLabeled outcomes (or the metric undefined): nothing acted on. */
  readonly status: 'ok' | 'degraded' | 'regressed' | 'not-enough-labels';
  readonly decisions: QualityDecision[];
  /** The breached checks' messages: the alert's and the retrain's reason. */
  readonly reasons: string[];
  readonly alert: boolean;
  readonly retrain: boolean;
  readonly rollback: { readonly from: number; readonly to: number; readonly reason: string } | null;
}

function format(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

/**
 * Standard error of an AUC measured on `positives` and `negatives` rows (Hanley & McNeil, 1982,
 * "The meaning and use of the area under a ROC curve", Radiology 143:29-36, equation 2).
 */
export function aucStandardError(auc: number, positives: number, negatives: number): number {
  if (positives < 1 || negatives < 1) return Number.NaN;
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives);
  return Math.sqrt(Math.max(variance, 0));
}

/** Two standard errors of (validation AUC - live AUC), the samples independent; 0 when a count is unknown. */
function aucDifferenceNoise(
  validation: number,
  counts: ProductionUnderCheck['validationCounts'],
  live: number,
  quality: VersionQuality | null,
): number {
  const liveCounts = quality?.binary;
  if (!counts || !liveCounts) return 0;
  const a = aucStandardError(validation, counts.positives, counts.negatives);
  const b = aucStandardError(live, liveCounts.positives, liveCounts.negatives);
  return Number.isFinite(a) && Number.isFinite(b) ? 2 * Math.sqrt(a * a + b * b) : 0;
}

export function decideQualityActions(inputs: PolicyInputs): PolicyResult {
  const { task, config, production } = inputs;
  const metric = policyMetricFor(task);
  const decisions: QualityDecision[] = [];
  const labeled = production.live?.labeled ?? 0;
  const enough = labeled >= config.minLabeled;
  decisions.push({
    check: 'min-labeled',
    breached: !enough,
    metric: 'labeled',
    value: labeled,
    limit: config.minLabeled,
    message: enough
      ? `version ${production.version}: ${labeled} outcomes joined (at least ${config.minLabeled} needed)`
      : `version ${production.version}: only ${labeled} outcomes joined, at least ${config.minLabeled} needed before acting`,
  });
  const value = liveMetric(production.live, task);
  if (!enough) return notActing(decisions);
  if (value === null) {
    decisions.push({
      check: 'measurable',
      breached: true,
      metric,
      value: null,
      limit: null,
      message: `version ${production.version}: ${metric} is undefined on these outcomes (all of one class)`,
    });
    return notActing(decisions);
  }

  const floor = task === 'binary' ? config.minAuc : config.maxRmse;
  if (floor !== undefined) {
    const breached = task === 'binary' ? value < floor : value > floor;
    decisions.push({
      check: 'floor',
      breached,
      metric,
      value,
      limit: floor,
      message:
        task === 'binary'
          ? `live auc ${format(value)} ${breached ? '<' : '>='} floor quality.minAuc ${floor}`
          : `live rmse ${format(value)} ${breached ? '>' : '<='} ceiling quality.maxRmse ${floor}`,
    });
  }

  if (production.validationMetric !== null) {
    const validation = production.validationMetric;
    // Both AUCs are estimates from finite samples: a drop counts beyond their noise, so a small
    // validation split measured high by chance does not make a healthy model "degraded".
    const noise =
      task === 'binary' ? aucDifferenceNoise(validation, production.validationCounts, value, production.live) : 0;
    const limit = task === 'binary' ? validation - config.maxAucDrop - noise : validation * (1 + config.maxRmseRise);
    const breached = task === 'binary' ? value < limit : value > limit;
    decisions.push({
      check: 'drop',
      breached,
      metric,
      value,
      limit,
      message:
        task === 'binary'
          ? `live auc ${format(value)} vs validation auc ${format(validation)}: drop ${format(validation - value)} ${breached ? '>' : '<='} quality.maxAucDrop ${config.maxAucDrop}${noise > 0 ? ` + sampling noise ${format(noise)}` : ''}`
          : `live rmse ${format(value)} vs validation rmse ${format(validation)}: rise ${format(value / validation - 1)} ${breached ? '>' : '<='} quality.maxRmseRise ${config.maxRmseRise}`,
    });
  }

  const regression = regressionDecision(inputs);
  if (regression) decisions.push(regression);

  const degraded = decisions.some((d) => d.breached && (d.check === 'floor' || d.check === 'drop'));
  const regressed = regression?.breached ?? false;
  const reasons = decisions.filter((d) => d.breached).map((d) => d.message);
  const rollback =
    regressed && config.rollbackOnRegression && production.previousVersion !== null
      ? { from: production.version, to: production.previousVersion, reason: regression!.message }
      : null;
  return {
    status: degraded ? 'degraded' : regressed ? 'regressed' : 'ok',
    decisions,
    reasons,
    alert: config.alert && (degraded || regressed),
    retrain: config.retrain && degraded,
    rollback,
  };
}

function notActing(decisions: QualityDecision[]): PolicyResult {
  return { status: 'not-enough-labels', decisions, reasons: [], alert: false, retrain: false, rollback: null };
}

/**
 * A version that production reached by a promotion against the one it replaced, each on its own
 * live outcomes; null (no decision) when there is nothing to compare: production was rolled back
 * to, has no predecessor, or either side has fewer than minLabeled outcomes.
 */
function regressionDecision(inputs: PolicyInputs): QualityDecision | null {
  const { task, config, production, predecessor, sincePromotion } = inputs;
  if (production.movedBy !== 'promote' || production.previousVersion === null) return null;
  const current = sincePromotion ?? production.live;
  if (!predecessor || !current) return null;
  if (predecessor.labeled < config.minLabeled || current.labeled < config.minLabeled) return null;
  const now = liveMetric(current, task);
  const before = liveMetric(predecessor, task);
  if (now === null || before === null) return null;
  const metric = policyMetricFor(task);
  const limit = task === 'binary' ? before - config.rollbackMargin : before * (1 + config.rollbackMargin);
  const breached = task === 'binary' ? now < limit : now > limit;
  const worse = task === 'binary' ? before - now : now / before - 1;
  return {
    check: 'regression',
    breached,
    metric,
    value: now,
    limit,
    message:
      `version ${production.version} live ${metric} ${format(now)} (${current.labeled} outcomes) vs version ` +
      `${production.previousVersion} before it ${format(before)} (${predecessor.labeled} outcomes): ` +
      `${breached ? 'worse' : 'not worse'} by more than quality.rollbackMargin ${config.rollbackMargin} (${task === 'binary' ? 'difference' : 'share'} ${format(worse)})`,
  };
}
