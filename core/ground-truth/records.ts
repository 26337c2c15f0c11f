import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { clipText } from '../text/clip';
import { MODEL_NAME_PATTERN } from '../workflow/layout';

/**
 * The ground-truth contracts: what the scorers record for every prediction, what an actual
 * outcome is, and the body of `POST /<model>/feedback`. One schema per contract, imported by the
 * writers (endpoint, stream and batch scoring, feedback handler) and by the join.
 */

/** Longest prediction id, ours (26 characters) or a caller's (an order id, say). */
export const MAX_PREDICTION_ID_CHARS = 128;
/** Longest label text an actual may carry (class labels are short; this bounds a hostile body). */
export const MAX_ACTUAL_LABEL_CHARS = 256;
/** Actuals in one feedback request: about 0.5 MB of ids and labels, far below a Function URL's 6 MB. */
export const MAX_ACTUALS_PER_REQUEST = 5000;

/**
 * A prediction id: 1 to 128 characters, no control characters, no leading or trailing space
 * (a CSV upload of the same id must find it, and spreadsheet tools trim).
 */
export const predictionIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PREDICTION_ID_CHARS, `must be at most ${MAX_PREDICTION_ID_CHARS} characters`)
  .refine((id) => id === id.trim(), 'must not start or end with a space')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them
  .refine((id) => !/[\u0000-\u001f\u007f]/.test(id), 'must not contain control characters');

const isoTimeSchema = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO time');

/** Feature values a prediction record carries at most (the model's own features only). */
export const MAX_RECORDED_FEATURES = 1000;
/** Longest text value a prediction record keeps of a feature; longer text is cut to this. */
export const MAX_RECORDED_VALUE_CHARS = 256;

/**
 * The request's feature values as scored, recorded only when the model trains on its feedback
 * (`training.data.source` `window-and-feedback`): the model's feature columns, text cut to
 * MAX_RECORDED_VALUE_CHARS, so a record stays small and bounded whatever the request held.
 */
export const recordedFeaturesSchema = z
  .record(z.string(), z.union([z.string().max(MAX_RECORDED_VALUE_CHARS), z.number(), z.boolean(), z.null()]))
  .refine((features) => Object.keys(features).length <= MAX_RECORDED_FEATURES, {
    message: `must hold at most ${MAX_RECORDED_FEATURES} features`,
  });
export type RecordedFeatures = z.infer<typeof recordedFeaturesSchema>;

/**
 * One served prediction, as recorded for the join (separately from the drift capture, which
 * samples feature values). Small: a batch of them is one JSON Lines object under
 * `predictions/<model>/` (core/ground-truth/layout.ts).
 */
export const predictionRecordSchema = z
  .object({
    id: predictionIdSchema,
    model: z.string().regex(MODEL_NAME_PATTERN),
    version: z.number().int().positive(),
    /** ISO time the prediction was scored. */
    time: isoTimeSchema,
    /** Probability of the positive class (binary) or the predicted value (regression). */
    score: z.number().finite(),
    /** The predicted class label as served (binary only): the scorer's label at the version's threshold. */
    label: z.string().optional(),
    /** The scored feature values, only when the config trains on feedback (recordedFeaturesSchema). */
    features: recordedFeaturesSchema.optional(),
  })
  .readonly();
export type PredictionRecord = z.infer<typeof predictionRecordSchema>;

/**
 * An observed outcome as a caller sends it: the class label (as the model's target column holds
 * it, or 0/1/true/false) for a binary model, a number for a regression model. Which one is read
 * against the model's target in core/ground-truth/quality.ts (`encodeActual`).
 */
export const actualLabelSchema = z.union([
  z.string().min(1, 'must not be empty').max(MAX_ACTUAL_LABEL_CHARS),
  z.number().finite(),
  z.boolean(),
]);
export type ActualLabel = z.infer<typeof actualLabelSchema>;

/** One actual, with when the platform received it: the time "last write wins" is decided by. */
export const actualRecordSchema = z
  .object({
    id: predictionIdSchema,
    label: actualLabelSchema,
    /** ISO time received: the feedback request's, or the uploaded file's Last-Modified. */
    receivedAt: isoTimeSchema,
  })
  .readonly();
export type ActualRecord = z.infer<typeof actualRecordSchema>;

/** A bad feedback request or caller-supplied prediction id (HTTP 400), naming the field, as the scorer's InputError does. */
export class GroundTruthInputError extends Error {
  override readonly name = 'GroundTruthInputError';
  constructor(
    message: string,
    /** The request field at fault, e.g. `actuals[3].label`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface FeedbackActual {
  readonly id: string;
  readonly label: ActualLabel;
}

/**
 * `POST /<model>/feedback` with `{"actuals": [{"id": "...", "label": ...}, ...]}`: 1 to
 * `maxActuals` entries, each exactly `id` and `label`. The same id twice in one request is
 * allowed: as across requests, the last one wins (the join counts it). Throws GroundTruthInputError
 * naming the first bad field, every echoed value clipped.
 */
export function parseFeedbackRequest(body: unknown, maxActuals: number = MAX_ACTUALS_PER_REQUEST): FeedbackActual[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GroundTruthInputError(`the body must be a JSON object {"actuals": [...]}, got ${kindOf(body)}`);
  }
  for (const key of Object.keys(body)) {
    if (key !== 'actuals') {
      throw new GroundTruthInputError(`unknown field "${clipText(key)}"; the body holds only "actuals"`, clipText(key));
    }
  }
  const actuals = (body as { actuals?: unknown }).actuals;
  if (actuals === undefined) {
    throw new GroundTruthInputError('actuals is required: a list of {"id", "label"} outcomes', 'actuals');
  }
  if (!Array.isArray(actuals))
    throw new GroundTruthInputError(`actuals must be a list, got ${kindOf(actuals)}`, 'actuals');
  if (actuals.length === 0) throw new GroundTruthInputError('actuals is empty; send 1 or more outcomes', 'actuals');
  if (actuals.length > maxActuals) {
    throw new GroundTruthInputError(
      `actuals holds ${actuals.length} entries; at most ${maxActuals} per request, split the batch (or upload a file)`,
      'actuals',
    );
  }
  return actuals.map((actual, index) => checkActual(actual, index));
}

function checkActual(actual: unknown, index: number): FeedbackActual {
  const field = `actuals[${index}]`;
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
    throw new GroundTruthInputError(`${field} must be an object {"id", "label"}, got ${kindOf(actual)}`, field);
  }
  for (const key of Object.keys(actual)) {
    if (key !== 'id' && key !== 'label') {
      throw new GroundTruthInputError(
        `${field} has an unknown field "${clipText(key)}"; an actual holds only "id" and "label"`,
        `${field}.${clipText(key)}`,
      );
    }
  }
  const { id, label } = actual as { id?: unknown; label?: unknown };
  const idProblem = checkPredictionId(id);
  if (idProblem) throw new GroundTruthInputError(`${field}.id ${idProblem}`, `${field}.id`);
  const labelProblem = checkActualLabel(label);
  if (labelProblem) throw new GroundTruthInputError(`${field}.label ${labelProblem}`, `${field}.label`);
  return { id: id as string, label: label as ActualLabel };
}

/** Why `id` is not a valid prediction id (a phrase to follow the field name), or null. */
export function checkPredictionId(id: unknown): string | null {
  if (id === undefined) return 'is required: the id the prediction was returned with';
  if (typeof id !== 'string') return `must be a string, got ${kindOf(id)}`;
  const result = predictionIdSchema.safeParse(id);
  return result.success ? null : `${result.error.issues[0].message} (got "${clipText(id)}")`;
}

/** Why `label` is not a valid actual label (a phrase to follow the field name), or null. */
export function checkActualLabel(label: unknown): string | null {
  if (label === undefined) return 'is required: the observed outcome';
  if (typeof label === 'number' && !Number.isFinite(label)) return 'must be a finite number';
  if (typeof label === 'string' && label.length > MAX_ACTUAL_LABEL_CHARS) {
    return `must be at most ${MAX_ACTUAL_LABEL_CHARS} characters (got "${clipText(label)}")`;
  }
  if (typeof label === 'string' && label.length === 0) return 'must not be empty';
  if (typeof label === 'string' || typeof label === 'number' || typeof label === 'boolean') return null;
  return `must be a class label (string, 0/1, true/false) or a number, got ${kindOf(label)}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/*
 * Prediction ids we assign are ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds then
 * 80 random bits, in Crockford's base32. Sortable by time as text, and unique without coordination
 * (two ids in the same millisecond collide with probability 2^-80). The time prefix lets the join
 * read only the hour its prediction was written in instead of the whole lookback window.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_ULID_TIME = 2 ** 48 - 1;

/** A new time-prefixed id: `randomness` is 10 bytes (a test fixes it; by default from the system's CSPRNG). */
export function newPredictionId(at: Date = new Date(), randomness: Uint8Array = randomBytes(10)): string {
  const time = at.getTime();
  if (!Number.isInteger(time) || time < 0 || time > MAX_ULID_TIME) {
    throw new RangeError(`cannot make a prediction id for time ${at.toISOString()}`);
  }
  if (randomness.length !== 10) throw new RangeError(`an id needs 10 random bytes, got ${randomness.length}`);
  let text = '';
  let rest = time;
  for (let i = 0; i < 10; i++) {
    text = CROCKFORD[rest % 32] + text;
    rest = Math.floor(rest / 32);
  }
  // 80 bits as 16 characters of 5 bits each.
  let bits = 0;
  let value = 0;
  for (const byte of randomness) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += CROCKFORD[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return text;
}

/**
 * `count` new ids made at the same time, exactly as `newPredictionId(at, randomness[10 i .. 10 i + 10])`
 * would make them, several times faster (the time prefix is encoded once): a batch-scoring chunk
 * needs one per row.
 */
export function predictionIdsAt(at: Date, count: number, randomness: Uint8Array = randomBytes(10 * count)): string[] {
  if (randomness.length !== 10 * count) {
    throw new RangeError(`${count} ids need ${10 * count} random bytes, got ${randomness.length}`);
  }
  if (count === 0) return [];
  const prefix = newPredictionId(at, randomness.subarray(0, 10)).slice(0, 10);
  const ids = new Array<string>(count);
  for (let index = 0; index < count; index++) {
    const b = 10 * index;
    ids[index] = prefix + fortyBits(randomness, b) + fortyBits(randomness, b + 5);
  }
  return ids;
}

/** Every 10-bit value as its two base32 characters: an id's random part is four lookups, not sixteen. */
const CROCKFORD_PAIRS: readonly string[] = Array.from(
  { length: 1024 },
  (_, bits) => CROCKFORD[bits >> 5]! + CROCKFORD[bits & 31]!,
);

/** Five bytes from `at` as eight base32 characters, most significant first. */
function fortyBits(bytes: Uint8Array, at: number): string {
  const b0 = bytes[at]!;
  const b1 = bytes[at + 1]!;
  const b2 = bytes[at + 2]!;
  const b3 = bytes[at + 3]!;
  const b4 = bytes[at + 4]!;
  return (
    CROCKFORD_PAIRS[(b0 << 2) | (b1 >> 6)]! +
    CROCKFORD_PAIRS[((b1 & 63) << 4) | (b2 >> 4)]! +
    CROCKFORD_PAIRS[((b2 & 15) << 6) | (b3 >> 2)]! +
    CROCKFORD_PAIRS[((b3 & 3) << 8) | b4]!
  );
}

/** The time an id of ours was made, or null when `id` is not one (a caller's own id). */
export function predictionIdTime(id: string): Date | null {
  if (!ULID_PATTERN.test(id)) return null;
  let time = 0;
  for (let i = 0; i < 10; i++) time = time * 32 + CROCKFORD.indexOf(id[i]);
  return new Date(time);
}

/**
 * The id of each prediction in one request: the caller's where given (checked), a new one of ours
 * otherwise. `fieldOf(i)` names where instance i's id came from (e.g. `instances[3].id`). A caller
 * id used twice in one request is an error naming both places: the join could not tell which
 * prediction an outcome belongs to.
 */
export function assignPredictionIds(
  callerIds: ReadonlyArray<unknown>,
  fieldOf: (index: number) => string,
  at: Date = new Date(),
  makeId: (at: Date) => string = newPredictionId,
): string[] {
  const firstSeenAt = new Map<string, number>();
  return callerIds.map((callerId, index) => {
    if (callerId === undefined || callerId === null) return makeId(at);
    const problem = checkPredictionId(callerId);
    if (problem) throw new GroundTruthInputError(`${fieldOf(index)} ${problem}`, fieldOf(index));
    const id = callerId as string;
    const first = firstSeenAt.get(id);
    if (first !== undefined) {
      throw new GroundTruthInputError(
        `${fieldOf(index)} "${clipText(id)}" repeats ${fieldOf(first)}; prediction ids must be unique within a request`,
        fieldOf(index),
      );
    }
    firstSeenAt.set(id, index);
    return id;
  });
}

/**
 * A prediction with its observed outcome, as the join writes it under `joined/<model>/` (by
 * prediction time) and the quality monitor reads it. The same id may appear in several rows
 * when a corrected outcome arrived later: readers keep the latest `receivedAt`.
 */
export const joinedRowSchema = z
  .object({
    id: predictionIdSchema,
    version: z.number().int().positive(),
    /** When the prediction was made. */
    time: isoTimeSchema,
    score: z.number().finite(),
    /** The predicted class label as served (binary). */
    label: z.string().optional(),
    /** The observed outcome as received. */
    actual: actualLabelSchema,
    receivedAt: isoTimeSchema,
    /** The prediction's recorded feature values, when it has them: with `actual` as the target, a training row. */
    features: recordedFeaturesSchema.optional(),
  })
  .readonly();
export type JoinedRow = z.infer<typeof joinedRowSchema>;
