import { newPredictionId, predictionIdTime } from './records';

/**
 * Where the ground-truth objects live (see join.ts for why they are laid out so).
 *
 *   monitoring: predictions/<model>/dt=YYYY-MM-DD/hour=HH/<batchId>.jsonl   PredictionRecord lines
 *               actuals/<model>/dt=YYYY-MM-DD/hour=HH/<batchId>.jsonl       ActualRecord lines (POST /feedback)
 *               ground-truth/<model>/state.json                              the join's state (compare-and-swap)
 *               ground-truth/<model>/pending/<runId>.jsonl                   actuals not matched yet
 *               joined/<model>/dt=YYYY-MM-DD/hour=HH/<runId>.jsonl          JoinedRow lines, by prediction time
 *   raw:        feedback/<model>/<name>.csv|.jsonl                           uploaded actuals (any name)
 *
 * A batch id is a ULID made when the batch is written, and a batch sits in the hour partition of
 * that id: every key of a prediction or actuals log sorts, as text, in the order the batches were
 * named. So "every batch named before time T" is a key range, and a run lists only the days since
 * the last one.
 */

export const predictionsPrefix = (model: string): string => `predictions/${model}/`;
export const actualsPrefix = (model: string): string => `actuals/${model}/`;
export const joinedPrefix = (model: string): string => `joined/${model}/`;
export const groundTruthPrefix = (model: string): string => `ground-truth/${model}/`;
export const joinStateKey = (model: string): string => `${groundTruthPrefix(model)}state.json`;
export const pendingPrefix = (model: string): string => `${groundTruthPrefix(model)}pending/`;
export const pendingKey = (model: string, runId: string): string => `${pendingPrefix(model)}${runId}.jsonl`;
/** The raw-zone folder of uploaded actuals: a model of this name would collide, so the config refuses it. */
export const FEEDBACK_UPLOAD_FOLDER = 'feedback';
/** Uploaded actuals, in the raw zone. */
export const feedbackUploadPrefix = (model: string): string => `${FEEDBACK_UPLOAD_FOLDER}/${model}/`;

/** `dt=YYYY-MM-DD/hour=HH/` of a time (UTC). */
export function hourPartition(at: Date): string {
  const iso = at.toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

/** The key of a new batch under a log prefix (predictions or actuals), in the hour its id was made. */
export function batchKey(logPrefix: string, batchId: string): string {
  const madeAt = predictionIdTime(batchId);
  if (madeAt === null) throw new Error(`batch id "${batchId}" is not a ULID; make it with newPredictionId()`);
  return `${logPrefix}${hourPartition(madeAt)}${batchId}.jsonl`;
}

export const predictionBatchKey = (model: string, batchId: string = newPredictionId()): string =>
  batchKey(predictionsPrefix(model), batchId);
export const actualsBatchKey = (model: string, batchId: string = newPredictionId()): string =>
  batchKey(actualsPrefix(model), batchId);

/** Joined rows of one run whose predictions were made in the hour of `predictionHour`. */
export const joinedKey = (model: string, predictionHour: Date, runId: string): string =>
  `${joinedPrefix(model)}${hourPartition(predictionHour)}${runId}.jsonl`;

const ZERO_RANDOMNESS = new Uint8Array(10);

/**
 * The smallest key a batch named at `at` can have under `logPrefix`: every batch named before
 * `at` sorts below it, every batch named at or after it sorts at or above it.
 */
export function logKeyAt(logPrefix: string, at: Date): string {
  return `${logPrefix}${hourPartition(at)}${newPredictionId(at, ZERO_RANDOMNESS)}`;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The `dt=` day prefixes under `base` from the day of `from` to the day of `to`, both included. */
export function dayPrefixes(base: string, from: Date, to: Date): string[] {
  const prefixes: string[] = [];
  for (let day = Math.floor(from.getTime() / DAY_MS); day <= Math.floor(to.getTime() / DAY_MS); day++) {
    prefixes.push(`${base}dt=${new Date(day * DAY_MS).toISOString().slice(0, 10)}/`);
  }
  return prefixes;
}

/** The `dt=/hour=` prefixes under `base` from the hour of `from` to the hour of `to`, both included. */
export function hourPrefixes(base: string, from: Date, to: Date): string[] {
  const prefixes: string[] = [];
  for (let hour = Math.floor(from.getTime() / HOUR_MS); hour <= Math.floor(to.getTime() / HOUR_MS); hour++) {
    prefixes.push(`${base}${hourPartition(new Date(hour * HOUR_MS))}`);
  }
  return prefixes;
}

/** The start of the UTC hour holding `at`. */
export function startOfHour(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}
