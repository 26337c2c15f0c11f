import { canonicalDecimalAt } from '../data/decimal';
import { type Cell, DataError, type DataTable } from '../data/table';
import { ColumnBuffers, sortFloat64 } from '../profile/columns';
import { timed } from '../timing/phases';
import type { ColumnSchema, ColumnType, DataSchema } from './types';
import { cellToBoolean, cellToNumber, rememberNumbers, rememberSortedNumbers } from './values';

export interface InferSchemaOptions {
  readonly target: string;
  /** Use only these columns as features; absent: every column that is not excluded. */
  readonly features?: readonly string[];
  /** Where the data came from, for error messages. */
  readonly source?: string;
}

export interface InferredSchema {
  readonly schema: DataSchema;
  /** One line per decision a user should know about (excluded columns and why). */
  readonly notes: readonly string[];
}

/** A text column with more distinct values than this share of its rows is identifier-like. */
const IDENTIFIER_MIN_ROWS = 20;

interface ColumnStats {
  nonMissing: number;
  uniqueCount: number;
  allNumeric: boolean;
  allBoolean: boolean;
  allIntegers: boolean;
  increasing: boolean;
}

/**
 * The value of `text` when it is a number in its one canonical decimal spelling (core/data/decimal.ts),
 * else NaN. Two different such texts are two different doubles, so counting distinct numbers
 * counts the distinct texts, without hashing every string.
 */
export function canonicalDecimalValue(text: string): number {
  return canonicalDecimalAt(text, 0, text.length);
}

/** Distinct values among the non-NaN `numbers`, sorted into a copy that the profile reuses. */
function distinctNumbers(
  column: ReadonlyArray<Cell>,
  numbers: Float64Array,
  nonMissing: number,
  buffers: ColumnBuffers,
): number {
  const present = new Float64Array(nonMissing);
  let count = 0;
  for (let i = 0; i < numbers.length; i++) if (!Number.isNaN(numbers[i])) present[count++] = numbers[i];
  const sorted = sortFloat64(present, buffers);
  rememberSortedNumbers(column, sorted);
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  return distinct;
}

/** Distinct cells as a Set counts them: trimmed text, or the value itself. */
function distinctCells(column: ReadonlyArray<Cell>): number {
  const distinct = new Set<string | number | boolean>();
  for (let i = 0; i < column.length; i++) {
    const cell = column[i];
    if (cell !== null) distinct.add(typeof cell === 'string' ? cell.trim() : cell);
  }
  return distinct.size;
}

function columnStats(column: ReadonlyArray<Cell>, buffers: ColumnBuffers): ColumnStats {
  // Numeric text in canonical spelling is counted by value (a sort), anything else through a Set:
  // hashing 200,000 number strings per column was most of schema inference.
  let allCanonical = true;
  let nonMissing = 0;
  let allNumeric = true;
  let allBoolean = true;
  let allIntegers = true;
  let increasing = true;
  let previous = Number.NEGATIVE_INFINITY;
  // Filled while the column still reads as numeric; kept for the pipeline and profile if it does.
  const numbers = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const cell = column[i];
    if (cell === null) {
      numbers[i] = Number.NaN;
      continue;
    }
    nonMissing++;
    // Canonical numeric text (most cells of a numeric column): one scan reads its value, and it
    // is a boolean word exactly when it is "0" or "1" (a number cell: exactly when 0 or 1).
    let value = Number.NaN;
    if (allCanonical) {
      // A number cell (Parquet, or CSV read with `numbers`) is counted by value like canonical text.
      if (typeof cell === 'string') value = canonicalDecimalValue(cell);
      else if (typeof cell === 'number') value = cell;
      if (Number.isNaN(value)) allCanonical = false;
    }
    const canonical = !Number.isNaN(value);
    if (allBoolean && (canonical ? value !== 0 && value !== 1 : cellToBoolean(cell) === null)) allBoolean = false;
    if (allNumeric) {
      if (!canonical) value = cellToNumber(cell);
      numbers[i] = value;
      if (Number.isNaN(value) || typeof cell === 'boolean') {
        allNumeric = false;
      } else {
        if (!Number.isInteger(value)) allIntegers = false;
        if (value <= previous) increasing = false;
        previous = value;
      }
    }
  }
  if (allNumeric) rememberNumbers(column, numbers);
  const uniqueCount =
    allNumeric && allCanonical ? distinctNumbers(column, numbers, nonMissing, buffers) : distinctCells(column);
  return { nonMissing, uniqueCount, allNumeric, allBoolean, allIntegers, increasing };
}

function typeOf(stats: ColumnStats): ColumnType {
  // 0/1 columns and yes/no words are booleans; numbers are numeric; everything else is a category.
  if (stats.allBoolean && stats.uniqueCount <= 2) return 'boolean';
  if (stats.allNumeric) return 'numeric';
  return 'categorical';
}

function exclusionReason(name: string, type: ColumnType, stats: ColumnStats): string | undefined {
  if (stats.nonMissing === 0) return 'every value is missing';
  if (stats.uniqueCount === 1) return 'constant: it has a single value';
  const uniquePerRow = stats.uniqueCount === stats.nonMissing && stats.nonMissing >= IDENTIFIER_MIN_ROWS;
  if (!uniquePerRow) return undefined;
  if (type === 'categorical') return 'identifier-like: every row has a different value';
  const idName = /(^|[_\s-])id$/i.test(name) || /Id$/.test(name);
  if (type === 'numeric' && stats.allIntegers && (stats.increasing || idName)) {
    return 'identifier-like: distinct integers per row';
  }
  return undefined;
}

/**
 * Infers each column's type and role. Columns that cannot help a model (identifiers, constants,
 * all-missing) are excluded with a reason, never silently dropped.
 */
export function inferSchema(table: DataTable, options: InferSchemaOptions): InferredSchema {
  return timed('schema', () => inferSchemaUntimed(table, options));
}

function inferSchemaUntimed(table: DataTable, options: InferSchemaOptions): InferredSchema {
  const source = options.source ?? 'the data';
  if (!table.columnNames.includes(options.target)) {
    throw new DataError(
      `${source}: target column "${options.target}" not found; columns are: ${table.columnNames.join(', ')}`,
    );
  }
  if (options.features) {
    const unknown = options.features.filter((name) => !table.columnNames.includes(name));
    if (unknown.length > 0) {
      throw new DataError(`${source}: configured feature column(s) not found: ${unknown.join(', ')}`);
    }
  }
  const selected = options.features ? new Set(options.features) : undefined;
  const notes: string[] = [];
  const buffers = new ColumnBuffers();
  const columns: ColumnSchema[] = table.columnNames.map((name, index) => {
    const column = table.columns[index];
    const stats = columnStats(column, buffers);
    const type = typeOf(stats);
    const missingRate = table.rowCount === 0 ? 0 : (table.rowCount - stats.nonMissing) / table.rowCount;
    const base = { name, type, missingRate, uniqueCount: stats.uniqueCount };
    if (name === options.target) return { ...base, role: 'target' as const };
    let excludedReason = exclusionReason(name, type, stats);
    if (!excludedReason && selected && !selected.has(name)) excludedReason = 'not in the configured feature list';
    if (excludedReason) {
      notes.push(`column "${name}" excluded: ${excludedReason}`);
      return { ...base, role: 'excluded' as const, excludedReason };
    }
    return { ...base, role: 'feature' as const };
  });
  if (!columns.some((column) => column.role === 'feature')) {
    throw new DataError(`${source}: no usable feature columns (${notes.join('; ') || 'only the target is present'})`);
  }
  return { schema: { columns, target: options.target, rowCount: table.rowCount }, notes };
}

export function featureColumns(schema: DataSchema): ColumnSchema[] {
  return schema.columns.filter((column) => column.role === 'feature');
}
