import type { FeatureViewConfig } from '../config/feature-view-schema';
import { DataError, type DataTable } from '../data/table';
import { joinWithView, type ViewHistory } from './view-history';

/**
 * The training set of a model with a feature view (issue 15): its uploaded labels joined with the
 * view's history at each label's time. Rules (each tested):
 * - The view supplies the view columns the upload lacks. A view column the upload also has keeps
 *   the upload's values, and a note says so.
 * - An upload without the entity key is an error naming it, unless it already has every view
 *   column: then there is nothing to join.
 * - The label time is `labelTimeColumn`, by default the view's event time column; an upload that
 *   must be joined and lacks it is an error naming the column and the config field.
 * - The entity key and the label time column are never model features: they are left out of the
 *   training set, so neither the built-in trainer nor an own image can learn from them.
 */

export interface ViewTrainingSetOptions {
  /** The model's `labelTimeColumn`. @default the view's eventTimeColumn */
  readonly labelTimeColumn?: string;
  /** Names the upload in errors and notes. */
  readonly source: string;
}

export interface ViewTrainingSet {
  readonly table: DataTable;
  /** View columns read from the view (the upload lacked them). */
  readonly joinedColumns: readonly string[];
  /** View columns the upload had, whose values it kept. */
  readonly keptFromUpload: readonly string[];
  /** Upload columns left out: the entity key and the label time column, where present. */
  readonly droppedColumns: readonly string[];
  readonly unmatchedRows: number;
  readonly expiredRows: number;
  readonly notes: readonly string[];
}

const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ');

export function viewTrainingSet(
  upload: DataTable,
  history: ViewHistory,
  view: FeatureViewConfig,
  options: ViewTrainingSetOptions,
): ViewTrainingSet {
  const labelTimeColumn = options.labelTimeColumn ?? view.eventTimeColumn;
  const has = (name: string) => upload.columnNames.includes(name);
  const joinedColumns = history.featureColumns.filter((name) => !has(name));
  const keptFromUpload = history.featureColumns.filter(has);
  const notes: string[] = [];
  if (keptFromUpload.length > 0) {
    notes.push(
      `feature view "${view.name}": ${options.source} has its own ${quoted(keptFromUpload)}; those values train, not the view's`,
    );
  }
  let joined: DataTable = upload;
  let unmatchedRows = 0;
  let expiredRows = 0;
  if (joinedColumns.length > 0) {
    if (history.files.length === 0) {
      throw new DataError(
        `feature view "${view.name}" has no data files yet and ${options.source} lacks its ${quoted(joinedColumns)}: ` +
          `upload the view's history under features/${view.name}/ in the curated zone first`,
      );
    }
    if (!has(view.entityKey)) {
      throw new DataError(
        `${options.source} has no column "${view.entityKey}", the entity key of feature view "${view.name}": ` +
          `add it so each label can be joined with the view (the upload lacks the view's ${quoted(joinedColumns)})`,
      );
    }
    if (!has(labelTimeColumn)) {
      throw new DataError(
        `${options.source} has no column "${labelTimeColumn}", the time of each label for the point-in-time join with ` +
          `feature view "${view.name}"; add it, or name the column that holds it in the model's labelTimeColumn`,
      );
    }
    const result = joinWithView(upload, history, view, {
      timestampColumn: labelTimeColumn,
      labelsSource: options.source,
      featureColumns: joinedColumns,
    });
    joined = result.table;
    unmatchedRows = result.unmatchedRows;
    expiredRows = result.expiredRows;
    notes.push(
      `feature view "${view.name}": ${quoted(joinedColumns)} joined at each label's "${labelTimeColumn}" from ` +
        `${history.files.length} file(s) (version(s) ${history.versions.join(', ')}); ` +
        `${upload.rowCount - unmatchedRows} of ${upload.rowCount} label(s) matched` +
        (unmatchedRows > 0
          ? `, ${unmatchedRows} got missing values (no row of their entity at or before their time` +
            (expiredRows > 0 ? `, ${expiredRows} of them only rows older than the TTL of ${view.ttlSeconds} s` : '') +
            ')'
          : ''),
    );
  } else {
    notes.push(
      history.files.length === 0
        ? `feature view "${view.name}" has no data files yet; ${options.source} trains on its own columns`
        : `feature view "${view.name}": ${options.source} has every view column; nothing joined`,
    );
  }
  const droppedColumns = [...new Set([view.entityKey, labelTimeColumn])].filter(has);
  if (droppedColumns.length > 0) {
    notes.push(
      `${quoted(droppedColumns)} left out of the training set: the entity key and the label time are never features`,
    );
  }
  const keep = joined.columnNames
    .map((name, index) => (droppedColumns.includes(name) ? -1 : index))
    .filter((i) => i >= 0);
  return {
    table: {
      columnNames: keep.map((index) => joined.columnNames[index]),
      columns: keep.map((index) => joined.columns[index]),
      rowCount: joined.rowCount,
    },
    joinedColumns,
    keptFromUpload,
    droppedColumns,
    unmatchedRows,
    expiredRows,
    notes,
  };
}
