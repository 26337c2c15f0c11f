import type { Cell } from '../data/table';
import type { ObjectStore } from '../storage/object-store';
import { actualsBatchKey, predictionBatchKey } from './layout';
import { type ActualRecord, type FeedbackActual, newPredictionId, type PredictionRecord } from './records';

/**
 * What the scorers (endpoint, stream, batch) and the feedback route write for the join: prediction
 * records and actuals, one JSON Lines batch per call under the keys of layout.ts. The writers own
 * only the batching; the contracts are the schemas in records.ts.
 */

/** Instances with the caller's id field taken out, and what each carried there (undefined: none). */
export interface CallerIdSplit<T> {
  readonly instances: T[];
  readonly callerIds: unknown[];
}

/**
 * Takes the caller's own prediction id out of each instance, so it is neither scored nor reported
 * as an unknown feature. A model that was trained with a feature of that name keeps it (it is
 * scored and used as the id). A whole number is taken as its decimal text: order ids are often
 * numbers in JSON and in CSV files, and posted actuals name them as text.
 */
export function takeCallerIds<T extends Readonly<Record<string, Cell>>>(
  instances: readonly T[],
  idField: string | undefined,
  isFeature: (name: string) => boolean,
): CallerIdSplit<T> {
  if (idField === undefined) return { instances: [...instances], callerIds: instances.map(() => undefined) };
  const keepInInstance = isFeature(idField);
  const callerIds: unknown[] = [];
  const stripped = instances.map((instance) => {
    if (!Object.hasOwn(instance, idField)) {
      callerIds.push(undefined);
      return instance;
    }
    const value = instance[idField];
    callerIds.push(typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value);
    if (keepInInstance) return instance;
    const { [idField]: _id, ...features } = instance;
    return features as T;
  });
  return { instances: stripped, callerIds };
}

export interface ScoredRow {
  readonly score: number;
  readonly label?: string;
}

/** The records of one scored batch: ids and predictions in the same order. */
export function predictionRecords(
  model: string,
  version: number,
  time: Date,
  ids: readonly string[],
  predictions: readonly ScoredRow[],
): PredictionRecord[] {
  if (ids.length !== predictions.length) {
    throw new RangeError(`${ids.length} prediction ids for ${predictions.length} predictions`);
  }
  const iso = time.toISOString();
  return predictions.map((prediction, index) => ({
    id: ids[index]!,
    model,
    version,
    time: iso,
    score: prediction.score,
    ...(prediction.label === undefined ? {} : { label: prediction.label }),
  }));
}

/** Actuals of one feedback request, stamped with when it was received (what "last write wins" compares). */
export function actualRecords(actuals: readonly FeedbackActual[], receivedAt: Date): ActualRecord[] {
  const iso = receivedAt.toISOString();
  return actuals.map(({ id, label }) => ({ id, label, receivedAt: iso }));
}

export function jsonLines(records: readonly object[]): string {
  let text = '';
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return text;
}

/**
 * Writes one batch of prediction records; returns its key. Name the batch when it is written
 * (`at`, the writer's clock): the join's "settle" margin counts from the name.
 */
export async function writePredictionBatch(
  store: ObjectStore,
  model: string,
  records: readonly PredictionRecord[],
  at: Date = new Date(),
): Promise<string> {
  const key = predictionBatchKey(model, newPredictionId(at));
  await store.put(key, jsonLines(records), { contentType: 'application/x-ndjson' });
  return key;
}

/** Writes one batch of actuals, named at `at`; returns its key. */
export async function writeActualsBatch(
  store: ObjectStore,
  model: string,
  records: readonly ActualRecord[],
  at: Date = new Date(),
): Promise<string> {
  const key = actualsBatchKey(model, newPredictionId(at));
  await store.put(key, jsonLines(records), { contentType: 'application/x-ndjson' });
  return key;
}
