import type { DriftReport } from '../../core/drift/report';
import type { ObjectStore } from '../../core/storage/object-store';
import {
  describeRetrain as describeAnyRetrain,
  type RetrainOutcome,
  type StartRetrain,
  startRetrainWithCooldown,
} from '../shared/retrain-cooldown';
import { driftStateKey } from './retrain-state';

/** Starting a drift-triggered retrain behind the shared cooldown claim, and how each outcome reads. */

export type { RetrainOutcome, StartRetrain };

export const describeRetrain = (outcome: RetrainOutcome): string => describeAnyRetrain(outcome, 'retrain.onDrift');

/** The report's own reasons (dataset drift among them, when found), else the summary line. */
export function retrainReason(report: DriftReport, summary: string): string {
  const reasons = report.retrainReasons.length > 0 ? report.retrainReasons : [summary];
  return reasons.join('; ').slice(0, 1000);
}

export function startDriftRetrain(
  monitoring: ObjectStore,
  cooldownHours: number,
  startRetrain: StartRetrain,
  request: { model: string; at: Date; executionName: string; reason: string; reportKey: string; force: boolean },
): Promise<RetrainOutcome> {
  return startRetrainWithCooldown(monitoring, driftStateKey(request.model), cooldownHours, startRetrain, {
    ...request,
    trigger: 'drift',
  });
}
