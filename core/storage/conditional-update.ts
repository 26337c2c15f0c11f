import type * as z from 'zod';
import { type JsonObject, readJson, writeJson } from './json';
import { isPreconditionFailed, type ObjectStore } from './object-store';

/**
 * The one read-decide-conditional-write loop every mutable object of the platform goes through
 * (aliases, approvals, run records, the drift monitor's retrain claim): read the object, decide
 * from what was read, write only if the object is still what was read (If-Match its ETag, or
 * If-None-Match: * when there was none). A lost write means another writer got there first:
 * wait a little, read again and decide again, so a decision is never made from stale state.
 */
export type UpdateDecision<T, R> =
  /** Write `write`; the update then resolves to what `onWritten` returns (given the new ETag). */
  | { readonly write: T; readonly onWritten: (written: { readonly etag: string }) => R | Promise<R> }
  /** Nothing to write: the update resolves to `done`. */
  | { readonly done: R };

export interface ConditionalUpdateOptions {
  /** What is being updated, for the give-up error (e.g. "moving alias production of churn"). */
  readonly what: string;
  /** Reads and writes before giving up. @default 16 */
  readonly maxAttempts?: number;
  /** Wait after a lost write. @default jitteredBackoff */
  readonly backoff?: (attempt: number) => Promise<void>;
  /** The error thrown on giving up. @default ContentionError */
  readonly giveUp?: (attempts: number) => Error;
}

/** Another writer kept winning the object's conditional write. */
export class ContentionError extends Error {
  override readonly name = 'ContentionError';
}

export async function updateJsonObject<S extends z.ZodType, R>(
  store: ObjectStore,
  key: string,
  schema: S,
  decide: (
    current: JsonObject<z.output<S>> | null,
    attempt: number,
  ) => UpdateDecision<z.output<S>, R> | Promise<UpdateDecision<z.output<S>, R>>,
  options: ConditionalUpdateOptions,
): Promise<R> {
  const maxAttempts = options.maxAttempts ?? 16;
  const backoff = options.backoff ?? jitteredBackoff;
  for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
    const current = await readJson(store, key, schema);
    const decision = await decide(current, attempt);
    if ('done' in decision) return decision.done;
    let written: { etag: string };
    try {
      written = await writeJson(store, key, decision.write, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      await backoff(attempt);
      continue;
    }
    return decision.onWritten(written);
  }
  throw (
    options.giveUp?.(maxAttempts) ??
    new ContentionError(
      `gave up ${options.what} after ${maxAttempts} lost conditional writes to s3://${store.bucket}/${key}; ` +
        'another writer keeps winning: retry later',
    )
  );
}

/** Spreads contending writers out so that each round of compare-and-swap has fewer losers. */
export function jitteredBackoff(attempt: number): Promise<void> {
  const ceiling = Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
