import type { ObjectStore } from '../../core/storage/object-store';
import { driftLatestKey } from '../../core/workflow/layout';
import { type LatestPointer, writeLatestPointer as writePointer } from '../shared/latest-pointer';

/** drift/<model>/latest.json: the pointer to a model's newest drift report (lambdas/shared/latest-pointer.ts). */

export { type LatestPointer, latestPointerSchema } from '../shared/latest-pointer';

export const latestReportKey = driftLatestKey;

export const writeLatestPointer = (store: ObjectStore, pointer: LatestPointer, maxAttempts = 5): Promise<boolean> =>
  writePointer(store, latestReportKey(pointer.model), pointer, maxAttempts);
