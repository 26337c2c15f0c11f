import type { Cell } from '../data/table';
import type { ColumnType } from '../schema/types';
import {
  cellToBoolean,
  cellToCategory,
  cellToNumber,
  rememberedNumbers,
  rememberedSortedNumbers,
} from '../schema/values';

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

/**
 * With `buffers`, the sorted values live in slot `slot` of those buffers and stay valid until the
 * next read into the same slot; without, in a new array of their own.
 */
export function readNumericColumn(cells: ReadonlyArray<Cell>, buffers?: ColumnBuffers, slot = 0): NumericColumnData {
  const rows = cells.length;
  const values = buffers ? buffers.valuesFor(slot, rows) : new Float64Array(rows);
  let valid = 0;
  let missing = 0;
  let positiveInfinity = 0;
  let negativeInfinity = 0;
  let unparseable = 0;
  // Numbers schema inference already parsed for this column, when it did (never computed here:
  // drift reads columns once, and keeping their numbers would only hold memory).
  const parsed = rememberedNumbers(cells);
  // Sorted by schema inference already (all non-NaN values, infinities at the ends): no second sort.
  const presorted = parsed && rememberedSortedNumbers(cells);
  for (let i = 0; i < rows; i++) {
    const cell = cells[i];
    const value = parsed ? parsed[i] : typeof cell === 'number' ? cell : cellToNumber(cell);
    if (value - value === 0) {
      if (!presorted) values[valid] = value;
      valid++;
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
  if (presorted && presorted.length === valid + positiveInfinity + negativeInfinity) {
    const sorted = presorted.subarray(negativeInfinity, negativeInfinity + valid);
    return { kind: 'numeric', rows, sorted, missing, positiveInfinity, negativeInfinity, unparseable };
  }
  if (presorted) {
    // Not the numbers counted above (never expected): copy the finite ones after all.
    let at = 0;
    for (let i = 0; i < rows; i++) if (parsed[i] - parsed[i] === 0) values[at++] = parsed[i];
  }
  const finite = valid === rows ? values : buffers ? values.subarray(0, valid) : values.slice(0, valid);
  const sorted = sortFloat64(finite, buffers);
  return { kind: 'numeric', rows, sorted, missing, positiveInfinity, negativeInfinity, unparseable };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const RADIX_MIN_LENGTH = 4096;
const DIGITS = 65536;

/**
 * Working memory for reading numeric columns, kept by the caller across the columns of one table:
 * value arrays per slot and the sort's scratch, so a million-row column allocates no new 8 MB
 * arrays (and adds no external-memory GC pressure) per read.
 */
export class ColumnBuffers {
  private words = new Uint32Array(0);
  private readonly values: Float64Array[] = [];
  /** Four 16-bit digit histograms, filled in one pass. */
  readonly histograms = new Uint32Array(4 * DIGITS);

  /** A scratch array of at least `length` 32-bit words. */
  wordsFor(length: number): Uint32Array {
    if (this.words.length < length) this.words = new Uint32Array(length);
    return this.words;
  }

  /** `length` doubles of slot `slot`; the next read into the same slot overwrites them. */
  valuesFor(slot: number, length: number): Float64Array {
    let values = this.values[slot];
    if (values === undefined || values.length < length) {
      values = new Float64Array(length);
      this.values[slot] = values;
    }
    return values.subarray(0, length);
  }
}

/**
 * Sorts finite doubles ascending in place, as Float64Array.prototype.sort but several times faster
 * on large arrays: an LSD radix sort over the 64-bit patterns mapped to unsigned order (negative
 * numbers: all bits flipped; positive: sign bit set), four 16-bit passes. Each key stays as its
 * two adjacent 32-bit words, so a scatter writes one cache line per value; the four digit
 * histograms are counted in the pass that maps the keys, and a pass whose digit is the same for
 * every value is skipped.
 */
export function sortFloat64(values: Float64Array, buffers: ColumnBuffers = new ColumnBuffers()): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN_LENGTH || !LITTLE_ENDIAN) return values.sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  const histograms = buffers.histograms;
  histograms.fill(0);
  for (let i = 0; i < 2 * n; i += 2) {
    let lo = words[i];
    let hi = words[i + 1];
    if (hi & 0x80000000) {
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    words[i] = lo;
    words[i + 1] = hi;
    histograms[lo & 0xffff]++;
    histograms[DIGITS + (lo >>> 16)]++;
    histograms[2 * DIGITS + (hi & 0xffff)]++;
    histograms[3 * DIGITS + (hi >>> 16)]++;
  }
  let source = words;
  let target = buffers.wordsFor(2 * n);
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * DIGITS;
    let sum = 0;
    let constant = false;
    for (let digit = 0; digit < DIGITS; digit++) {
      const count = histograms[base + digit];
      if (count === n) {
        constant = true;
        break;
      }
      histograms[base + digit] = sum;
      sum += count;
    }
    if (constant) continue;
    const half = pass < 2 ? 0 : 1;
    const shift = pass % 2 === 0 ? 0 : 16;
    for (let i = 0; i < 2 * n; i += 2) {
      const position = 2 * histograms[base + ((source[i + half] >>> shift) & 0xffff)]++;
      target[position] = source[i];
      target[position + 1] = source[i + 1];
    }
    const swap = source;
    source = target;
    target = swap;
  }
  for (let i = 0; i < 2 * n; i += 2) {
    const lo = source[i];
    const hi = source[i + 1];
    if (hi & 0x80000000) {
      words[i] = lo;
      words[i + 1] = hi & 0x7fffffff;
    } else {
      words[i] = ~lo >>> 0;
      words[i + 1] = ~hi >>> 0;
    }
  }
  return values;
}

/** The category label used for a boolean column: 'true' / 'false', or the raw text when it is not a boolean word. */
export function booleanLabel(cell: Cell): string | null {
  const value = cellToBoolean(cell);
  return value === null ? cellToCategory(cell) : value ? 'true' : 'false';
}

/** The text of a category cell without surrounding whitespace; most cells start and end with a printable ASCII character and need no trim. */
function trimmedText(cell: string): string {
  const last = cell.length - 1;
  if (last < 0) return cell;
  const first = cell.charCodeAt(0);
  const end = cell.charCodeAt(last);
  return first > 32 && first < 127 && end > 32 && end < 127 ? cell : cell.trim();
}

/**
 * Counts per label in order of first appearance (the order Map iteration gives later). One hash
 * lookup per cell into a slot index, counts in a typed array, instead of a get and a set.
 */
export function readCategoricalColumn(
  cells: ReadonlyArray<Cell>,
  type: 'categorical' | 'boolean',
): CategoricalColumnData {
  const slots = new Map<string, number>();
  const keys: string[] = [];
  let slotCounts = new Float64Array(16);
  let missing = 0;
  const boolean = type === 'boolean';
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    let key: string | null;
    if (boolean) key = booleanLabel(cell);
    else if (typeof cell === 'string') key = trimmedText(cell);
    else key = cell === null ? null : String(cell);
    if (key === null || key === '') {
      missing++;
      continue;
    }
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = keys.length;
      slots.set(key, slot);
      keys.push(key);
      if (slot === slotCounts.length) {
        const grown = new Float64Array(slot * 2);
        grown.set(slotCounts);
        slotCounts = grown;
      }
    }
    slotCounts[slot]++;
  }
  const counts = new Map<string, number>();
  for (let k = 0; k < keys.length; k++) counts.set(keys[k], slotCounts[k]);
  return { kind: 'categorical', rows: cells.length, counts, missing };
}

/** `buffers` and `slot`: see readNumericColumn. */
export function readColumn(
  cells: ReadonlyArray<Cell>,
  type: ColumnType,
  buffers?: ColumnBuffers,
  slot = 0,
): ColumnData {
  return type === 'numeric' ? readNumericColumn(cells, buffers, slot) : readCategoricalColumn(cells, type);
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

/**
 * Reorders `values` (no NaN) in place so that `values[k]` is the k-th smallest, everything before
 * it is <= and everything after it is >= (C++'s nth_element): Hoare quickselect, median-of-three
 * pivots, O(n) expected. A median needs no full sort; after 64 rounds without converging
 * (adversarial input) it falls back to one. Returns `values[k]`.
 */
export function selectFloat64(values: Float64Array, k: number): number {
  if (!(k >= 0 && k < values.length)) throw new RangeError(`selectFloat64: k ${k} outside 0..${values.length - 1}`);
  let low = 0;
  let high = values.length - 1;
  for (let round = 0; low < high; round++) {
    if (round === 64) {
      values.subarray(low, high + 1).sort();
      break;
    }
    const middle = (low + high) >>> 1;
    const a = values[low];
    const b = values[middle];
    const c = values[high];
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    // Now [low, j] <= pivot <= [i, high], and every index strictly between j and i holds the pivot.
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else break;
  }
  return values[k];
}
