import type { FeatureViewConfig } from '../config/feature-view-schema';
import { readTableBytes } from '../data/read';
import { type Cell, DataError, type DataTable } from '../data/table';
import { byUploadOrder, type ObjectStore, type ObjectSummary } from '../storage/object-store';
import { ObjectTooLargeError, readCapped } from '../storage/read-capped';
import { DATA_FILE_EXTENSIONS } from '../workflow/layout';
import { featureViewPrefix, isViewDataKey } from './layout';
import { type PointInTimeJoinResult, pointInTimeJoin } from './point-in-time-join';
import { viewVersionId } from './versions';

/**
 * A feature view's offline history (issue 15) as one table, and the point-in-time join of labels
 * with it: what `mlops features join` and the retraining workflow's validate step share.
 *
 * Decisions (each tested):
 * - Every file under `features/<view>/` counts (every view version), platform records under
 *   `_meta/` never do. Files are taken oldest first (upload time, then key), so on a tie of event
 *   time the row of the later file wins, as the join lets the later row win.
 * - A column an older version lacks is missing (null) in that file's rows. With `features: 'all'`
 *   the view's columns are every file's columns but the key and the event time, in order of first
 *   appearance; with a list, the listed ones (a listed column no file has is an error).
 * - Every file must carry the entity key and the event time column: a DataError names the file.
 */

export interface ViewFilePart {
  readonly table: DataTable;
  /** Names the file in errors and in lineage: its key, or its path on disk. */
  readonly source: string;
  /** The stored object's ETag, when read from a bucket. */
  readonly etag?: string;
}

export interface ViewFileRecord {
  readonly key: string;
  readonly etag?: string;
  readonly rows: number;
  /** The file's view version: the id of its feature columns (see viewVersionId). */
  readonly version: string;
}

export interface ViewHistory {
  /** The entity key, the event time, then the view's feature columns: every file's rows, oldest file first. */
  readonly table: DataTable;
  readonly featureColumns: readonly string[];
  readonly files: readonly ViewFileRecord[];
  /** The distinct view versions, in order of first appearance. */
  readonly versions: readonly string[];
}

/** The view's data files in a listing: under its prefix, not under `_meta/`, oldest first. */
export function viewDataFiles(objects: readonly ObjectSummary[], view: string): ObjectSummary[] {
  return objects.filter((item) => isViewDataKey(view, item.key)).sort(byUploadOrder);
}

/** Lists the view's data files in the curated zone, oldest first. */
export async function listViewDataFiles(curated: ObjectStore, view: string): Promise<ObjectSummary[]> {
  return viewDataFiles(await curated.list(featureViewPrefix(view)), view);
}

/** The feature columns one file carries (its own, for its version id). */
function fileFeatureColumns(view: FeatureViewConfig, columnNames: readonly string[]): string[] {
  const own = columnNames.filter((name) => name !== view.entityKey && name !== view.eventTimeColumn);
  return view.features === 'all' ? own : view.features.filter((name) => own.includes(name));
}

/** The view's files (oldest first) as one table; see the decisions above. */
export function combineViewFiles(parts: readonly ViewFilePart[], view: FeatureViewConfig): ViewHistory {
  if (parts.length === 0) throw new DataError(`feature view "${view.name}" has no files to read`);
  for (const { table, source } of parts) {
    for (const required of [view.entityKey, view.eventTimeColumn]) {
      if (!table.columnNames.includes(required)) {
        throw new DataError(
          `${source}: column "${required}" of feature view "${view.name}" not found; columns are: ${table.columnNames.join(', ')}`,
        );
      }
    }
  }
  const featureColumns =
    view.features === 'all'
      ? [...new Set(parts.flatMap(({ table }) => fileFeatureColumns(view, table.columnNames)))]
      : [...view.features];
  const absent = featureColumns.filter((name) => !parts.some(({ table }) => table.columnNames.includes(name)));
  if (absent.length > 0) {
    throw new DataError(
      `feature view "${view.name}" lists ${absent.map((name) => `"${name}"`).join(', ')}, which no file of the view has; ` +
        `files: ${parts.map(({ source }) => source).join(', ')}`,
    );
  }
  const columnNames = [view.entityKey, view.eventTimeColumn, ...featureColumns];
  const rowCount = parts.reduce((sum, { table }) => sum + table.rowCount, 0);
  const columns = columnNames.map((name) => {
    const out: Cell[] = new Array(rowCount);
    let at = 0;
    for (const { table } of parts) {
      const index = table.columnNames.indexOf(name);
      const cells = index < 0 ? null : table.columns[index];
      for (let row = 0; row < table.rowCount; row++) out[at++] = cells === null ? null : cells[row];
    }
    return out;
  });
  const files = parts.map(({ table, source, etag }) => ({
    key: source,
    ...(etag === undefined ? {} : { etag }),
    rows: table.rowCount,
    version: viewVersionId(fileFeatureColumns(view, table.columnNames)),
  }));
  return {
    table: { columnNames, columns, rowCount },
    featureColumns,
    files,
    versions: [...new Set(files.map((file) => file.version))],
  };
}

const MIB = 1024 * 1024;

/**
 * Reads every file of the view from the curated zone and combines them, holding at most
 * `maxBytes` of view files in all: the sizes are checked before any byte is read, and each read
 * stops at what is left of the cap (a file can grow between the listing and the read).
 */
export async function readViewHistory(
  curated: ObjectStore,
  view: FeatureViewConfig,
  options: {
    readonly maxBytes: number;
    readonly capName?: string;
    /** A view without files yet gives an empty history (its listed features, no rows) instead of an error. @default false */
    readonly allowEmpty?: boolean;
  },
): Promise<ViewHistory> {
  const where = `s3://${curated.bucket}/${featureViewPrefix(view.name)}`;
  const files = await listViewDataFiles(curated, view.name);
  if (files.length === 0 && options.allowEmpty) return emptyViewHistory(view);
  if (files.length === 0) {
    throw new DataError(
      `feature view "${view.name}" has no data files under ${where} (data files end in ${DATA_FILE_EXTENSIONS.join(', ')}); upload its history there`,
    );
  }
  const capName = options.capName ?? 'the limit';
  const tooLarge = (size: string) =>
    new DataError(
      `the history of feature view "${view.name}" under ${where} is ${size} in ${files.length} file(s), over ${capName} of ` +
        `${(options.maxBytes / MIB).toFixed(1)} MiB (${options.maxBytes} bytes); raise it, or move history no label needs out of the view's prefix`,
    );
  const total = files.reduce((sum, item) => sum + item.size, 0);
  if (total > options.maxBytes) throw tooLarge(`${total} bytes`);
  const parts: ViewFilePart[] = [];
  let left = options.maxBytes;
  for (const item of files) {
    let read: Awaited<ReturnType<typeof readCapped>>;
    try {
      read = await readCapped(curated, item.key, left);
    } catch (error) {
      if (error instanceof ObjectTooLargeError)
        throw tooLarge(`more than ${options.maxBytes} bytes (it grew after the listing)`);
      throw error;
    }
    if (!read) throw new DataError(`s3://${curated.bucket}/${item.key} was listed but is gone; start the run again`);
    left -= read.body.byteLength;
    parts.push({ table: await readTableBytes(read.body, item.key), source: item.key, etag: read.etag });
  }
  return combineViewFiles(parts, view);
}

/** The point-in-time join of labels with the view's history, with the view's key, time, columns and TTL. */
export function joinWithView(
  labels: DataTable,
  history: ViewHistory,
  view: FeatureViewConfig,
  options: {
    readonly timestampColumn: string;
    readonly labelsSource?: string;
    readonly featureColumns?: readonly string[];
  },
): PointInTimeJoinResult {
  return pointInTimeJoin(labels, history.table, {
    entityKey: view.entityKey,
    timestampColumn: options.timestampColumn,
    eventTimeColumn: view.eventTimeColumn,
    featureColumns: options.featureColumns ?? history.featureColumns,
    ...(view.ttlSeconds === undefined ? {} : { ttlMs: view.ttlSeconds * 1000 }),
    labelsSource: options.labelsSource ?? 'labels',
    featuresSource: `feature view "${view.name}"`,
  });
}

/** The history of a view with no files yet: its listed feature columns (none for "all"), no rows. */
export function emptyViewHistory(view: FeatureViewConfig): ViewHistory {
  const featureColumns = Array.isArray(view.features) ? [...view.features] : [];
  const columnNames = [view.entityKey, view.eventTimeColumn, ...featureColumns];
  return {
    table: { columnNames, columns: columnNames.map(() => []), rowCount: 0 },
    featureColumns,
    files: [],
    versions: [],
  };
}
