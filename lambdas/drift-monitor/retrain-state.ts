import { z } from 'zod';
import { type UpdateDecision, updateJsonObject } from '../../core/storage/conditional-update';
import { writeJson } from '../../core/storage/json';
import { isPreconditionFailed, type ObjectStore } from '../../core/storage/object-store';
import { driftReportPrefix } from '../../core/workflow/layout';

/**
 * The drift monitor's memory between runs: when it last started a retrain. It lives in the
 * monitoring zone at drift/<model>/state.json and changes only by conditional writes, so of two
 * runs that find drift at the same time exactly one claims the retrain; the other re-reads the
 * state and finds itself inside the cooldown.
 */
export const driftStateSchema = z.object({
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
export type DriftState = z.infer<typeof driftStateSchema>;
export type DriftRetrainRecord = NonNullable<DriftState['lastRetrain']>;

export const driftStateKey = (model: string): string => `${driftReportPrefix(model)}state.json`;

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
  /** A drift-triggered retrain started less than cooldownHours ago. */
  | { readonly kind: 'cooldown'; readonly lastStartedAt: string; readonly until: string };

/**
 * Decides, atomically, whether this check may start a drift-triggered retrain, and records it
 * when it may. Losing a conditional write means another run wrote first: re-read and decide again.
 */
export function claimDriftRetrain(store: ObjectStore, request: ClaimRequest, maxAttempts = 5): Promise<RetrainClaim> {
  const key = driftStateKey(request.model);
  return updateJsonObject(
    store,
    key,
    driftStateSchema,
    (current): UpdateDecision<DriftState, RetrainClaim> => {
      const last = current?.value.lastRetrain ?? null;
      if (last && last.executionName === request.executionName) return { done: { kind: 'same-check' } };
      if (last && !request.force) {
        const until = Date.parse(last.startedAt) + request.cooldownHours * HOUR_MS;
        if (request.now.getTime() < until) {
          return { done: { kind: 'cooldown', lastStartedAt: last.startedAt, until: new Date(until).toISOString() } };
        }
      }
      const next: DriftState = {
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
            const previous: DriftState = { model: request.model, lastRetrain: last };
            try {
              await writeJson(store, key, previous, { ifMatch: written.etag });
            } catch (error) {
              // Someone wrote after us: their record is newer than ours, keep it.
              if (!isPreconditionFailed(error)) throw error;
            }
          },
        }),
      };
    },
    { what: `claiming the drift retrain of ${request.model}`, maxAttempts },
  );
}
