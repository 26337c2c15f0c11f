import { z } from 'zod';
import { readJson, writeJson } from '../../core/storage/json';
import { isPreconditionFailed, type ObjectStore } from '../../core/storage/object-store';
import { driftLatestKey } from '../../core/workflow/layout';

/** drift/<model>/latest.json: the pointer to a model's newest report, written compare-and-swap. */

export const latestReportKey = driftLatestKey;

export const latestPointerSchema = z.looseObject({
  model: z.string(),
  generatedAt: z.string(),
  status: z.string(),
  reportKey: z.string(),
  htmlKey: z.string(),
});
export type LatestPointer = z.infer<typeof latestPointerSchema>;

/** Writes the pointer unless a newer check already did; conditional, so the newest always wins. */
export async function writeLatestPointer(
  store: ObjectStore,
  pointer: LatestPointer,
  maxAttempts = 5,
): Promise<boolean> {
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
