import { chiSquareSf, type KsPValue, ksTwoSamplePValue, normalSf } from './special';

/**
 * The drift statistics on already-prepared inputs: sorted Float64Arrays for numeric samples,
 * count vectors for categories. Each matches its scipy counterpart on raw samples (golden tests
 * in test/core/drift/stats.test.ts).
 */

/** Two-sample KS statistic on sorted samples (merge walk, right-continuous ECDFs as scipy). */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/** scipy.stats.ks_2samp(a, b) (two-sided, method 'auto') on sorted samples. */
export function ksTwoSampleSorted(a: Float64Array, b: Float64Array): KsPValue {
  return ksTwoSamplePValue(ksStatisticSorted(a, b), a.length, b.length);
}

/**
 * scipy.stats.wasserstein_distance(a, b) on sorted samples: the integral of |F_a - F_b|, one term
 * per distinct value x, |F_a(x-) - F_b(x-)| * (x - previous). The merge takes one run of equal
 * values at a time; a run in b equal to the run just taken from a adds |..| * 0 = +0, which
 * leaves the sum unchanged, so the result is the same to the last bit as one term per distinct x.
 */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let previous = Math.min(a[0], b[0]);
  let total = 0;
  while (i < n && j < m) {
    const x = a[i];
    const y = b[j];
    if (x <= y) {
      total += Math.abs(i / n - j / m) * (x - previous);
      previous = x;
      do i++;
      while (i < n && a[i] === x);
    } else {
      total += Math.abs(i / n - j / m) * (y - previous);
      previous = y;
      do j++;
      while (j < m && b[j] === y);
    }
  }
  for (; i < n; i++) {
    total += Math.abs(i / n - j / m) * (a[i] - previous);
    previous = a[i];
  }
  for (; j < m; j++) {
    total += Math.abs(i / n - j / m) * (b[j] - previous);
    previous = b[j];
  }
  return total;
}

/** Index of the first element > x. */
function upperBound(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element >= x. */
function lowerBound(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The CDF implied by a quantile sketch: q[i] is the i/K quantile (K = q.length - 1), and the
 * CDF is linear between knots. `right` gives F(x), `left` gives F(x-) (they differ at atoms).
 */
export function sketchCdf(q: ArrayLike<number>, x: number, side: 'right' | 'left'): number {
  const k = q.length - 1;
  if (side === 'right') {
    const i = upperBound(q, x) - 1;
    if (i < 0) return 0;
    if (i >= k) return 1;
    return (i + (x - q[i]) / (q[i + 1] - q[i])) / k;
  }
  const j = lowerBound(q, x);
  if (j === 0) return 0;
  if (j > k) return 1;
  return (j - 1 + (x - q[j - 1]) / (q[j] - q[j - 1])) / k;
}

/**
 * KS statistic between a reference known only by its quantile sketch and an exact sorted sample.
 * Both CDFs are monotone and the sketch's is linear between knots, so the supremum is reached at
 * a sample value or a knot, from the left or the right: those are the only points checked.
 */
export function ksStatisticSketch(q: ArrayLike<number>, b: Float64Array): number {
  const m = b.length;
  let d = 0;
  const check = (x: number) => {
    const right = Math.abs(sketchCdf(q, x, 'right') - upperBound(b, x) / m);
    const left = Math.abs(sketchCdf(q, x, 'left') - lowerBound(b, x) / m);
    if (right > d) d = right;
    if (left > d) d = left;
  };
  for (let j = 0; j < m; j++) {
    if (j > 0 && b[j] === b[j - 1]) continue;
    check(b[j]);
  }
  for (let i = 0; i < q.length; i++) check(q[i]);
  return d;
}

/** Integral over a segment of length `width` of |f| where f is linear from f0 to f1. */
function integralOfAbsLinear(f0: number, f1: number, width: number): number {
  if ((f0 >= 0 && f1 >= 0) || (f0 <= 0 && f1 <= 0)) return (width * Math.abs(f0 + f1)) / 2;
  return (width * (f0 * f0 + f1 * f1)) / (2 * (Math.abs(f0) + Math.abs(f1)));
}

/**
 * Wasserstein-1 distance between a reference known by its quantile sketch (quantile function
 * linear between knots) and an exact sorted sample, as the integral over u of |Q_ref(u) - Q_cur(u)|.
 */
export function wassersteinSketch(q: ArrayLike<number>, b: Float64Array): number {
  const k = q.length - 1;
  const m = b.length;
  let i = 0;
  let j = 0;
  let u = 0;
  let total = 0;
  while (i < k && j < m) {
    // Compare (i+1)/k with (j+1)/m in integers so equal breakpoints advance together.
    const refEnd = (i + 1) * m;
    const curEnd = (j + 1) * k;
    const end = refEnd <= curEnd ? (i + 1) / k : (j + 1) / m;
    const slope = (q[i + 1] - q[i]) * k;
    const r0 = q[i] + slope * (u - i / k);
    const r1 = q[i] + slope * (end - i / k);
    total += integralOfAbsLinear(r0 - b[j], r1 - b[j], end - u);
    u = end;
    if (refEnd <= curEnd) i++;
    if (curEnd <= refEnd) j++;
  }
  return total;
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly pValue: number;
}

/** scipy.stats.chisquare(observed, expected): Pearson's statistic with k - 1 degrees of freedom. */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const diff = observed[i] - expected[i];
    statistic += (diff * diff) / expected[i];
  }
  const degrees = observed.length - 1;
  return { statistic, pValue: degrees < 1 ? 1 : chiSquareSf(statistic, degrees) };
}

/**
 * Pearson's chi-square test of homogeneity on the 2 x k table of reference and current counts
 * (scipy.stats.chi2_contingency with correction=False); categories empty on both sides are dropped.
 */
export function chiSquareHomogeneity(reference: ArrayLike<number>, current: ArrayLike<number>): ChiSquareResult {
  let referenceTotal = 0;
  let currentTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    referenceTotal += reference[i];
    currentTotal += current[i];
  }
  const total = referenceTotal + currentTotal;
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < reference.length; i++) {
    const column = reference[i] + current[i];
    if (column === 0) continue;
    categories++;
    const expectedReference = (referenceTotal * column) / total;
    const expectedCurrent = (currentTotal * column) / total;
    statistic += (reference[i] - expectedReference) ** 2 / expectedReference;
    statistic += (current[i] - expectedCurrent) ** 2 / expectedCurrent;
  }
  const degrees = categories - 1;
  return { statistic, pValue: degrees < 1 ? 1 : chiSquareSf(statistic, degrees) };
}

/** x log(x / y) with 0 log 0 = 0, as scipy.special.rel_entr. */
function relativeEntropy(x: number, y: number): number {
  if (x === 0) return 0;
  if (y === 0) return Number.POSITIVE_INFINITY;
  return x * Math.log(x / y);
}

/** scipy.spatial.distance.jensenshannon(p, q) with the natural log (p and q normalised to sum 1). */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const mi = (pi + qi) / 2;
    js += relativeEntropy(pi, mi) + relativeEntropy(qi, mi);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/** Evidently's zero filling before PSI: empty bins get min(non-zero)/1e6, or 1e-4 when that minimum is above 1e-4. */
export function fillEmptyBins(shares: readonly number[]): number[] {
  let minNonZero = Number.POSITIVE_INFINITY;
  for (const share of shares) if (share > 0 && share < minNonZero) minNonZero = share;
  if (!Number.isFinite(minNonZero)) return [...shares];
  const fill = minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  return shares.map((share) => (share === 0 ? fill : share));
}

/** Population stability index over bin shares: sum (r - c) ln(r / c), empty bins filled first. */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  const r = fillEmptyBins(reference);
  const c = fillEmptyBins(current);
  let psi = 0;
  for (let i = 0; i < r.length; i++) psi += (r[i] - c[i]) * Math.log(r[i] / c[i]);
  return psi;
}

export interface ZTestResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Two-proportion z-test (pooled variance, two-sided) of the share of `successes` in each sample,
 * as Evidently's z_stat_test. Identical constant samples give p = 1.
 */
export function twoProportionZTest(
  referenceSuccesses: number,
  referenceCount: number,
  currentSuccesses: number,
  currentCount: number,
): ZTestResult {
  const p1 = referenceSuccesses / referenceCount;
  const p2 = currentSuccesses / currentCount;
  const pooled = (referenceSuccesses + currentSuccesses) / (referenceCount + currentCount);
  const variance = pooled * (1 - pooled) * (1 / referenceCount + 1 / currentCount);
  if (variance === 0) return { statistic: 0, pValue: 1 };
  const statistic = (p1 - p2) / Math.sqrt(variance);
  return { statistic, pValue: Math.min(1, 2 * normalSf(Math.abs(statistic))) };
}

/** numpy.histogram_bin_edges(values, bins='sturges') given the combined count and range. */
export function sturgesEdges(count: number, min: number, max: number): number[] {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / (Math.log2(count) + 1);
  const bins = Math.max(1, Math.ceil((hi - lo) / width));
  const edges: number[] = new Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = lo + ((hi - lo) * i) / bins;
  return edges;
}

/** Counts of sorted values per bin, numpy semantics: half-open bins, the last one closed. Values outside are ignored. */
export function histogramSorted(sorted: Float64Array, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  for (let b = 0; b < bins; b++) {
    const start = lowerBound(sorted, edges[b]);
    const end = b === bins - 1 ? upperBound(sorted, edges[b + 1]) : lowerBound(sorted, edges[b + 1]);
    counts[b] = Math.max(0, end - start);
  }
  return counts;
}

/** Approximate bin counts of a sketched sample of `count` values (mass between knots spread linearly). */
export function histogramSketch(q: ArrayLike<number>, count: number, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  for (let b = 0; b < bins; b++) {
    const lower = sketchCdf(q, edges[b], 'left');
    const upper = b === bins - 1 ? sketchCdf(q, edges[b + 1], 'right') : sketchCdf(q, edges[b + 1], 'left');
    counts[b] = Math.max(0, upper - lower) * count;
  }
  return counts;
}

export { lowerBound, upperBound };
