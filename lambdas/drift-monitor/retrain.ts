import { RUNTIME_ENV } from '../../core/config/runtime-env';
import type { DriftReport } from '../../core/drift/report';
import type { ObjectStore } from '../../core/storage/object-store';
import { type ExecutionInput, executionInputSchema } from '../../core/workflow/contract';
import { claimDriftRetrain } from './retrain-state';

/** Starting a drift-triggered retrain behind the cooldown claim, and how each outcome reads. */

export type RetrainOutcome =
  | { readonly status: 'not-needed' }
  | { readonly status: 'disabled'; readonly reason: string }
  /** retrain.onDrift is on but the function was given no state machine to start (a deployment mismatch). */
  | { readonly status: 'not-configured'; readonly reason: string }
  | { readonly status: 'started'; readonly executionArn: string; readonly reason: string }
  | { readonly status: 'cooldown'; readonly until: string; readonly lastStartedAt: string; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string; readonly reason: string };

/** Starts the model's retraining state machine; a repeated name must not start a second run. */
export type StartRetrain = (executionName: string, input: ExecutionInput) => Promise<{ executionArn: string }>;

export function describeRetrain(outcome: RetrainOutcome): string {
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

/** The report's own reasons (dataset drift among them, when found), else the summary line. */
export function retrainReason(report: DriftReport, summary: string): string {
  const reasons = report.retrainReasons.length > 0 ? report.retrainReasons : [summary];
  return reasons.join('; ').slice(0, 1000);
}

export async function startRetrainWithCooldown(
  monitoring: ObjectStore,
  cooldownHours: number,
  startRetrain: StartRetrain,
  request: { model: string; at: Date; executionName: string; reason: string; reportKey: string; force: boolean },
): Promise<RetrainOutcome> {
  const { reason } = request;
  const claim = await claimDriftRetrain(monitoring, {
    model: request.model,
    now: request.at,
    cooldownHours,
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
