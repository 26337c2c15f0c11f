/**
 * Feature binning for histogram GBDT: each feature's values map to at most `maxBins` ordered bins
 * (a Uint8 code). A split "bin <= b goes left" is the same as "value <= cuts[b] goes left", so
 * trees store real thresholds and scoring needs no binning.
 */
import type { FeatureInfo, FeatureMatrix } from '../features/matrix';
import { ColumnBuffers, sortFloat64 } from '../profile/columns';

/** Ascending, distinct split candidates; bin(x) = number of cuts strictly below x. */
export type Cuts = Float64Array;

/** Rows used to find quantile edges: enough for ~256 stable quantiles, cheap on 1M+ rows. */
export const BIN_SAMPLE_ROWS = 200_000;

/** A stride sample: deterministic, spread over the whole file even when rows arrive ordered. */
function sampleColumn(column: Float64Array, rowCount: number, sampleRows: number): Float64Array {
  if (rowCount <= sampleRows) return Float64Array.from(column.subarray(0, rowCount));
  const sample = new Float64Array(sampleRows);
  const stride = rowCount / sampleRows;
  for (let i = 0; i < sampleRows; i++) sample[i] = column[Math.floor(i * stride)];
  return sample;
}

/** Between two distinct neighbours; falls back to the lower one when they are adjacent doubles. */
function midpoint(low: number, high: number): number {
  const middle = low + (high - low) / 2;
  return middle >= low && middle < high ? middle : low;
}

export function computeCuts(
  column: Float64Array,
  rowCount: number,
  feature: FeatureInfo,
  maxBins: number,
  sampleRows = BIN_SAMPLE_ROWS,
  buffers?: ColumnBuffers,
): Cuts {
  const cardinality = feature.cardinality ?? 0;
  if (feature.kind === 'categorical' && cardinality >= 1 && cardinality <= maxBins) {
    // Every code is its own bin; codes are ordered by target mean, so ordinal splits are meaningful.
    const cuts = new Float64Array(cardinality - 1);
    for (let code = 0; code < cardinality - 1; code++) cuts[code] = code + 0.5;
    return cuts;
  }
  // Radix sort: the same order as Float64Array#sort (-0 before +0, NaN last) in a fraction of the time.
  const sorted = sortFloat64(sampleColumn(column, rowCount, sampleRows), buffers);
  // Both sorts put every NaN at one end (the radix sort puts sign-bit NaNs first).
  if (sorted.length > 0 && (Number.isNaN(sorted[0]) || Number.isNaN(sorted[sorted.length - 1]))) {
    throw new Error(`feature "${feature.name}" has NaN values; the feature pipeline must impute before training`);
  }
  // Only whether there are more than maxBins distinct values matters, so stop counting there.
  const distinct = new Float64Array(maxBins);
  let distinctCount = 0;
  for (let i = 0; i < sorted.length && distinctCount <= maxBins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      if (distinctCount < maxBins) distinct[distinctCount] = sorted[i];
      distinctCount++;
    }
  }
  if (distinctCount <= maxBins) {
    const cuts = new Float64Array(Math.max(0, distinctCount - 1));
    for (let i = 0; i + 1 < distinctCount; i++) cuts[i] = midpoint(distinct[i], distinct[i + 1]);
    return cuts;
  }
  // Quantile cuts: "value <= cut" goes left, so a cut is the last value of a quantile slice.
  const cuts: number[] = [];
  const last = sorted[sorted.length - 1];
  for (let i = 1; i < maxBins; i++) {
    const cut = sorted[Math.floor((i * sorted.length) / maxBins) - 1];
    if (cut < last && (cuts.length === 0 || cut > cuts[cuts.length - 1])) cuts.push(cut);
  }
  return Float64Array.from(cuts);
}

export function binOf(value: number, cuts: Cuts): number {
  let low = 0;
  let high = cuts.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cuts[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Bins a column with a fixed-step search over the cuts padded to 256 with +Infinity: eight
 * steps, each adding `step & -Number(comparison)`, which V8 compiles without a branch (a ternary
 * here compiles to a mispredicted branch, 3-4x slower). Each search is a chain of dependent
 * loads, so four rows are searched side by side to overlap them.
 */
function binColumn(column: Float64Array, rowCount: number, cuts: Cuts, codes: Uint8Array): void {
  const padded = new Float64Array(256).fill(Number.POSITIVE_INFINITY);
  padded.set(cuts);
  let r = 0;
  for (; r + 4 <= rowCount; r += 4) {
    const v0 = column[r];
    const v1 = column[r + 1];
    const v2 = column[r + 2];
    const v3 = column[r + 3];
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    for (let step = 128; step > 0; step >>= 1) {
      p0 += step & -Number(padded[p0 + step - 1] < v0);
      p1 += step & -Number(padded[p1 + step - 1] < v1);
      p2 += step & -Number(padded[p2 + step - 1] < v2);
      p3 += step & -Number(padded[p3 + step - 1] < v3);
    }
    codes[r] = p0;
    codes[r + 1] = p1;
    codes[r + 2] = p2;
    codes[r + 3] = p3;
  }
  for (; r < rowCount; r++) {
    const value = column[r];
    let position = 0;
    for (let step = 128; step > 0; step >>= 1) position += step & -Number(padded[position + step - 1] < value);
    codes[r] = position;
  }
}

export interface BinnedMatrix {
  /** Column-major bin codes: `bins[f][row]`, views of `columnBins`. */
  readonly bins: Uint8Array[];
  /** All bins in one shared buffer, feature f at [f * rows, (f + 1) * rows). */
  readonly columnBins: Uint8Array;
  readonly cuts: Cuts[];
  /** Start of each feature's bins in a flat histogram; `binOffsets[features]` is the total. */
  readonly binOffsets: Int32Array;
}

export function binMatrix(matrix: FeatureMatrix, maxBins: number): BinnedMatrix {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 256) {
    throw new Error(`maxBins must be an integer in [2, 256] (bins are stored as Uint8), got ${maxBins}`);
  }
  // One sort scratch for all columns: no per-feature histogram and scratch allocation.
  const buffers = new ColumnBuffers();
  const cuts = matrix.features.map((feature, f) =>
    computeCuts(matrix.columns[f], matrix.rowCount, feature, maxBins, BIN_SAMPLE_ROWS, buffers),
  );
  const binOffsets = new Int32Array(matrix.features.length + 1);
  for (let f = 0; f < cuts.length; f++) binOffsets[f + 1] = binOffsets[f] + cuts[f].length + 1;
  // One shared buffer, so a histogram worker thread can read the bins without a copy.
  const columnBins = new Uint8Array(new SharedArrayBuffer(Math.max(1, matrix.rowCount * cuts.length)));
  const bins = matrix.columns.map((column, f) => {
    const codes = columnBins.subarray(f * matrix.rowCount, (f + 1) * matrix.rowCount);
    binColumn(column, matrix.rowCount, cuts[f], codes);
    return codes;
  });
  return { bins, columnBins, cuts, binOffsets };
}

/** Bins another matrix (validation rows) with cuts fitted on the training rows: `bins[f][row]`. */
export function binWithCuts(matrix: FeatureMatrix, cuts: readonly Cuts[]): Uint8Array[] {
  return matrix.columns.map((column, f) => {
    const codes = new Uint8Array(matrix.rowCount);
    binColumn(column, matrix.rowCount, cuts[f], codes);
    return codes;
  });
}
