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

const MINUS = 45;
const DOT = 46;
const ZERO = 48;
/** Decimals of at most this many digits are distinct doubles when they are distinct numbers (DBL_DIG). */
const MAX_EXACT_DIGITS = 15;

/** 10^0 .. 10^15, all exact doubles. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * The value of `text` when it is a number in its one canonical decimal spelling, else NaN:
 * an optional minus (not on zero), no leading zeros, no trailing fraction zeros, no exponent or
 * spaces, at most 15 digits. Two different such texts are two different doubles, so counting
 * distinct numbers counts the distinct texts, without hashing every string. The value is read in
 * the same scan (exact integer digits, one division by an exact power of ten: the double
 * Number() and cellToNumber return).
 */
export function canonicalDecimalValue(text: string): number {
  const length = text.length;
  const negative = text.charCodeAt(0) === MINUS;
  let i = negative ? 1 : 0;
  const first = text.charCodeAt(i) - ZERO;
  if (!(first >= 0 && first <= 9)) return Number.NaN;
  let mantissa = first;
  let digits = 1;
  i++;
  if (first === 0) {
    if (i === length) return length === 1 ? 0 : Number.NaN;
  } else {
    for (; i < length; i++) {
      const digit = text.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
      digits++;
    }
    if (i === length) return digits <= MAX_EXACT_DIGITS ? (negative ? -mantissa : mantissa) : Number.NaN;
  }
  if (text.charCodeAt(i) !== DOT || i + 1 === length) return Number.NaN;
  let scale = 0;
  for (i++; i < length; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    mantissa = mantissa * 10 + digit;
    digits++;
    scale++;
  }
  if (text.charCodeAt(length - 1) === ZERO || digits > MAX_EXACT_DIGITS) return Number.NaN;
  const value = mantissa / POWERS_OF_TEN[scale];
  return negative ? -value : value;
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
    // is a boolean word exactly when it is "0" or "1".
    let value = Number.NaN;
    if (allCanonical) {
      if (typeof cell === 'string') value = canonicalDecimalValue(cell);
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
