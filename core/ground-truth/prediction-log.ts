import type { Cell, DataTable } from '../data/table';
import type { ObjectStore } from '../storage/object-store';
import { actualsBatchKey, predictionBatchKey } from './layout';
import {
  type ActualRecord,
  type FeedbackActual,
  MAX_RECORDED_FEATURES,
  MAX_RECORDED_VALUE_CHARS,
  newPredictionId,
  type PredictionRecord,
  type RecordedFeatures,
} from './records';

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
    callerIds.push(callerIdOf(instance[idField]));
    if (keepInInstance) return instance;
    const { [idField]: _id, ...features } = instance;
    return features as T;
  });
  return { instances: stripped, callerIds };
}

/**
 * A caller's id as given (JSON value, CSV text or Parquet cell): a whole number becomes its decimal
 * text, anything else is returned as is for checkPredictionId to judge.
 */
export function callerIdOf(value: unknown): unknown {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
}

export interface ScoredRow {
  readonly score: number;
  readonly label?: string;
}

/**
 * Whether prediction records carry feature values: only when the model trains on its joined
 * feedback rows (`training.data.source` `window-and-feedback`); otherwise records stay small.
 */
export function trainsOnFeedback(model: {
  readonly training: { readonly data: { readonly source: string } };
}): boolean {
  return model.training.data.source === 'window-and-feedback';
}

/** The part of a model's schema that says which columns are features. */
type FeatureRoles = { readonly columns: ReadonlyArray<{ readonly name: string; readonly role: string }> };

const featureNamesBySchema = new WeakMap<FeatureRoles, readonly string[]>();

/** A model's feature column names (what recordedFeatures keeps), worked out once per schema. */
export function recordableFeatureNames(schema: FeatureRoles): readonly string[] {
  let names = featureNamesBySchema.get(schema);
  if (names === undefined) {
    names = schema.columns.filter((column) => column.role === 'feature').map((column) => column.name);
    featureNamesBySchema.set(schema, names);
  }
  return names;
}

/**
 * The feature values of one scored instance as a prediction record keeps them: only `features`
 * (the model's feature columns, at most MAX_RECORDED_FEATURES), absent ones left out, text cut to
 * MAX_RECORDED_VALUE_CHARS. Anything else a request carried is never recorded.
 */
export function recordedFeatures(
  instance: Readonly<Record<string, Cell>>,
  features: readonly string[],
): RecordedFeatures {
  const recorded: Record<string, Cell> = {};
  for (const name of features.slice(0, MAX_RECORDED_FEATURES)) {
    if (!Object.hasOwn(instance, name)) continue;
    const value = instance[name];
    recorded[name] =
      typeof value === 'string'
        ? cutText(value, MAX_RECORDED_VALUE_CHARS)
        : typeof value === 'number' && !Number.isFinite(value)
          ? null
          : (value ?? null);
  }
  return recorded;
}

/**
 * recordedFeatures of each row of a scored table (batch scoring), for the rows where `include` is
 * true; the others get an empty record that predictionLines skips anyway.
 */
export function recordedFeaturesOfRows(
  table: DataTable,
  features: readonly string[],
  include: readonly boolean[],
): RecordedFeatures[] {
  const present = features
    .slice(0, MAX_RECORDED_FEATURES)
    .map((name) => ({ name, column: table.columns[table.columnNames.indexOf(name)] }))
    .filter((feature) => feature.column !== undefined);
  const records: RecordedFeatures[] = new Array(table.rowCount);
  for (let row = 0; row < table.rowCount; row++) {
    const instance: Record<string, Cell> = {};
    if (include[row]) for (const { name, column } of present) instance[name] = column[row];
    records[row] = recordedFeatures(instance, features);
  }
  return records;
}

/** At most `max` UTF-16 units, never half a surrogate pair. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * The records of one scored batch: ids and predictions in the same order, and each instance's
 * recorded features when `features` is given (the config trains on feedback).
 */
export function predictionRecords(
  model: string,
  version: number,
  time: Date,
  ids: readonly string[],
  predictions: readonly ScoredRow[],
  features?: readonly RecordedFeatures[],
): PredictionRecord[] {
  if (ids.length !== predictions.length) {
    throw new RangeError(`${ids.length} prediction ids for ${predictions.length} predictions`);
  }
  if (features !== undefined && features.length !== predictions.length) {
    throw new RangeError(`${features.length} feature records for ${predictions.length} predictions`);
  }
  const iso = time.toISOString();
  return predictions.map((prediction, index) => ({
    id: ids[index]!,
    model,
    version,
    time: iso,
    score: prediction.score,
    ...(prediction.label === undefined ? {} : { label: prediction.label }),
    ...(features === undefined ? {} : { features: features[index]! }),
  }));
}

/** Actuals of one feedback request, stamped with when it was received (what "last write wins" compares). */
export function actualRecords(actuals: readonly FeedbackActual[], receivedAt: Date): ActualRecord[] {
  const iso = receivedAt.toISOString();
  return actuals.map(({ id, label }) => ({ id, label, receivedAt: iso }));
}

/** Ids that JSON writes as they are, between quotes: ours (ULIDs), and callers' of that shape. */
const PLAIN_ID = /^[0-9A-Z]{26}$/;

/**
 * The JSON lines of `predictionRecords(model, version, time, ids, ...)` for the rows where
 * `include` is true, byte for byte what JSON.stringify writes for those records, without making
 * them: the batch scorer writes one per row, a million per file.
 */
export function predictionLines(
  model: string,
  version: number,
  time: Date,
  ids: readonly string[],
  scores: ArrayLike<number>,
  labels: readonly string[] | undefined,
  include: readonly boolean[],
  /** Each row's recorded features (recordedFeatures), when the config trains on feedback. */
  features?: readonly RecordedFeatures[],
): string[] {
  const middle = `,"model":${JSON.stringify(model)},"version":${version},"time":${JSON.stringify(time.toISOString())},"score":`;
  const labelParts = new Map<string, string>();
  const lines: string[] = [];
  for (let index = 0; index < ids.length; index++) {
    if (!include[index]) continue;
    const id = ids[index]!;
    const score = scores[index]!;
    // Our ids and finite scores are written as JSON.stringify writes them, without calling it per row.
    let line = `{"id":${PLAIN_ID.test(id) ? `"${id}"` : JSON.stringify(id)}${middle}${Number.isFinite(score) ? String(score) : 'null'}`;
    if (labels !== undefined) {
      const label = labels[index]!;
      let part = labelParts.get(label);
      if (part === undefined) {
        part = `,"label":${JSON.stringify(label)}`;
        labelParts.set(label, part);
      }
      line += part;
    }
    if (features !== undefined) line += `,"features":${JSON.stringify(features[index])}`;
    lines.push(`${line}}`);
  }
  return lines;
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

/** writePredictionBatch of the lines predictionLines wrote (the endpoint: no record objects made). */
export async function writePredictionLines(
  store: ObjectStore,
  model: string,
  lines: readonly string[],
  at: Date = new Date(),
  /** The 10 random bytes of the batch's name. @default - from the system's CSPRNG */
  randomness?: Uint8Array,
): Promise<string> {
  const key = predictionBatchKey(model, newPredictionId(at, randomness));
  await store.put(key, lines.length === 0 ? '' : `${lines.join('\n')}\n`, { contentType: 'application/x-ndjson' });
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

export interface PredictionBatchesOptions {
  /** Records per batch object: about 130 bytes each, so 50,000 is about 6.5 MB. @default 50_000 */
  readonly maxRecords?: number;
  /**
   * A batch is written once its oldest record is this old, full or not: the join finds a prediction
   * in batches named at most its maxBatchSpanSeconds (900 s) after it was made. @default 300_000
   */
  readonly maxAgeMs?: number;
  /** Names each batch when it is written. @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * The prediction log of a long-running writer (batch scoring): records are added as they are
 * scored and written as batch objects of at most `maxRecords`, so memory stays bounded whatever
 * the input's size. At most one write is in flight while the next batch fills: `add` waits for
 * the previous write before starting another (back-pressure), and rejects when a write failed.
 */
export class PredictionBatches {
  private pending: string[] = [];
  private pendingSince: number | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  /** A failed write, kept (not left as a rejected promise nobody awaits yet) and thrown by the next call. */
  private failure: unknown;
  private readonly maxRecords: number;
  private readonly maxAgeMs: number;
  private readonly now: () => Date;
  /** Keys of the batches written so far, in order. */
  readonly keys: string[] = [];
  private written = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly model: string,
    options: PredictionBatchesOptions = {},
  ) {
    this.maxRecords = options.maxRecords ?? 50_000;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.now = options.now ?? (() => new Date());
    if (!Number.isInteger(this.maxRecords) || this.maxRecords < 1) {
      throw new RangeError(`maxRecords must be a positive integer, received ${this.maxRecords}`);
    }
  }

  /** Records written so far (a batch in flight counts once its write finished). */
  get recordsWritten(): number {
    return this.written;
  }

  async add(records: readonly PredictionRecord[]): Promise<void> {
    await this.addLines(records.map((record) => JSON.stringify(record)));
  }

  /** Records already written as JSON (predictionLines), one per line. */
  async addLines(lines: readonly string[]): Promise<void> {
    for (const line of lines) {
      if (this.pending.length === 0) this.pendingSince = this.now().getTime();
      this.pending.push(line);
      if (this.pending.length >= this.maxRecords) await this.flush();
    }
    if (this.pendingSince !== undefined && this.now().getTime() - this.pendingSince >= this.maxAgeMs) {
      await this.flush();
    }
  }

  /** Writes what is pending and waits for every write; rejects when one failed. */
  async close(): Promise<void> {
    await this.flush();
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
  }

  private async flush(): Promise<void> {
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.pendingSince = undefined;
    const key = predictionBatchKey(this.model, newPredictionId(this.now()));
    this.inFlight = this.store.put(key, `${lines.join('\n')}\n`, { contentType: 'application/x-ndjson' }).then(
      () => {
        this.keys.push(key);
        this.written += lines.length;
      },
      (error: unknown) => {
        this.failure = error;
      },
    );
  }
}
