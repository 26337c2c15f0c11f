import * as z from 'zod';
import { RUNTIME_ENV } from '../../core/config/runtime-env';
import { type UpdateDecision, updateJsonObject } from '../../core/storage/conditional-update';
import { writeJson } from '../../core/storage/json';
import { isPreconditionFailed, type ObjectStore } from '../../core/storage/object-store';
import { type ExecutionInput, executionInputSchema, type Trigger } from '../../core/workflow/contract';

/**
 * A monitor-triggered retrain behind a cooldown, shared by the drift and quality monitors. Each
 * monitor keeps its memory between runs (when it last started a retrain) in its own state.json
 * in the monitoring zone, changed only by conditional writes: of two runs that decide to retrain
 * at the same time exactly one claims it; the other re-reads the state and finds itself inside
 * the cooldown.
 */
export const retrainStateSchema = z.object({
  model: z.string(),
  lastRetrain: z
    .object({
      startedAt: z.string(),
      executionName: z.string(),
      reason: z.string(),
      reportKey: z.string(),
    })
    .nullable(),
});
export type RetrainState = z.infer<typeof retrainStateSchema>;

const HOUR_MS = 3_600_000;

export interface ClaimRequest {
  readonly model: string;
  readonly now: Date;
  readonly cooldownHours: number;
  /** The execution this check would start; a retried check asks for the same name again. */
  readonly executionName: string;
  readonly reason: string;
  readonly reportKey: string;
  /** Claim even inside the cooldown (an on-demand run with `force`). */
  readonly force?: boolean;
}

export type RetrainClaim =
  /** This run owns the retrain; `release` undoes the claim when the start fails. */
  | { readonly kind: 'claimed'; readonly release: () => Promise<void> }
  /** A retry of the same check: the claim is already this run's; starting again is idempotent. */
  | { readonly kind: 'same-check' }
  /** A retrain started by this monitor less than cooldownHours ago. */
  | { readonly kind: 'cooldown'; readonly lastStartedAt: string; readonly until: string };

/**
 * Decides, atomically, whether this check may start a retrain, and records it in `stateKey` when
 * it may. Losing a conditional write means another run wrote first: re-read and decide again.
 */
export function claimRetrain(
  store: ObjectStore,
  stateKey: string,
  request: ClaimRequest,
  maxAttempts = 5,
): Promise<RetrainClaim> {
  return updateJsonObject(
    store,
    stateKey,
    retrainStateSchema,
    (current): UpdateDecision<RetrainState, RetrainClaim> => {
      const last = current?.value.lastRetrain ?? null;
      if (last && last.executionName === request.executionName) return { done: { kind: 'same-check' } };
      if (last && !request.force) {
        const until = Date.parse(last.startedAt) + request.cooldownHours * HOUR_MS;
        if (request.now.getTime() < until) {
          return { done: { kind: 'cooldown', lastStartedAt: last.startedAt, until: new Date(until).toISOString() } };
        }
      }
      const next: RetrainState = {
        model: request.model,
        lastRetrain: {
          startedAt: request.now.toISOString(),
          executionName: request.executionName,
          reason: request.reason,
          reportKey: request.reportKey,
        },
      };
      return {
        write: next,
        onWritten: (written) => ({
          kind: 'claimed',
          release: async () => {
            const previous: RetrainState = { model: request.model, lastRetrain: last };
            try {
              await writeJson(store, stateKey, previous, { ifMatch: written.etag });
            } catch (error) {
              // Someone wrote after us: their record is newer than ours, keep it.
              if (!isPreconditionFailed(error)) throw error;
            }
          },
        }),
      };
    },
    { what: `claiming the retrain of ${request.model} (${stateKey})`, maxAttempts },
  );
}

export type RetrainOutcome =
  | { readonly status: 'not-needed' }
  | { readonly status: 'disabled'; readonly reason: string }
  /** The config asks for retrains but the function was given no state machine to start (a deployment mismatch). */
  | { readonly status: 'not-configured'; readonly reason: string }
  | { readonly status: 'started'; readonly executionArn: string; readonly reason: string }
  | { readonly status: 'cooldown'; readonly until: string; readonly lastStartedAt: string; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string; readonly reason: string };

/** Starts the model's retraining state machine; a repeated name must not start a second run. */
export type StartRetrain = (executionName: string, input: ExecutionInput) => Promise<{ executionArn: string }>;

/** One line for the log and the alert; `setting` is the config switch that turns these retrains on. */
export function describeRetrain(outcome: RetrainOutcome, setting: string): string {
  switch (outcome.status) {
    case 'not-needed':
      return 'not needed';
    case 'disabled':
      return `not started: ${setting} is off in the model config`;
    case 'not-configured':
      return `not started: ${setting} is on but this monitor has no state machine (${RUNTIME_ENV.stateMachineArn} is not set); redeploy the stack so the CDK app passes it`;
    case 'started':
      return `started (${outcome.executionArn})`;
    case 'cooldown':
      return `not started: a retrain this monitor started began at ${outcome.lastStartedAt}; cooldown until ${outcome.until}`;
    case 'failed':
      return `could NOT be started: ${outcome.error}`;
  }
}

export interface RetrainRequest {
  readonly model: string;
  readonly at: Date;
  readonly executionName: string;
  readonly reason: string;
  readonly reportKey: string;
  readonly force: boolean;
  /** What the execution input names as its trigger. */
  readonly trigger: Extract<Trigger['kind'], 'drift' | 'quality'>;
}

export async function startRetrainWithCooldown(
  monitoring: ObjectStore,
  stateKey: string,
  cooldownHours: number,
  startRetrain: StartRetrain,
  request: RetrainRequest,
): Promise<RetrainOutcome> {
  const { reason } = request;
  const claim = await claimRetrain(monitoring, stateKey, {
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
    trigger: { kind: request.trigger, objects: [], reason },
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
