import { writeJson } from '../storage/json';
import { isPreconditionFailed, listPageOf, type ObjectStore } from '../storage/object-store';
import { runsPrefix } from '../workflow/layout';

/**
 * The runs index: one empty marker per run at runs/<model>/_index/<inverted start>-<runId>, written
 * once beside the run record. S3 lists keys in ascending order only and run ids are not ordered by
 * time (an upload run is named by its data's digest), so the key carries the start time inverted:
 * the first page of a listing is the newest runs, and a page of the runs list is one ListObjectsV2
 * request plus one GET per run shown, whatever the number of runs. The marker lives under the run
 * records' own prefix so every role that writes a record may write it ("_" never starts a run id).
 */
export const runIndexPrefix = (model: string): string => `${runsPrefix(model)}_index/`;

/** Larger than any epoch millisecond count until the year 2286; keys stay 13 digits. */
const INVERSION_BASE = 9_999_999_999_999;

export function runIndexKey(model: string, startedAt: string, runId: string): string {
  const startMs = Date.parse(startedAt);
  if (Number.isNaN(startMs)) throw new Error(`run ${runId} of ${model} has no valid start time: ${startedAt}`);
  return `${runIndexPrefix(model)}${String(INVERSION_BASE - startMs).padStart(13, '0')}-${runId}`;
}

export interface RunIndexEntry {
  readonly key: string;
  readonly runId: string;
  readonly startedAt: string;
}

export function parseRunIndexKey(key: string): RunIndexEntry | null {
  const match = /\/_index\/(\d{13})-([A-Za-z0-9][A-Za-z0-9_-]*)$/.exec(key);
  if (!match) return null;
  return { key, runId: match[2]!, startedAt: new Date(INVERSION_BASE - Number(match[1])).toISOString() };
}

/** Idempotent: a second writer (a retried step) finds the marker present. */
export async function writeRunIndexEntry(
  store: ObjectStore,
  record: { model: string; runId: string; startedAt: string },
): Promise<void> {
  try {
    await writeJson(store, runIndexKey(record.model, record.startedAt, record.runId), {}, { ifNoneMatch: '*' });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
}

export interface RunIndexPage {
  readonly entries: RunIndexEntry[];
  /** Pass as `after` for the next (older) page; null on the last page. */
  readonly next: string | null;
}

/** Newest runs first, `size` per page. */
export async function listRunIndexPage(
  store: ObjectStore,
  model: string,
  options: { size: number; after?: string },
): Promise<RunIndexPage> {
  const page = await listPageOf(store, runIndexPrefix(model), { maxKeys: options.size, startAfter: options.after });
  const entries = page.objects.flatMap((item) => parseRunIndexKey(item.key) ?? []);
  return { entries, next: page.truncated && entries.length > 0 ? entries.at(-1)!.key : null };
}

/**
 * Writes the markers of runs recorded before the index existed: lists the records once (keys
 * only) and the index, then writes what is missing. The console runs it once per model at start.
 */
export async function backfillRunIndex(
  store: ObjectStore,
  model: string,
  readStartedAt: (runId: string) => Promise<string | null>,
): Promise<number> {
  const indexed = new Set(
    (await store.list(runIndexPrefix(model))).flatMap((item) => parseRunIndexKey(item.key)?.runId ?? []),
  );
  const missing = (await store.list(runsPrefix(model)))
    .map((item) => /^runs\/[^/]+\/([^/_][^/]*)\/record\.json$/.exec(item.key)?.[1])
    .filter((runId): runId is string => runId !== undefined && !indexed.has(runId));
  for (const runId of missing) {
    const startedAt = await readStartedAt(runId);
    if (startedAt) await writeRunIndexEntry(store, { model, runId, startedAt });
  }
  return missing.length;
}
