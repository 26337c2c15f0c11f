import * as z from 'zod';
import { type UpdateDecision, updateJsonObject } from '../../core/storage/conditional-update';
import type { ObjectStore } from '../../core/storage/object-store';

/** A monitor's latest.json: the pointer to a model's newest report, written compare-and-swap. */

export const latestPointerSchema = z.looseObject({
  model: z.string(),
  generatedAt: z.string(),
  status: z.string(),
  reportKey: z.string(),
  htmlKey: z.string(),
});
export type LatestPointer = z.infer<typeof latestPointerSchema>;

/** Writes the pointer at `key` unless a newer check already did; conditional, so the newest always wins. */
export function writeLatestPointer(
  store: ObjectStore,
  key: string,
  pointer: LatestPointer,
  maxAttempts = 5,
): Promise<boolean> {
  return updateJsonObject(
    store,
    key,
    latestPointerSchema,
    (current): UpdateDecision<LatestPointer, boolean> =>
      current && current.value.generatedAt > pointer.generatedAt
        ? { done: false }
        : { write: pointer, onWritten: () => true },
    { what: `pointing ${key} at the newest report`, maxAttempts },
  );
}
