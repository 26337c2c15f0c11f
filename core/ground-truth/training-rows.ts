import type { Cell, DataTable } from '../data/table';
import { encodeActual } from './quality';
import type { JoinedRow } from './records';

/** The model's target as training rows must hold it: the class labels of its data, or numbers. */
export type FeedbackTarget =
  | { readonly name: string; readonly task: 'binary'; readonly positiveLabel: string; readonly negativeLabel: string }
  | { readonly name: string; readonly task: 'regression' };

export interface FeedbackTrainingRows {
  /** `columns` in order, one row per joined row with features and a readable outcome. */
  readonly table: DataTable;
  /** Joined rows without recorded features (made before the config asked for them): not training rows. */
  readonly withoutFeatures: number;
  /** Outcomes that are not this model's classes (or numbers): not training rows. */
  readonly unreadableOutcomes: number;
}

/**
 * Joined feedback rows as training rows: each prediction's recorded feature values under
 * `columns` (a column the record lacks is missing), and its observed outcome as the target, written
 * as the data writes it (the positive or negative class label, or the number), so the rows read
 * like one more upload.
 */
export function feedbackTrainingRows(
  rows: readonly JoinedRow[],
  columns: readonly string[],
  target: FeedbackTarget,
): FeedbackTrainingRows {
  const cells: Cell[][] = columns.map(() => []);
  const targetIndex = columns.indexOf(target.name);
  let withoutFeatures = 0;
  let unreadableOutcomes = 0;
  for (const row of rows) {
    if (row.features === undefined) {
      withoutFeatures++;
      continue;
    }
    const outcome = encodeActual(row.actual, target);
    if (outcome === null) {
      unreadableOutcomes++;
      continue;
    }
    const label: Cell =
      target.task === 'regression' ? outcome : outcome === 1 ? target.positiveLabel : target.negativeLabel;
    const features = row.features;
    columns.forEach((name, c) => {
      cells[c].push(c === targetIndex ? label : Object.hasOwn(features, name) ? (features[name] ?? null) : null);
    });
  }
  return {
    table: { columnNames: columns, columns: cells, rowCount: cells[0]?.length ?? 0 },
    withoutFeatures,
    unreadableOutcomes,
  };
}
