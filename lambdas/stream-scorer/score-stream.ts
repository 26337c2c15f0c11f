import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { FeatureViewConfig } from '../../core/config/feature-view-schema';
import type { Cell } from '../../core/data/table';
import {
  type FeatureLookupResult,
  FeatureStoreUnavailableError,
  lookupFeatureGroups,
  mergeIntoRecords,
  recordLookupRows,
} from '../../core/feature-views/lookup';
import type { OnlineFeatureStore } from '../../core/feature-views/online-store';
import {
  predictionRecords,
  recordableFeatureNames,
  recordedFeatures,
  takeCallerIds,
  writePredictionBatch,
} from '../../core/ground-truth/prediction-log';
import { assignPredictionIds, GroundTruthInputError, type PredictionRecord } from '../../core/ground-truth/records';
import { InputError, type Prediction, type ScoringPolicy } from '../../core/score/scorer';
import type { ObjectStore } from '../../core/storage/object-store';
import { clipText } from '../../core/text/clip';
import type { ServingModel } from '../shared/model-cache';

/**
 * Scores a batch of Kinesis records with the production model.
 *
 * A record's data is a JSON object of features, or `{"instances": [{...}, ...]}`. Each scored
 * record becomes one output record (same partition key, so per-key order is kept downstream).
 * Every prediction carries an id (the caller's from `idField`, else a new one of ours), and the
 * predictions of a batch are recorded for the ground-truth join as one object (`predictionLog`).
 *
 * Two kinds of failure, handled apart:
 * - A bad record (not JSON, not an object, a value of the wrong type) will never score: it goes to
 *   the dead-letter sink with its reason and is NOT reported as failed, so the shard moves on at
 *   once instead of replaying it (and every later record of the batch) until retries run out.
 * - A transient failure (the model cannot be loaded, the output or dead-letter write failed) is
 *   reported in `batchItemFailures`, and Lambda retries from the first such record; after
 *   `maxRetries` the event source mapping sends the batch's metadata to its on-failure queue.
 */

export interface StreamResult {
  readonly model: string;
  readonly version: number;
  /** The input record's position, to join results back to events. */
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly predictions: ReadonlyArray<Prediction & { readonly id: string; readonly from_store?: readonly string[] }>;
  readonly warnings: readonly string[];
}

export interface DeadLetter {
  readonly kind: 'mlops-stream-bad-record';
  readonly model: string;
  readonly reason: string;
  readonly eventSourceARN?: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** The record's data as received (base64), cut to MAX_DEAD_LETTER_DATA characters. */
  readonly data: string;
  readonly truncated: boolean;
}

/** SQS messages hold 256 KiB; a Kinesis record up to 1 MiB. */
export const MAX_DEAD_LETTER_DATA = 200_000;

/** Where results go (a Kinesis stream on AWS). Returns the sequence numbers whose write failed. */
export interface ResultSink {
  put(results: readonly StreamResult[]): Promise<readonly string[]>;
}

/** Where bad records go (an SQS queue on AWS). Returns the sequence numbers whose write failed. */
export interface DeadLetterSink {
  send(letters: readonly DeadLetter[]): Promise<readonly string[]>;
}

export interface StreamScoringDeps {
  /** The model to score with (ModelCache.get: loads once, notices promotions). */
  readonly model: () => Promise<ServingModel>;
  readonly results: ResultSink;
  readonly deadLetters: DeadLetterSink;
  /** @default {} (unknown fields warn, missing features imputed, as the endpoint) */
  readonly policy?: ScoringPolicy;
  /** Most instances one record may carry. @default 1000 */
  readonly maxInstances?: number;
  /** The instance field carrying the caller's prediction id (predictions.idField). @default none: every id is ours */
  readonly idField?: string;
  /** Where the batch's prediction records go (the monitoring zone). @default none: not recorded */
  readonly predictionLog?: ObjectStore;
  /** Prediction records carry the scored feature values (the model trains on its feedback). @default false */
  readonly recordFeatures?: boolean;
  /**
   * A model with a feature view: instances that carry the entity key get the view features they
   * lack from the online store, one read per Kinesis batch. @default none
   */
  readonly featureLookup?: {
    readonly view: FeatureViewConfig;
    readonly store: OnlineFeatureStore;
    /** Names the store in errors (the DynamoDB table). */
    readonly storeName: string;
  };
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly logger?: { warn(message: string, ...extra: unknown[]): void };
}

export interface StreamBatchOutcome extends KinesisStreamBatchResponse {
  readonly scored: number;
  readonly deadLettered: number;
  readonly retried: number;
  /** Predictions whose log write failed (logged; the results went out). */
  readonly predictionLogFailures: number;
}

/** Why a record cannot be scored, or its instances. */
export function decodeRecord(
  record: KinesisStreamRecord,
  maxInstances: number,
): { instances: Record<string, Cell>[] } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
  } catch (error) {
    return { reason: `data is not JSON: ${clipText((error as Error).message, 200)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { reason: 'data must be a JSON object of features, or {"instances": [{...}, ...]}' };
  }
  const body = value as Record<string, unknown>;
  const instances = Object.hasOwn(body, 'instances') ? body.instances : [body];
  if (!Array.isArray(instances) || instances.length === 0) {
    return { reason: '"instances" must be a non-empty array of JSON objects' };
  }
  if (instances.length > maxInstances) {
    return { reason: `"instances" holds ${instances.length} rows; at most ${maxInstances} per record` };
  }
  for (const [index, instance] of instances.entries()) {
    if (typeof instance !== 'object' || instance === null || Array.isArray(instance)) {
      return { reason: `instances[${index}] must be a JSON object of features` };
    }
    for (const [field, cell] of Object.entries(instance)) {
      if (cell !== null && typeof cell === 'object') {
        return { reason: `instances[${index}].${clipText(field)} must be a number, string, boolean or null` };
      }
    }
  }
  return { instances: instances as Record<string, Cell>[] };
}

export async function scoreStreamBatch(
  event: KinesisStreamEvent,
  deps: StreamScoringDeps,
): Promise<StreamBatchOutcome> {
  const records = event.Records ?? [];
  const sequenceOf = (record: KinesisStreamRecord) => record.kinesis.sequenceNumber;
  let model: ServingModel;
  try {
    model = await deps.model();
  } catch (error) {
    deps.logger?.warn('no model to score with; the batch will be retried', { error: (error as Error).message });
    return outcome(records.map(sequenceOf), 0, 0, 0);
  }
  const now = deps.now ?? (() => new Date());
  const isFeature = (name: string) =>
    model.scorer.artifact.schema.columns.some((column) => column.role === 'feature' && column.name === name);
  const logged: PredictionRecord[] = [];
  const maxInstances = deps.maxInstances ?? 1000;
  const results: StreamResult[] = [];
  const letters: DeadLetter[] = [];
  const decodedRecords = records.map((record) => ({ record, decoded: decodeRecord(record, maxInstances) }));
  let lookups: Array<FeatureLookupResult | undefined>;
  try {
    lookups = await lookupViewFeatures(decodedRecords, model, deps, now());
  } catch (error) {
    if (!(error instanceof FeatureStoreUnavailableError)) throw error;
    // Transient: scoring without the view would impute every feature it holds, so the batch is retried.
    deps.logger?.warn('online feature store unavailable; the batch will be retried', { error: error.message });
    return outcome(records.map(sequenceOf), 0, 0, 0);
  }
  for (const [index, { record, decoded }] of decodedRecords.entries()) {
    if ('reason' in decoded) {
      letters.push(deadLetter(model.name, record, decoded.reason, event));
      continue;
    }
    const lookup = lookups[index];
    try {
      if (lookup && lookup.rejected.size > 0) throw new InputError([...lookup.rejected.values()].join('; '));
      // Caller ids first: the entity key may be the id field, and the merge drops it.
      const taken = takeCallerIds(decoded.instances, deps.idField, isFeature);
      const { callerIds } = taken;
      const instances = lookup
        ? mergeIntoRecords(taken.instances, lookup, deps.featureLookup!.view.entityKey)
        : taken.instances;
      const scoredAt = now();
      const ids = assignPredictionIds(callerIds, (index) => `instances[${index}].${deps.idField}`, scoredAt);
      const warnings = [...model.scorer.checkRecords(instances, deps.policy ?? {}), ...(lookup?.warnings ?? [])];
      const scores = instances.map((instance) => model.scorer.scoreRecord(instance));
      const predictions = scores.map((prediction, index) => ({
        id: ids[index]!,
        ...prediction,
        ...(lookup ? { from_store: lookup.fromStore[index]! } : {}),
      }));
      if (deps.predictionLog) {
        const features = deps.recordFeatures
          ? instances.map((instance) =>
              recordedFeatures(instance, recordableFeatureNames(model.scorer.artifact.schema)),
            )
          : undefined;
        logged.push(...predictionRecords(model.name, model.version, scoredAt, ids, scores, features));
      }
      results.push({
        model: model.name,
        version: model.version,
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: record.kinesis.partitionKey,
        predictions,
        warnings,
      });
    } catch (error) {
      if (!(error instanceof InputError) && !(error instanceof GroundTruthInputError)) throw error;
      letters.push(deadLetter(model.name, record, error.message, event));
    }
  }
  const [failedResults, failedLetters, logFailures] = await Promise.all([
    results.length > 0 ? deps.results.put(results) : [],
    letters.length > 0 ? deps.deadLetters.send(letters) : [],
    recordPredictions(deps, model.name, logged),
  ]);
  const failed = new Set([...failedResults, ...failedLetters]);
  // Reported in input order: Lambda retries from the lowest sequence number reported.
  const retry = records.map(sequenceOf).filter((sequence) => failed.has(sequence));
  return outcome(retry, results.length - failedResults.length, letters.length - failedLetters.length, logFailures);
}

/**
 * The view features each decoded record's instances lack, read in one go for the whole batch;
 * undefined for a record that did not decode, and for every record of a model without a view.
 */
async function lookupViewFeatures(
  decoded: ReadonlyArray<{ readonly decoded: ReturnType<typeof decodeRecord> }>,
  model: ServingModel,
  deps: StreamScoringDeps,
  now: Date,
): Promise<Array<FeatureLookupResult | undefined>> {
  const lookup = deps.featureLookup;
  if (!lookup) return decoded.map(() => undefined);
  const readable = decoded.flatMap(({ decoded }, index) => ('instances' in decoded ? [{ index, decoded }] : []));
  const results = await lookupFeatureGroups(
    readable.map(({ decoded }) => recordLookupRows(decoded.instances)),
    {
      view: lookup.view,
      modelFeatures: model.scorer.artifact.schema.columns.filter((c) => c.role === 'feature').map((c) => c.name),
      store: lookup.store,
      nowMs: now.getTime(),
      storeName: lookup.storeName,
    },
  );
  const byRecord: Array<FeatureLookupResult | undefined> = decoded.map(() => undefined);
  readable.forEach(({ index }, position) => {
    byRecord[index] = results[position];
  });
  return byRecord;
}

/**
 * One prediction-log object for the batch; returns how many records it failed to write. A
 * failure is logged, never retried through the stream: replaying the batch would score and
 * output every record again for a log line.
 */
async function recordPredictions(deps: StreamScoringDeps, model: string, records: PredictionRecord[]): Promise<number> {
  if (!deps.predictionLog || records.length === 0) return 0;
  try {
    await writePredictionBatch(deps.predictionLog, model, records, (deps.now ?? (() => new Date()))());
    return 0;
  } catch (error) {
    deps.logger?.warn('prediction log write failed; the results were sent but are not recorded for the join', {
      predictions: records.length,
      error: clipText((error as Error).message ?? String(error)),
    });
    return records.length;
  }
}

function outcome(
  retry: string[],
  scored: number,
  deadLettered: number,
  predictionLogFailures: number,
): StreamBatchOutcome {
  return {
    batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })),
    scored,
    deadLettered,
    retried: retry.length,
    predictionLogFailures,
  };
}

function deadLetter(model: string, record: KinesisStreamRecord, reason: string, event: KinesisStreamEvent): DeadLetter {
  const data = record.kinesis.data;
  const truncated = data.length > MAX_DEAD_LETTER_DATA;
  return {
    kind: 'mlops-stream-bad-record',
    model,
    // Reasons clip what they echo; this bound keeps any other within the SQS message too.
    reason: clipText(reason, 1000),
    eventSourceARN: record.eventSourceARN ?? event.Records[0]?.eventSourceARN,
    shardId: record.eventID?.split(':')[0] ?? '',
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    data: truncated ? data.slice(0, MAX_DEAD_LETTER_DATA) : data,
    truncated,
  };
}
