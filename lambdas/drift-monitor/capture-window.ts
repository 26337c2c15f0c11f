import { capturedRowsSchema } from '../../core/capture/record';
import type { Cell, DataTable } from '../../core/data/table';
import { tableFromRecords } from '../../core/data/table';
import type { ObjectStore, ObjectSummary } from '../../core/storage/object-store';
import { captureKey } from '../../core/workflow/layout';

/**
 * Reads the captured inference traffic of a time window back into a table. The inference
 * function writes JSON Lines (lambdas/inference/capture.ts: one CaptureRecord per line, its
 * `instances` the request rows) under capture/<model>/dt=YYYY-MM-DD/hour=HH/, so a window lists
 * only its own hour partitions, never the model's whole history.
 */

const HOUR_MS = 3_600_000;

export interface CaptureWindow {
  /** Inclusive. */
  readonly start: Date;
  /** Exclusive. */
  readonly end: Date;
}

export interface CapturedTraffic {
  /** One row per captured instance, columns as the requests named them. */
  readonly table: DataTable;
  /** Requests (capture lines) in the window. */
  readonly requests: number;
  readonly objects: number;
  readonly partitions: number;
  /** Lines that are not capture records, or whose time is unreadable: counted, not fatal. */
  readonly skippedLines: number;
  /** Model versions that served the captured requests, ascending. */
  readonly versions: readonly number[];
  /** True when reading stopped at `maxRows` rows: the table then holds the newest rows of the window. */
  readonly truncated: boolean;
}

export interface ReadCaptureOptions {
  /** Stop reading once this many rows are held (newest partitions are read first). @default 500000 */
  readonly maxRows?: number;
  /** Concurrent list and get requests. @default 16 */
  readonly concurrency?: number;
}

export const DEFAULT_MAX_CAPTURE_ROWS = 500_000;

/** The window of the `hours` before `end`. */
export function windowEndingAt(end: Date, hours: number): CaptureWindow {
  return { start: new Date(end.getTime() - hours * HOUR_MS), end };
}

/** The hour-partition prefix (`capture/<model>/dt=.../hour=HH/`) that holds captures made at `at`. */
export function capturePartitionPrefix(model: string, at: Date): string {
  const key = captureKey(model, at, '');
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** Every hour partition that can hold a capture made inside the window, oldest first. */
export function capturePartitionPrefixes(model: string, window: CaptureWindow): string[] {
  const prefixes: string[] = [];
  const last = window.end.getTime() - 1;
  for (let hour = Math.floor(window.start.getTime() / HOUR_MS) * HOUR_MS; hour <= last; hour += HOUR_MS) {
    prefixes.push(capturePartitionPrefix(model, new Date(hour)));
  }
  return prefixes;
}

interface ParsedLine {
  readonly time: number;
  readonly version: number | null;
  readonly instances: ReadonlyArray<Readonly<Record<string, Cell>>>;
  /** False for the second and later parts of a request split over several lines. */
  readonly startsRequest: boolean;
}

/**
 * One capture line (core/capture/record.ts), or null when it is not one (a truncated write, a
 * foreign file): the caller skips and counts it.
 */
export function parseCaptureLine(line: string): ParsedLine | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = capturedRowsSchema.safeParse(raw);
  if (!parsed.success) return null;
  const { time, version, instances, part } = parsed.data;
  return {
    time: Date.parse(time),
    version,
    instances,
    // A request too large for one line is written as parts (lambdas/inference/capture.ts); it counts once.
    startsRequest: part === undefined || part === 1,
  };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Reads the window's captures into one table. Partitions are listed concurrently, then objects
 * are read newest first, in batches of `concurrency`, until `maxRows` rows are held; requests
 * outside the window (the first partition starts before it) are left out.
 */
export async function readCapturedTraffic(
  store: ObjectStore,
  model: string,
  window: CaptureWindow,
  options: ReadCaptureOptions = {},
): Promise<CapturedTraffic> {
  const maxRows = options.maxRows ?? DEFAULT_MAX_CAPTURE_ROWS;
  const concurrency = options.concurrency ?? 16;
  const prefixes = capturePartitionPrefixes(model, window);
  const listed = await mapLimited(prefixes, concurrency, (prefix) => store.list(prefix));
  const objects: ObjectSummary[] = listed.flat().filter((object) => object.key.endsWith('.jsonl'));
  // Keys sort by partition, then by the capture id, which starts with the first request's time.
  objects.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));

  const startMs = window.start.getTime();
  const endMs = window.end.getTime();
  const records: Array<Readonly<Record<string, Cell>>> = [];
  const versions = new Set<number>();
  let requests = 0;
  let skippedLines = 0;
  let objectsRead = 0;
  let truncated = false;
  for (let offset = 0; offset < objects.length && !truncated; offset += concurrency) {
    const batch = objects.slice(offset, offset + concurrency);
    const bodies = await mapLimited(batch, concurrency, (object) => store.get(object.key));
    for (const body of bodies) {
      if (truncated) break;
      if (!body) continue; // deleted between list and get (lifecycle expiry)
      objectsRead++;
      for (const line of new TextDecoder().decode(body.body).split('\n')) {
        if (line.trim() === '') continue;
        const parsed = parseCaptureLine(line);
        if (!parsed) {
          skippedLines++;
          continue;
        }
        if (parsed.time < startMs || parsed.time >= endMs) continue;
        if (parsed.startsRequest) requests++;
        if (parsed.version !== null) versions.add(parsed.version);
        for (const instance of parsed.instances) records.push(instance);
        if (records.length >= maxRows) {
          truncated = true;
          break;
        }
      }
    }
  }
  return {
    table: tableFromRecords(records),
    requests,
    objects: objectsRead,
    partitions: prefixes.length,
    skippedLines,
    versions: [...versions].sort((a, b) => a - b),
    truncated,
  };
}
