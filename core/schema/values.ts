import type { Cell } from '../data/table';

/**
 * One reading of raw cells for every consumer (schema inference, feature pipeline,
 * drift), so a value is numeric, boolean or missing in exactly the same way everywhere.
 */

const TRUE_WORDS = new Set(['true', 'yes', 'y', 't']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'f']);

/** 10^0 .. 10^15, all exact doubles. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);
const MINUS = 45;
const DOT = 46;
const ZERO = 48;

/**
 * `[-]digits[.digits]` with at most 15 digits, read without Number(): the digits form an exact
 * integer and one division by an exact power of ten rounds correctly (Clinger's fast path), so
 * the result is the double Number() returns. NaN for any other text, which Number() then reads.
 */
function simpleDecimal(text: string): number {
  const length = text.length;
  let i = 0;
  const negative = text.charCodeAt(0) === MINUS;
  if (negative) i = 1;
  if (i === length) return Number.NaN;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      digits++;
      if (scale >= 0) scale++;
    } else if (digit === DOT - ZERO && scale < 0 && digits > 0 && i + 1 < length) {
      scale = 0;
    } else {
      return Number.NaN;
    }
  }
  if (digits > 15) return Number.NaN;
  const value = scale > 0 ? mantissa / POWERS_OF_TEN[scale] : mantissa;
  return negative ? -value : value;
}

/** A finite number, NaN for missing or unparseable, +/-Infinity kept as such. */
export function cellToNumber(cell: Cell): number {
  if (cell === null) return Number.NaN;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  const simple = simpleDecimal(cell);
  if (!Number.isNaN(simple)) return simple;
  // Number() skips the same surrounding whitespace trim() removes, so no trimmed copy is needed;
  // only a blank string (which Number reads as 0) and the infinity words need the text.
  const value = Number(cell);
  if (value === 0) return cell.trim() === '' ? Number.NaN : value;
  if (Number.isNaN(value)) {
    const lower = cell.trim().toLowerCase();
    if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
    if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  }
  return value;
}

/**
 * cellToNumber of every cell of a column, remembered per column array: schema inference, the
 * feature pipeline and the profile each read a numeric column, and parsing its text once instead
 * of three or four times is most of their cost. Parsed tables are never modified in place.
 */
const columnNumbers = new WeakMap<ReadonlyArray<Cell>, Float64Array>();

/** cellToNumber of each cell, computed once per column array (see columnNumbers). */
export function numbersOfColumn(column: ReadonlyArray<Cell>): Float64Array {
  const cached = rememberedNumbers(column);
  if (cached) return cached;
  const numbers = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) numbers[i] = cellToNumber(column[i]);
  columnNumbers.set(column, numbers);
  return numbers;
}

/** The numbers numbersOfColumn (or rememberNumbers) computed for this column, if any. */
export function rememberedNumbers(column: ReadonlyArray<Cell>): Float64Array | undefined {
  const cached = columnNumbers.get(column);
  return cached && cached.length === column.length ? cached : undefined;
}

/** Keeps `numbers` (cellToNumber of each cell, computed by the caller) for later readers. */
export function rememberNumbers(column: ReadonlyArray<Cell>, numbers: Float64Array): void {
  if (numbers.length === column.length) columnNumbers.set(column, numbers);
}

/**
 * The column's non-NaN numbers in ascending order, kept by schema inference (which sorts them to
 * count distinct values) for the profile, which needs the same order for its quantiles.
 */
const columnSortedNumbers = new WeakMap<ReadonlyArray<Cell>, Float64Array>();

export function rememberSortedNumbers(column: ReadonlyArray<Cell>, sorted: Float64Array): void {
  columnSortedNumbers.set(column, sorted);
}

/** The sorted non-NaN numbers rememberSortedNumbers kept for this column, if any. Never modify them. */
export function rememberedSortedNumbers(column: ReadonlyArray<Cell>): Float64Array | undefined {
  return columnSortedNumbers.get(column);
}

/** True when the cell holds text that is not a number (used to tell numeric columns from categorical ones). */
export function isNonNumericText(cell: Cell): boolean {
  return typeof cell === 'string' && cell.trim() !== '' && Number.isNaN(cellToNumber(cell));
}

/** true / false, or null when the cell is missing or not a recognised boolean word or 0/1. */
export function cellToBoolean(cell: Cell): boolean | null {
  if (cell === null) return null;
  if (typeof cell === 'boolean') return cell;
  if (typeof cell === 'number') return cell === 1 ? true : cell === 0 ? false : null;
  const lower = cell.trim().toLowerCase();
  if (TRUE_WORDS.has(lower) || lower === '1') return true;
  if (FALSE_WORDS.has(lower) || lower === '0') return false;
  return null;
}

/** The category label of a cell: its trimmed text, or null when missing. Numbers and booleans use their text form. */
export function cellToCategory(cell: Cell): string | null {
  if (cell === null) return null;
  const text = typeof cell === 'string' ? cell.trim() : String(cell);
  return text === '' ? null : text;
}
