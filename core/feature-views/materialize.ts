import type { FeatureViewConfig } from '../config/feature-view-schema';
import { type Cell, DataError, type DataTable } from '../data/table';
import { entityKeyText } from './layout';
import type { OnlineFeatureRow, OnlineValue } from './online-store';
import { parseTimestamp } from './point-in-time-join';
import { viewVersionId } from './versions';

/**
 * Materialization (issue 15), the pure part: a view file's rows reduced to the newest row of each
 * entity, as the online store keeps them. Decisions, each tested:
 * - Ties on event time within an entity: the LAST row in file order wins, as in the point-in-time
 *   join, so training and serving read the same value.
 * - A row without an entity key is skipped and counted (it cannot be looked up).
 * - A missing or unreadable event time is a DataError naming the file, row and column: a guessed
 *   time could make an old value win over a new one.
 * - Only the view's feature columns are kept; booleans are stored as "true"/"false" (as CSV reads them).
 */

export interface MaterializedFile {
  /** The newest row of each entity, in order of first appearance in the file. */
  readonly rows: OnlineFeatureRow[];
  /** The file's feature columns, in file order. */
  readonly featureColumns: readonly string[];
  readonly viewVersion: string;
  readonly rowsRead: number;
  /** Rows skipped because their entity key was missing. */
  readonly missingKeyRows: number;
}

/**
 * The feature columns a view file carries: with `features: 'all'`, every column but the entity key
 * and event time; with a list, the listed columns, each of which the file must have.
 */
export function viewFileFeatureColumns(
  view: FeatureViewConfig,
  columnNames: readonly string[],
  source: string,
): string[] {
  for (const required of [view.entityKey, view.eventTimeColumn]) {
    if (!columnNames.includes(required)) {
      throw new DataError(
        `${source}: column "${required}" of view "${view.name}" not found; columns are: ${columnNames.join(', ')}`,
      );
    }
  }
  if (view.features === 'all') {
    return columnNames.filter((name) => name !== view.entityKey && name !== view.eventTimeColumn);
  }
  const missing = view.features.filter((name) => !columnNames.includes(name));
  if (missing.length > 0) {
    throw new DataError(
      `${source}: feature column(s) ${missing.map((name) => `"${name}"`).join(', ')} of view "${view.name}" not found; ` +
        `columns are: ${columnNames.join(', ')}`,
    );
  }
  return [...view.features];
}

function onlineValue(cell: Cell): OnlineValue {
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  return cell;
}

/** The newest row per entity of one view file (`source` names it in errors). */
export function materializeFile(table: DataTable, view: FeatureViewConfig, source: string): MaterializedFile {
  const featureColumns = viewFileFeatureColumns(view, table.columnNames, source);
  const viewVersion = viewVersionId(featureColumns);
  const keys = table.columns[table.columnNames.indexOf(view.entityKey)];
  const times = table.columns[table.columnNames.indexOf(view.eventTimeColumn)];
  const featureCells = featureColumns.map((name) => table.columns[table.columnNames.indexOf(name)]);
  // entity -> the row holding its newest time so far
  const newest = new Map<string, { row: number; time: number }>();
  let missingKeyRows = 0;
  for (let row = 0; row < table.rowCount; row++) {
    const time = parseTimestamp(times[row]);
    if (time === null) {
      const shown = times[row] === null ? 'a missing value' : JSON.stringify(times[row]);
      throw new DataError(
        `${source}, row ${row + 1}, column "${view.eventTimeColumn}": ${shown} is not a timestamp; expected ISO 8601 ` +
          '(2026-03-01T10:00:00Z, with or without a zone, no zone meaning UTC) or epoch seconds or milliseconds',
      );
    }
    const key = entityKeyText(keys[row]);
    if (key === null) {
      missingKeyRows++;
      continue;
    }
    const held = newest.get(key);
    if (!held) newest.set(key, { row, time });
    else if (time >= held.time) {
      held.row = row;
      held.time = time;
    }
  }
  const rows: OnlineFeatureRow[] = [];
  for (const [entityKey, { row, time }] of newest) {
    const values: Record<string, OnlineValue> = {};
    for (let c = 0; c < featureColumns.length; c++) values[featureColumns[c]] = onlineValue(featureCells[c][row]);
    rows.push({ entityKey, eventTimeMicros: time, viewVersion, values });
  }
  return { rows, featureColumns, viewVersion, rowsRead: table.rowCount, missingKeyRows };
}

/**
 * Rows of several files (oldest file first) reduced to the newest per entity, as writing them to
 * the store in that order would leave it: a later event time wins; on a tie the row already held
 * (the older file's) stays, as the store's compare-and-swap keeps it.
 */
export function newestAcrossFiles(files: ReadonlyArray<readonly OnlineFeatureRow[]>): OnlineFeatureRow[] {
  const newest = new Map<string, OnlineFeatureRow>();
  for (const rows of files) {
    for (const row of rows) {
      const held = newest.get(row.entityKey);
      if (!held || row.eventTimeMicros > held.eventTimeMicros) newest.set(row.entityKey, row);
    }
  }
  return [...newest.values()];
}
