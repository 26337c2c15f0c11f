/**
 * The ground-truth join: predictions meet their observed outcomes, incrementally and idempotently.
 *
 * Layout (layout.ts). Predictions and posted actuals are append-only logs of small JSON Lines
 * batches, each named by a ULID made when it is written and filed under the hour of that name,
 * so a log's keys sort in the order its batches were named. The join state records, per log,
 * the time through which every batch is folded in (`predictionsThrough`, `actualsThrough`), and
 * for uploaded files (any name, in the raw zone) the ETag of each file folded in.
 *
 * One run: list only the days since the state's times (up to `now - settle`, so a batch still
 * being written is left for the next run), read the new actual batches, new uploads and the
 * pending actuals (unmatched so far), merge them (last `receivedAt` wins, counted), then find their
 * predictions:
 *   - in the new prediction batches, read once each;
 *   - for new actuals only, in older batches: an id of ours carries its time, so only the one or
 *     two hour partitions it was written in are read; any other id (a caller's order id) falls
 *     back to a scan of the lookback window, never older.
 * A pending actual was already looked up in everything older, so it is only matched against new
 * batches. Joined rows are written under the hour of their prediction's time (what the quality
 * monitor's windows select on); unmatched actuals go to a new pending object; last, the state is
 * replaced with a compare-and-swap on its ETag: that write commits the run.
 *
 * Cost: each run reads new data (new batches and uploads, the pending set) plus, for new actuals,
 * the hours their ids name, or the lookback window when some ids are not ours: bounded by the
 * window, never by history. Actuals received, or for predictions made, before the window are
 * counted as expired and dropped.
 *
 * Idempotent and crash-safe: a run with nothing new writes nothing. The run id is a hash of the
 * state it started from and the inputs it took, so a re-run after a crash before the commit writes
 * the same keys with the same rows; rows a superseded run left behind are exact duplicates that
 * readers collapse (latest `receivedAt` per id), so results converge either way.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { readJson, writeJson } from '../storage/json';
import { isPreconditionFailed, type ObjectStore, type ObjectSummary } from '../storage/object-store';
import { ObjectTooLargeError, readCapped } from '../storage/read-capped';
import { clipText } from '../text/clip';
import { actualsFileFormat, MAX_ACTUALS_FILE_BYTES, parseActualsFile } from './actuals-file';
import {
  actualsPrefix,
  dayPrefixes,
  feedbackUploadPrefix,
  hourPartition,
  hourPrefixes,
  joinedKey,
  joinedPrefix,
  joinStateKey,
  logKeyAt,
  pendingKey,
  predictionsPrefix,
  startOfHour,
} from './layout';
import {
  type ActualRecord,
  actualRecordSchema,
  type JoinedRow,
  joinedRowSchema,
  type PredictionRecord,
  predictionIdTime,
  predictionRecordSchema,
} from './records';

export interface JoinConfig {
  /** How far back from the run a prediction can still be joined. @default 30 */
  readonly lookbackDays: number;
  /** A batch named this long ago has been written (a writer's put finishes within it: its function's timeout). @default 900 */
  readonly settleSeconds: number;
  /** A prediction batch holds predictions made at most this long before the batch was named. @default 900 */
  readonly maxBatchSpanSeconds: number;
}

export const DEFAULT_JOIN_CONFIG: JoinConfig = { lookbackDays: 30, settleSeconds: 900, maxBatchSpanSeconds: 900 };

/** Per-run counts, also summed in the state's totals. */
const joinCountsSchema = z.object({
  /** Prediction records in the new batches. */
  predictions: z.number().int(),
  /** Actuals in the new batches and uploads. */
  actuals: z.number().int(),
  joined: z.number().int(),
  /** Actuals replaced by a later one for the same id (last write wins). */
  duplicates: z.number().int(),
  /** Actuals whose prediction is not found yet (new or carried over): pending after the run, until they expire. */
  unknown: z.number().int(),
  /** Actuals received, or for predictions made, before the lookback window: dropped. */
  expired: z.number().int(),
  /** Unreadable lines in batches and uploads. */
  badLines: z.number().int(),
  /** Uploads that could not be read at all (too large, not UTF-8, no id/label header). */
  rejectedUploads: z.number().int(),
  /** Prediction batches read to look up older predictions: what a run's cost grows with. */
  lookupBatchesRead: z.number().int(),
});
export type JoinCounts = z.infer<typeof joinCountsSchema>;

const isoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO time');

export const joinStateSchema = z.object({
  format: z.literal('mlops-ground-truth-join'),
  formatVersion: z.literal(1),
  /** Every prediction batch named before this time is folded in. */
  predictionsThrough: isoTime,
  /** Every posted actuals batch named before this time is folded in. */
  actualsThrough: isoTime,
  /** Uploaded files folded in: key to ETag (a file written again under the same key is read again). */
  uploads: z.record(z.string(), z.string()),
  /** The actuals not matched yet, or null when there are none. */
  pendingKey: z.string().nullable(),
  pendingCount: z.number().int(),
  /** Predictions per hour of prediction time (`YYYY-MM-DDTHH`) and version, within the window: coverage's denominator. */
  predictionCounts: z.record(z.string(), z.record(z.string(), z.number().int())),
  totals: joinCountsSchema,
  lastRun: z.object({ runId: z.string(), at: isoTime, counts: joinCountsSchema }),
});
export type JoinState = z.infer<typeof joinStateSchema>;

/** Another run committed first; this run's writes are harmless duplicates. Run again. */
export class JoinSupersededError extends Error {
  override readonly name = 'JoinSupersededError';
}

export interface JoinStores {
  /** Predictions, posted actuals, the join's state and its output. */
  readonly monitoring: ObjectStore;
  /** Uploaded actuals under feedback/<model>/. */
  readonly raw: ObjectStore;
}

export interface RunJoinOptions {
  readonly now?: Date;
  readonly config?: Partial<JoinConfig>;
  /** Unreadable lines reported individually in the result. @default 20 */
  readonly maxReported?: number;
}

export interface JoinProblem {
  /** The object (s3 key) and line, when one line was at fault. */
  readonly source: string;
  readonly line?: number;
  readonly reason: string;
}

export interface JoinResult {
  /** False when there was nothing new: the run wrote nothing. */
  readonly changed: boolean;
  readonly runId: string | null;
  readonly counts: JoinCounts;
  /** The first unreadable lines and rejected uploads. */
  readonly problems: JoinProblem[];
  readonly state: JoinState | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const zeroCounts = (): JoinCounts => ({
  predictions: 0,
  actuals: 0,
  joined: 0,
  duplicates: 0,
  unknown: 0,
  expired: 0,
  badLines: 0,
  rejectedUploads: 0,
  lookupBatchesRead: 0,
});

export async function runJoin(stores: JoinStores, model: string, options: RunJoinOptions = {}): Promise<JoinResult> {
  const now = options.now ?? new Date();
  const config = { ...DEFAULT_JOIN_CONFIG, ...options.config };
  const problems = new ProblemLog(options.maxReported ?? 20);
  const { monitoring, raw } = stores;
  const stateKey = joinStateKey(model);
  const current = await readJson(monitoring, stateKey, joinStateSchema);
  const windowStart = new Date(now.getTime() - config.lookbackDays * DAY_MS);
  const spanMs = config.maxBatchSpanSeconds * 1000;
  // A first run starts at the oldest batch that can hold a prediction still inside the window.
  const initialThrough = new Date(windowStart.getTime() - spanMs).toISOString();
  const previous = current?.value;
  const predictionsThrough = new Date(previous?.predictionsThrough ?? initialThrough);
  const actualsThrough = new Date(previous?.actualsThrough ?? initialThrough);
  const cutoff = new Date(now.getTime() - config.settleSeconds * 1000);

  const newPredictionKeys = await listLog(monitoring, predictionsPrefix(model), predictionsThrough, cutoff);
  const newActualKeys = await listLog(monitoring, actualsPrefix(model), actualsThrough, cutoff);
  const uploads = (await raw.list(feedbackUploadPrefix(model))).filter((item) => actualsFileFormat(item.key) !== null);
  const newUploads = uploads.filter((item) => previous?.uploads[item.key] !== item.etag);
  if (newPredictionKeys.length === 0 && newActualKeys.length === 0 && newUploads.length === 0) {
    return { changed: false, runId: null, counts: zeroCounts(), problems: [], state: previous ?? null };
  }

  const counts = zeroCounts();
  const runId = makeRunId(cutoff, current?.etag ?? 'initial', newPredictionKeys, newActualKeys, newUploads);

  // Actuals first: their ids decide which predictions are worth keeping in memory.
  const incoming: ActualRecord[] = [];
  for (const key of newActualKeys) {
    for (const record of await readJsonLines(monitoring, key, actualRecordSchema, problems, counts)) {
      incoming.push(record);
    }
  }
  for (const upload of newUploads) incoming.push(...(await readUpload(raw, upload, problems, counts)));
  counts.actuals = incoming.length;
  const pending = previous?.pendingKey
    ? await readJsonLines(monitoring, previous.pendingKey, actualRecordSchema, problems, counts)
    : [];

  const merged = mergeActuals(pending, incoming, windowStart);
  counts.duplicates = merged.duplicates;
  counts.expired = merged.expired;

  const wanted = new Set(merged.actuals.keys());
  const predictionCounts = prunedCounts(previous?.predictionCounts ?? {}, windowStart);
  const found = new Map<string, PredictionRecord>();
  for (const key of newPredictionKeys) {
    for (const record of await readJsonLines(monitoring, key, predictionRecordSchema, problems, counts)) {
      counts.predictions++;
      countPrediction(predictionCounts, record, windowStart);
      if (wanted.has(record.id)) keepLatestPrediction(found, record);
    }
  }

  // New actuals not matched in new batches may belong to older ones; pending ones were looked up there before.
  const lookupIds = [...merged.actuals.values()]
    .filter((entry) => entry.isNew && !found.has(entry.actual.id))
    .map((entry) => entry.actual.id);
  if (lookupIds.length > 0) {
    counts.lookupBatchesRead = await lookUpOlderPredictions(
      monitoring,
      model,
      lookupIds,
      { through: predictionsThrough, windowStart, spanMs },
      found,
    );
  }

  const { joined, unmatched, expired } = matchActuals(merged.actuals, found, windowStart);
  counts.joined = joined.length;
  counts.expired += expired;
  counts.unknown = unmatched.length;

  // Writes: joined rows and the pending set first, the state last (the commit).
  for (const [hour, rows] of groupByPredictionHour(joined)) {
    await monitoring.put(joinedKey(model, new Date(hour), runId), toJsonLines(rows), {
      contentType: 'application/x-ndjson',
    });
  }
  const nextPendingKey = unmatched.length > 0 ? pendingKey(model, runId) : null;
  if (nextPendingKey) {
    await monitoring.put(nextPendingKey, toJsonLines(unmatched), { contentType: 'application/x-ndjson' });
  }
  const uploadsFoldedIn: Record<string, string> = {};
  for (const item of uploads) uploadsFoldedIn[item.key] = item.etag;
  const advanced = (through: Date) => (cutoff > through ? cutoff : through).toISOString();
  const state: JoinState = {
    format: 'mlops-ground-truth-join',
    formatVersion: 1,
    predictionsThrough: advanced(predictionsThrough),
    actualsThrough: advanced(actualsThrough),
    uploads: uploadsFoldedIn,
    pendingKey: nextPendingKey,
    pendingCount: unmatched.length,
    predictionCounts,
    totals: addCounts(previous?.totals ?? zeroCounts(), counts),
    lastRun: { runId, at: now.toISOString(), counts },
  };
  try {
    await writeJson(monitoring, stateKey, state, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    throw new JoinSupersededError(
      `another join of ${model} committed while run ${runId} ran; its rows are duplicates readers collapse: run the join again`,
    );
  }
  // Only the replaced pending object: no committed state can name it any more.
  if (previous?.pendingKey && previous.pendingKey !== nextPendingKey) await monitoring.delete(previous.pendingKey);
  return { changed: true, runId, counts, problems: problems.entries, state };
}

/** Keys of batches named in [from, to) under a log prefix, in order: only the days in between are listed. */
async function listLog(store: ObjectStore, logPrefix: string, from: Date, to: Date): Promise<string[]> {
  if (to <= from) return [];
  const low = logKeyAt(logPrefix, from);
  const high = logKeyAt(logPrefix, to);
  const keys: string[] = [];
  for (const prefix of dayPrefixes(logPrefix, from, to)) {
    for (const item of await store.list(prefix)) if (item.key >= low && item.key < high) keys.push(item.key);
  }
  return keys;
}

interface MergedActual {
  readonly actual: ActualRecord;
  /** Arrived in this run (looked up in older batches too), rather than carried over as pending. */
  readonly isNew: boolean;
}

/**
 * Last write wins: per id the actual with the latest `receivedAt` (on a tie, the later one in
 * input order: pending first, then new batches and uploads in key and line order). Actuals
 * received before the window are dropped as expired.
 */
export function mergeActuals(
  pending: readonly ActualRecord[],
  incoming: readonly ActualRecord[],
  windowStart: Date,
): { actuals: Map<string, MergedActual>; duplicates: number; expired: number } {
  const actuals = new Map<string, MergedActual>();
  let duplicates = 0;
  let expired = 0;
  const startMs = windowStart.getTime();
  const add = (actual: ActualRecord, isNew: boolean) => {
    if (Date.parse(actual.receivedAt) < startMs) {
      expired++;
      return;
    }
    const existing = actuals.get(actual.id);
    if (existing === undefined) {
      actuals.set(actual.id, { actual, isNew });
      return;
    }
    duplicates++;
    if (Date.parse(actual.receivedAt) >= Date.parse(existing.actual.receivedAt))
      actuals.set(actual.id, { actual, isNew });
  };
  for (const actual of pending) add(actual, false);
  for (const actual of incoming) add(actual, true);
  return { actuals, duplicates, expired };
}

/**
 * Pairs each actual with its prediction. Unmatched actuals stay pending unless their id is one
 * of ours made before the window (its prediction can no longer be joined): those expire.
 */
export function matchActuals(
  actuals: ReadonlyMap<string, MergedActual>,
  predictions: ReadonlyMap<string, PredictionRecord>,
  windowStart: Date,
): { joined: JoinedRow[]; unmatched: ActualRecord[]; expired: number } {
  const joined: JoinedRow[] = [];
  const unmatched: ActualRecord[] = [];
  let expired = 0;
  for (const { actual } of actuals.values()) {
    const prediction = predictions.get(actual.id);
    if (prediction && Date.parse(prediction.time) >= windowStart.getTime()) {
      joined.push({
        id: prediction.id,
        version: prediction.version,
        time: prediction.time,
        score: prediction.score,
        ...(prediction.label === undefined ? {} : { label: prediction.label }),
        actual: actual.label,
        receivedAt: actual.receivedAt,
        ...(prediction.features === undefined ? {} : { features: prediction.features }),
      });
      continue;
    }
    const madeAt = prediction ? new Date(prediction.time) : predictionIdTime(actual.id);
    if (madeAt !== null && madeAt < windowStart) expired++;
    else unmatched.push(actual);
  }
  return { joined, unmatched, expired };
}

/** A caller id scored twice: the join takes the latest prediction (ids should be unique per prediction). */
function keepLatestPrediction(found: Map<string, PredictionRecord>, record: PredictionRecord): void {
  const existing = found.get(record.id);
  if (existing === undefined || Date.parse(record.time) >= Date.parse(existing.time)) found.set(record.id, record);
}

/**
 * Finds predictions for `ids` in batches named before `through`: the hours an id of ours names
 * first, then, for ids still missing, every batch that can hold a prediction inside the window.
 * Returns the number of batches read.
 */
async function lookUpOlderPredictions(
  store: ObjectStore,
  model: string,
  ids: readonly string[],
  range: { readonly through: Date; readonly windowStart: Date; readonly spanMs: number },
  found: Map<string, PredictionRecord>,
): Promise<number> {
  const logPrefix = predictionsPrefix(model);
  const high = logKeyAt(logPrefix, range.through);
  const wanted = new Set(ids);
  const read = new Set<string>();
  const readBatch = async (key: string) => {
    read.add(key);
    // Its bad lines were counted when the batch was new; a lookup re-reads it only to find ids.
    for (const record of await readJsonLines(store, key, predictionRecordSchema, new ProblemLog(0), zeroCounts())) {
      if (wanted.has(record.id)) keepLatestPrediction(found, record);
    }
  };
  // Hour numbers first: a million ids name a few hundred hours.
  const hourNumbers = new Set<number>();
  for (const id of ids) {
    const madeAt = predictionIdTime(id);
    if (madeAt === null || madeAt < range.windowStart || madeAt >= range.through) continue;
    const last = Math.floor((madeAt.getTime() + range.spanMs) / HOUR_MS);
    for (let hour = Math.floor(madeAt.getTime() / HOUR_MS); hour <= last; hour++) hourNumbers.add(hour);
  }
  const hours = [...hourNumbers]
    .sort((a, b) => a - b)
    .map((hour) => `${logPrefix}${hourPartition(new Date(hour * HOUR_MS))}`);
  for (const prefix of hours) {
    for (const item of await store.list(prefix)) if (item.key < high) await readBatch(item.key);
  }
  const missing = ids.some((id) => !found.has(id));
  if (missing) {
    const from = new Date(range.windowStart.getTime() - range.spanMs);
    for (const key of await listLog(store, logPrefix, from, range.through)) if (!read.has(key)) await readBatch(key);
  }
  return read.size;
}

async function readUpload(
  raw: ObjectStore,
  upload: ObjectSummary,
  problems: ProblemLog,
  counts: JoinCounts,
): Promise<ActualRecord[]> {
  const source = `s3://${raw.bucket}/${upload.key}`;
  let bytes: Uint8Array | null;
  try {
    bytes = (await readCapped(raw, upload.key, MAX_ACTUALS_FILE_BYTES))?.body ?? null;
  } catch (error) {
    if (!(error instanceof ObjectTooLargeError)) throw error;
    counts.rejectedUploads++;
    problems.add({ source, reason: (error as Error).message });
    return [];
  }
  // Deleted between the listing and the read: nothing to fold in.
  if (bytes === null) return [];
  const parsed = parseActualsFile(bytes, actualsFileFormat(upload.key)!);
  if (parsed.rejected !== undefined) {
    counts.rejectedUploads++;
    problems.add({ source, reason: parsed.rejected });
    return [];
  }
  counts.badLines += parsed.badLineCount;
  for (const bad of parsed.badLines) problems.add({ source, line: bad.line, reason: bad.reason });
  // Last-Modified is when S3 took the file: the receipt time that decides last write wins.
  const receivedAt = upload.lastModified.toISOString();
  return parsed.actuals.map((actual) => ({ id: actual.id, label: actual.label, receivedAt }));
}

class ProblemLog {
  readonly entries: JoinProblem[] = [];
  constructor(private readonly max: number) {}
  add(problem: JoinProblem): void {
    if (this.entries.length < this.max) this.entries.push(problem);
  }
}

async function readJsonLines<S extends z.ZodType>(
  store: ObjectStore,
  key: string,
  schema: S,
  problems: ProblemLog,
  counts: JoinCounts,
): Promise<z.output<S>[]> {
  const object = await store.get(key);
  if (!object) return [];
  return parseJsonLines(new TextDecoder().decode(object.body), schema, (line, reason) => {
    counts.badLines++;
    problems.add({ source: `s3://${store.bucket}/${key}`, line, reason });
  });
}

/** Valid lines of a JSON Lines text; each bad one is passed to `onBad` with its 1-based line number. */
export function parseJsonLines<S extends z.ZodType>(
  text: string,
  schema: S,
  onBad: (line: number, reason: string) => void,
): z.output<S>[] {
  const records: z.output<S>[] = [];
  let start = 0;
  for (let line = 1; start < text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const content = text.slice(start, end);
    start = end + 1;
    if (content.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      onBad(line, `not valid JSON: ${clipText(content)}`);
      continue;
    }
    const result = schema.safeParse(value);
    if (result.success) records.push(result.data);
    else onBad(line, result.error.issues.map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`)[0]);
  }
  return records;
}

export function toJsonLines(records: readonly unknown[]): string {
  // One join, not += per line: a rope of a million pieces is slow to flatten when encoded.
  return records.length === 0 ? '' : `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;
}

function groupByPredictionHour(rows: readonly JoinedRow[]): Map<number, JoinedRow[]> {
  const groups = new Map<number, JoinedRow[]>();
  // Sorted so that a re-run writes byte-identical objects.
  const sorted = [...rows].sort((a, b) => compareText(a.time, b.time) || compareText(a.id, b.id));
  for (const row of sorted) {
    const hour = startOfHour(new Date(row.time)).getTime();
    const group = groups.get(hour);
    if (group) group.push(row);
    else groups.set(hour, [row]);
  }
  return groups;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `YYYY-MM-DDTHH` of a time: the hour bucket of predictionCounts. */
export function countHour(at: Date): string {
  return at.toISOString().slice(0, 13);
}

function countPrediction(counts: JoinState['predictionCounts'], record: PredictionRecord, windowStart: Date): void {
  const madeAt = new Date(record.time);
  if (madeAt < startOfHour(windowStart)) return;
  const hour = countHour(madeAt);
  counts[hour] ??= {};
  const byVersion = counts[hour];
  byVersion[record.version] = (byVersion[record.version] ?? 0) + 1;
}

function prunedCounts(counts: JoinState['predictionCounts'], windowStart: Date): JoinState['predictionCounts'] {
  const oldest = countHour(windowStart);
  const kept: JoinState['predictionCounts'] = {};
  for (const [hour, byVersion] of Object.entries(counts)) if (hour >= oldest) kept[hour] = { ...byVersion };
  return kept;
}

function addCounts(a: JoinCounts, b: JoinCounts): JoinCounts {
  const sum = zeroCounts();
  for (const key of Object.keys(sum) as (keyof JoinCounts)[]) sum[key] = a[key] + b[key];
  return sum;
}

function makeRunId(
  cutoff: Date,
  stateEtag: string,
  predictionKeys: readonly string[],
  actualKeys: readonly string[],
  uploads: readonly ObjectSummary[],
): string {
  const hash = createHash('sha256').update(stateEtag);
  for (const key of predictionKeys) hash.update(`\np ${key}`);
  for (const key of actualKeys) hash.update(`\na ${key}`);
  for (const upload of uploads) hash.update(`\nu ${upload.key} ${upload.etag}`);
  return `${cutoff.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${hash.digest('hex').slice(0, 16)}`;
}

export interface JoinedWindow {
  /** One row per prediction id (the latest outcome received), ordered by prediction time then id. */
  readonly rows: JoinedRow[];
  /** Rows replaced by a later outcome for the same id, or exact duplicates a superseded run left. */
  readonly superseded: number;
  readonly badLines: number;
}

/** The joined rows of predictions made in [from, to): only the hour partitions in the window are read. */
export async function readJoinedWindow(store: ObjectStore, model: string, from: Date, to: Date): Promise<JoinedWindow> {
  const latest = new Map<string, JoinedRow>();
  let rowsRead = 0;
  let badLines = 0;
  const last = new Date(to.getTime() - 1);
  for (const prefix of to > from ? hourPrefixes(joinedPrefix(model), from, last) : []) {
    for (const item of await store.list(prefix)) {
      const object = await store.get(item.key);
      if (!object) continue;
      const rows = parseJsonLines(new TextDecoder().decode(object.body), joinedRowSchema, () => {
        badLines++;
      });
      for (const row of rows) {
        const time = Date.parse(row.time);
        if (time < from.getTime() || time >= to.getTime()) continue;
        rowsRead++;
        const existing = latest.get(row.id);
        if (existing === undefined || Date.parse(row.receivedAt) >= Date.parse(existing.receivedAt)) {
          latest.set(row.id, row);
        }
      }
    }
  }
  const rows = [...latest.values()].sort((a, b) => compareText(a.time, b.time) || compareText(a.id, b.id));
  return { rows, superseded: rowsRead - rows.length, badLines };
}

/** Predictions per version made in [from, to), from the join state's hourly counts (whole hours). */
export function predictionCountsIn(state: JoinState, from: Date, to: Date): Map<number, number> {
  const totals = new Map<number, number>();
  for (const [hour, byVersion] of Object.entries(state.predictionCounts)) {
    const start = Date.parse(`${hour}:00:00.000Z`);
    if (start < startOfHour(from).getTime() || start >= to.getTime()) continue;
    for (const [version, count] of Object.entries(byVersion)) {
      totals.set(Number(version), (totals.get(Number(version)) ?? 0) + count);
    }
  }
  return totals;
}
