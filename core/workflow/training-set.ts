import { type Cell, DataError, type DataTable } from '../data/table';
import type { Task } from '../learners/types';
import { encodeTarget } from '../schema/target';
import { splitRows } from '../train/split';

/**
 * The training set of a window run (`training.data.source` `window` or `window-and-feedback`),
 * assembled from the run's data file (the primary), the other uploads in the window and the
 * joined feedback rows. The rules:
 *   - Columns: the primary's, in its order. A column an older file lacks is missing (null) in that
 *     file's rows; a column only an older file has is left out. Cells are taken as each file reads.
 *   - The primary's validation split, seeded exactly as the gate re-derives it
 *     (core/workflow/held-out.ts), is left out, and so is every row of another part that equals a
 *     held-out row in every column (an upload that repeats earlier rows must not leak the gate's
 *     hold-out into training).
 *   - Row order: the uploads oldest first, then the primary's training rows, then the feedback rows.
 */

export interface TrainingPart {
  readonly table: DataTable;
  /** Where the rows came from (a raw-zone key, or the feedback rows), for notes. */
  readonly source: string;
}

export interface TrainingSetOptions {
  readonly target: string;
  readonly task?: Task;
  readonly positiveLabel?: string;
  /** The trainer's seed and validation fraction: the gate re-derives the primary's split from them. */
  readonly seed: number;
  readonly validationFraction: number;
}

export interface AssembledTrainingSet {
  readonly table: DataTable;
  /** Rows of each part in the table, in the parts' order: uploads, primary, feedback. */
  readonly rowsBySource: ReadonlyArray<{ readonly source: string; readonly rows: number }>;
  /** The primary's held-out rows (the gate's), never in the table. */
  readonly heldOutRows: number;
  /** Rows of other parts left out because they equal a held-out row. */
  readonly heldOutDuplicates: number;
  /** One line per column rule applied (missing or extra columns), for the run's log. */
  readonly notes: readonly string[];
}

/** How many column names a note lists before "and N more". */
const NAMES_IN_NOTE = 5;

export function assembleTrainingSet(
  parts: {
    readonly primary: TrainingPart;
    readonly uploads: readonly TrainingPart[];
    readonly feedback: TrainingPart | null;
  },
  options: TrainingSetOptions,
): AssembledTrainingSet {
  const { primary } = parts;
  const columnNames = primary.table.columnNames;
  const targetIndex = columnNames.indexOf(options.target);
  if (targetIndex < 0) throw new DataError(`${primary.source} has no target column "${options.target}"`);
  const target = encodeTarget(primary.table.columns[targetIndex], {
    target: options.target,
    task: options.task,
    positiveLabel: options.positiveLabel,
    source: primary.source,
  });
  const split = splitRows(target.values, {
    seed: options.seed,
    validationFraction: options.validationFraction,
    stratify: target.encoding.task === 'binary',
  });
  const heldOut = new Set<string>();
  for (const row of split.validation) heldOut.add(rowFingerprint(primary.table.columns, row));

  const notes: string[] = [];
  const columns: Cell[][] = columnNames.map(() => []);
  const rowsBySource: { source: string; rows: number }[] = [];
  let heldOutDuplicates = 0;

  const append = (part: TrainingPart) => {
    const aligned = alignColumns(part, columnNames, notes);
    let kept = 0;
    for (let row = 0; row < part.table.rowCount; row++) {
      if (heldOut.has(rowFingerprint(aligned, row))) {
        heldOutDuplicates++;
        continue;
      }
      for (let c = 0; c < columns.length; c++) columns[c].push(aligned[c][row]);
      kept++;
    }
    rowsBySource.push({ source: part.source, rows: kept });
  };
  for (const upload of parts.uploads) append(upload);
  for (const row of split.train)
    for (let c = 0; c < columns.length; c++) columns[c].push(primary.table.columns[c][row]);
  rowsBySource.push({ source: primary.source, rows: split.train.length });
  if (parts.feedback) append(parts.feedback);

  if (heldOutDuplicates > 0) {
    notes.push(`${heldOutDuplicates} row(s) of other files equal a held-out row of ${primary.source}: left out`);
  }
  return {
    table: { columnNames, columns, rowCount: columns[0]?.length ?? 0 },
    rowsBySource,
    heldOutRows: split.validation.length,
    heldOutDuplicates,
    notes,
  };
}

/** The part's cells in the primary's column order; a column the part lacks is all null. */
function alignColumns(part: TrainingPart, columnNames: readonly string[], notes: string[]): ReadonlyArray<Cell>[] {
  const index = new Map(part.table.columnNames.map((name, i) => [name, i]));
  const missing = columnNames.filter((name) => !index.has(name));
  const known = new Set(columnNames);
  const extra = part.table.columnNames.filter((name) => !known.has(name));
  if (missing.length > 0) {
    notes.push(`${part.source} lacks ${listNames(missing)}: missing in its ${part.table.rowCount} row(s)`);
  }
  if (extra.length > 0) notes.push(`${part.source}: ${listNames(extra)} not in the run's data file: left out`);
  const absent: Cell[] = new Array(part.table.rowCount).fill(null);
  return columnNames.map((name) => {
    const at = index.get(name);
    return at === undefined ? absent : part.table.columns[at];
  });
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_IN_NOTE).map((name) => `"${name}"`);
  const more = names.length - shown.length;
  return `column(s) ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * A row's cells as one string. Cells compare by their text (a file may read "7" where another
 * reads 7); null is a code no text can hold.
 */
function rowFingerprint(columns: ReadonlyArray<ReadonlyArray<Cell>>, row: number): string {
  let key = '';
  for (const column of columns) {
    const cell = column[row];
    key += cell === null ? '\u0000N' : `\u0000${String(cell).length}:${String(cell)}`;
  }
  return key;
}
