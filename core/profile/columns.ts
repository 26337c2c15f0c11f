import type { Cell } from '../data/table';
import type { ColumnType } from '../schema/types';
import { cellToBoolean, cellToCategory, cellToNumber } from '../schema/values';

/**
 * One pass over a column's raw cells into what every statistic needs: the finite values sorted
 * once (numeric), or category counts. Missing, infinite and unparseable cells are counted, never
 * silently dropped.
 */
export interface NumericColumnData {
  readonly kind: 'numeric';
  readonly rows: number;
  /** Finite values, sorted ascending. */
  readonly sorted: Float64Array;
  readonly missing: number;
  readonly positiveInfinity: number;
  readonly negativeInfinity: number;
  /** Non-missing text that is not a number (a sign the column changed type). */
  readonly unparseable: number;
}

export interface CategoricalColumnData {
  readonly kind: 'categorical';
  readonly rows: number;
  readonly counts: Map<string, number>;
  readonly missing: number;
}

export type ColumnData = NumericColumnData | CategoricalColumnData;

export function readNumericColumn(cells: ReadonlyArray<Cell>): NumericColumnData {
  const rows = cells.length;
  const values = new Float64Array(rows);
  let valid = 0;
  let missing = 0;
  let positiveInfinity = 0;
  let negativeInfinity = 0;
  let unparseable = 0;
  for (let i = 0; i < rows; i++) {
    const cell = cells[i];
    const value = typeof cell === 'number' ? cell : cellToNumber(cell);
    if (value - value === 0) {
      values[valid++] = value;
    } else if (value === Number.POSITIVE_INFINITY) {
      positiveInfinity++;
    } else if (value === Number.NEGATIVE_INFINITY) {
      negativeInfinity++;
    } else if (cell === null || (typeof cell === 'string' && cell.trim() === '') || typeof cell === 'number') {
      missing++;
    } else {
      unparseable++;
    }
  }
  const sorted = sortFloat64(valid === rows ? values : values.slice(0, valid));
  return { kind: 'numeric', rows, sorted, missing, positiveInfinity, negativeInfinity, unparseable };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const RADIX_MIN_LENGTH = 4096;

/**
 * Sorts finite doubles ascending in place, as Float64Array.prototype.sort but about 4x faster
 * on large arrays: an LSD radix sort over the 64-bit patterns mapped to unsigned order
 * (negative numbers: all bits flipped; positive: sign bit set), four 16-bit passes.
 */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN_LENGTH || !LITTLE_ENDIAN) return values.sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const l = words[2 * i];
    const h = words[2 * i + 1];
    if (h & 0x80000000) {
      lo[i] = ~l >>> 0;
      hi[i] = ~h >>> 0;
    } else {
      lo[i] = l;
      hi[i] = (h | 0x80000000) >>> 0;
    }
  }
  let loOut = new Uint32Array(n);
  let hiOut = new Uint32Array(n);
  const offsets = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const keys = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    offsets.fill(0);
    for (let i = 0; i < n; i++) offsets[(keys[i] >>> shift) & 0xffff]++;
    if (offsets[(keys[0] >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const count = offsets[d];
      offsets[d] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const position = offsets[(keys[i] >>> shift) & 0xffff]++;
      loOut[position] = lo[i];
      hiOut[position] = hi[i];
    }
    [lo, loOut] = [loOut, lo];
    [hi, hiOut] = [hiOut, hi];
  }
  for (let i = 0; i < n; i++) {
    const h = hi[i];
    if (h & 0x80000000) {
      words[2 * i] = lo[i];
      words[2 * i + 1] = h & 0x7fffffff;
    } else {
      words[2 * i] = ~lo[i] >>> 0;
      words[2 * i + 1] = ~h >>> 0;
    }
  }
  return values;
}

/** The category label used for a boolean column: 'true' / 'false', or the raw text when it is not a boolean word. */
export function booleanLabel(cell: Cell): string | null {
  const value = cellToBoolean(cell);
  return value === null ? cellToCategory(cell) : value ? 'true' : 'false';
}

export function readCategoricalColumn(
  cells: ReadonlyArray<Cell>,
  type: 'categorical' | 'boolean',
): CategoricalColumnData {
  const counts = new Map<string, number>();
  let missing = 0;
  const label = type === 'boolean' ? booleanLabel : cellToCategory;
  for (let i = 0; i < cells.length; i++) {
    const key = label(cells[i]);
    if (key === null) missing++;
    else counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { kind: 'categorical', rows: cells.length, counts, missing };
}

export function readColumn(cells: ReadonlyArray<Cell>, type: ColumnType): ColumnData {
  return type === 'numeric' ? readNumericColumn(cells) : readCategoricalColumn(cells, type);
}

/**
 * A column's type when no schema says it (a reference table without a schema, a new column):
 * Evidently's typing: numbers are numeric, except integers with at most 10 distinct values,
 * which are categorical; boolean words are boolean; anything else is categorical.
 */
export function guessColumnType(cells: ReadonlyArray<Cell>): ColumnType {
  let allNumeric = true;
  let allIntegers = true;
  let allBoolean = true;
  let seen = 0;
  const distinct = new Set<number>();
  for (const cell of cells) {
    if (cell === null) continue;
    let value: number;
    if (typeof cell === 'number') {
      if (Number.isNaN(cell)) continue;
      value = cell;
      allBoolean = false;
    } else if (typeof cell === 'boolean') {
      value = cell ? 1 : 0;
    } else {
      if (cell.trim() === '') continue;
      value = cellToNumber(cell);
      if (!(Number.isNaN(value) && cellToBoolean(cell) !== null)) allBoolean = false;
    }
    seen++;
    if (Number.isNaN(value)) allNumeric = false;
    else if (!Number.isInteger(value)) allIntegers = false;
    else if (distinct.size <= 10) distinct.add(value);
    if (!allNumeric && !allBoolean) return 'categorical';
  }
  if (seen === 0) return 'categorical';
  if (allBoolean) return 'boolean';
  if (allNumeric) return allIntegers && distinct.size <= 10 ? 'categorical' : 'numeric';
  return 'categorical';
}
