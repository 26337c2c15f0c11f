/**
 * The in-memory table every reader produces and every consumer takes.
 *
 * Column-major: one array per column, so a 1M-row x 20-column file is 20 arrays,
 * not a million objects. A cell is `null` when the source marks it missing
 * (an empty CSV field, `NA`, `NaN`, `null`, `None`, or a Parquet null).
 */
export type Cell = string | number | boolean | null;

export interface DataTable {
  readonly columnNames: readonly string[];
  /** `columns[i]` holds the cells of `columnNames[i]`; every column has `rowCount` cells. */
  readonly columns: ReadonlyArray<ReadonlyArray<Cell>>;
  readonly rowCount: number;
}

/** Raised for input that cannot be read; the message names the file, row and column where known. */
export class DataError extends Error {
  override readonly name = 'DataError';
}

export function columnIndex(table: DataTable, name: string): number {
  return table.columnNames.indexOf(name);
}

export function getColumn(table: DataTable, name: string): ReadonlyArray<Cell> {
  const index = columnIndex(table, name);
  if (index < 0) {
    throw new DataError(`column "${name}" not found; columns are: ${table.columnNames.join(', ')}`);
  }
  return table.columns[index];
}

/** Builds a table from row objects (inference requests, tests). Keys missing from a row become null. */
export function tableFromRecords(
  records: ReadonlyArray<Readonly<Record<string, Cell>>>,
  columnNames?: readonly string[],
): DataTable {
  const names = columnNames ?? [...new Set(records.flatMap((record) => Object.keys(record)))];
  const columns = names.map((name) =>
    records.map((record) => (Object.hasOwn(record, name) ? (record[name] ?? null) : null)),
  );
  return { columnNames: names, columns, rowCount: records.length };
}

/** A table holding only the given rows, in the given order. */
export function takeRows(table: DataTable, rows: ArrayLike<number>): DataTable {
  const columns = table.columns.map((column) => {
    const out: Cell[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = column[rows[i]];
    return out;
  });
  return { columnNames: table.columnNames, columns, rowCount: rows.length };
}
