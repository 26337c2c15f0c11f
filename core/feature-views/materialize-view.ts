import type { FeatureViewConfig } from '../config/feature-view-schema';
import { readTableBytes } from '../data/read';
import { DataError } from '../data/table';
import type { SchemaFinding } from '../drift/report';
import { writeJson } from '../storage/json';
import { isPreconditionFailed, type ObjectStore } from '../storage/object-store';
import { isViewDataKey } from './layout';
import { materializeFile, newestAcrossFiles } from './materialize';
import type { OnlineFeatureRow, OnlineFeatureStore } from './online-store';
import { newestVersion, newVersionRecord, readViewVersions, type ViewVersionRecord, viewVersionKey } from './versions';

/**
 * Materialization over storage: view files in the curated zone (an ObjectStore) into the online
 * store, recording each new view version. Shared by the materializer function (one uploaded file),
 * `mlops features materialize` and each child of the backfill job (a shard of the view's files).
 */

export interface MaterializeDeps {
  /** The curated zone. */
  readonly curated: ObjectStore;
  readonly online: OnlineFeatureStore;
  readonly now?: () => Date;
  /**
   * Told of each version this run recorded (its if-none-match write won), so exactly one writer
   * announces a version. Must not throw (announceNewVersion in version-alert.ts never does).
   */
  readonly onNewVersion?: (record: ViewVersionRecord, file: string) => Promise<unknown>;
}

/** Rows written to the store per call (and per progress report). */
const WRITE_CHUNK_ROWS = 1000;

export interface NewViewVersion {
  readonly version: string;
  readonly previousVersion?: string;
  readonly firstSeenKey: string;
  readonly schemaFindings: readonly SchemaFinding[];
}

export interface FileOutcome {
  readonly key: string;
  readonly rowsRead: number;
  readonly missingKeyRows: number;
  readonly entities: number;
  readonly viewVersion: string;
  /** Set when this file started a version (its record was written now). */
  readonly newVersion?: NewViewVersion;
}

/** The view's recorded versions; an unreadable record stops materialization (the newest version must be known). */
async function readVersions(curated: ObjectStore, view: string): Promise<ViewVersionRecord[]> {
  const { records, unreadable } = await readViewVersions(curated, view);
  if (unreadable.length > 0) throw new DataError(unreadable[0]!);
  return records;
}

/**
 * Reads one view file, reduces it to the newest row per entity and records its version when it
 * is new. The record is written with if-none-match: a version is recorded once, by its first file.
 */
export async function readViewFile(
  deps: MaterializeDeps,
  view: FeatureViewConfig,
  key: string,
): Promise<{ outcome: FileOutcome; rows: OnlineFeatureRow[] }> {
  const stored = await deps.curated.get(key);
  if (!stored) throw new DataError(`s3://${deps.curated.bucket}/${key}: no such view file`);
  const source = `s3://${deps.curated.bucket}/${key}`;
  const table = await readTableBytes(stored.body, key, { numbers: true });
  const file = materializeFile(table, view, source);
  let newVersion: NewViewVersion | undefined;
  const recordKey = viewVersionKey(view.name, file.viewVersion);
  if (!(await deps.curated.head(recordKey))) {
    const previous = newestVersion(await readVersions(deps.curated, view.name));
    const record = newVersionRecord({
      view: view.name,
      key,
      table,
      featureColumns: file.featureColumns,
      previous,
      now: (deps.now ?? (() => new Date()))(),
    });
    try {
      await writeJson(deps.curated, recordKey, record, { ifNoneMatch: '*' });
      newVersion = {
        version: record.version,
        ...(record.previousVersion ? { previousVersion: record.previousVersion } : {}),
        firstSeenKey: key,
        schemaFindings: record.schemaFindings,
      };
    } catch (error) {
      // Another materialization recorded this version first: its record stands, and it announces it.
      if (!isPreconditionFailed(error)) throw error;
    }
    if (newVersion) await deps.onNewVersion?.(record, source);
  }
  return {
    outcome: {
      key,
      rowsRead: file.rowsRead,
      missingKeyRows: file.missingKeyRows,
      entities: file.rows.length,
      viewVersion: file.viewVersion,
      ...(newVersion ? { newVersion } : {}),
    },
    rows: file.rows,
  };
}

export interface MaterializeProgress {
  readonly rowsDone: number;
  readonly rowsTotal: number;
}

export interface MaterializeSummary {
  readonly view: string;
  readonly files: readonly FileOutcome[];
  readonly rowsRead: number;
  readonly missingKeyRows: number;
  /** Distinct entities offered to the store. */
  readonly entities: number;
  readonly written: number;
  /** Entities the store already held at the same or a later event time. */
  readonly skipped: number;
}

/**
 * Materializes the given files (oldest first) into the online store: each file reduced per entity,
 * then across files, then written in chunks with a compare-and-swap per entity, so running it
 * again, or two runs overlapping, leaves the newest row of each entity.
 */
export async function materializeFiles(
  deps: MaterializeDeps,
  view: FeatureViewConfig,
  keys: readonly string[],
  onProgress: (progress: MaterializeProgress) => void = () => undefined,
): Promise<MaterializeSummary> {
  const files: FileOutcome[] = [];
  const perFile: OnlineFeatureRow[][] = [];
  for (const key of keys) {
    const { outcome, rows } = await readViewFile(deps, view, key);
    files.push(outcome);
    perFile.push(rows);
  }
  const rows = perFile.length === 1 ? perFile[0] : newestAcrossFiles(perFile);
  let written = 0;
  let skipped = 0;
  onProgress({ rowsDone: 0, rowsTotal: rows.length });
  for (let start = 0; start < rows.length; start += WRITE_CHUNK_ROWS) {
    const result = await deps.online.write(view.name, rows.slice(start, start + WRITE_CHUNK_ROWS));
    written += result.written;
    skipped += result.skipped;
    onProgress({ rowsDone: written + skipped, rowsTotal: rows.length });
  }
  return {
    view: view.name,
    files,
    rowsRead: files.reduce((sum, file) => sum + file.rowsRead, 0),
    missingKeyRows: files.reduce((sum, file) => sum + file.missingKeyRows, 0),
    entities: rows.length,
    written,
    skipped,
  };
}

/** The view a curated-zone key belongs to (a data file under `features/<view>/`, not `_meta/`), if any. */
export function viewOfKey(views: readonly FeatureViewConfig[], key: string): FeatureViewConfig | undefined {
  return views.find((view) => isViewDataKey(view.name, key));
}
