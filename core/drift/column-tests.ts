import type { ColumnData, NumericColumnData } from '../profile/columns';
import type { ColumnType } from '../schema/types';
import { DriftConfigError } from './options';
import { type NumericReference, numericValueCounts, type ReferenceColumn, sortedValueCounts } from './reference';
import type { DriftTestName } from './report';
import { ksTwoSamplePValue } from './special';
import {
  chiSquare,
  chiSquareHomogeneity,
  histogramSketch,
  histogramSorted,
  jensenShannon,
  ksStatisticSketch,
  ksStatisticSorted,
  populationStabilityIndex,
  sturgesEdges,
  twoProportionZTest,
  wassersteinSketch,
  wassersteinSorted,
} from './stats';
import {
  BINARY_UNIQUE_VALUES,
  BINNING_MIN_DISTINCT,
  FEW_UNIQUE_VALUES,
  P_VALUE_TESTS,
  SMALL_REFERENCE_ROWS,
  UNSEEN_CATEGORY_PSEUDO_COUNT,
  WASSERSTEIN_STD_FLOOR,
} from './thresholds';

/** The per-column drift tests: which one applies, how it scores, and when its score means drift. */

/**
 * Evidently's default selection by reference size, column type and distinct values over both
 * samples, with one deliberate difference: categorical p-values use the two-sample chi-square
 * (`chisquare-homogeneity`), because Evidently's goodness-of-fit form treats the reference as
 * exact and flags a third of same-distribution pairs (see README). `chisquare` stays selectable.
 */
export function defaultTest(type: ColumnType, referenceCount: number, uniqueCount: number): DriftTestName {
  if (referenceCount <= SMALL_REFERENCE_ROWS) {
    if (type === 'numeric' && uniqueCount > FEW_UNIQUE_VALUES) return 'ks';
    return uniqueCount > BINARY_UNIQUE_VALUES ? 'chisquare-homogeneity' : 'z';
  }
  if (type === 'numeric' && uniqueCount > FEW_UNIQUE_VALUES) return 'wasserstein';
  return 'jensenshannon';
}

interface Distribution {
  readonly keys: string[];
  readonly reference: number[];
  readonly current: number[];
  /** Categories seen only in the current sample (empty when the reference pools an "other" bucket). */
  readonly unseen: string[];
  readonly approximate: boolean;
}

const OTHER_KEY = '(other)';

function categoryDistribution(
  referenceCounts: Map<string, number>,
  referenceOther: number,
  currentCounts: Map<string, number>,
): Distribution {
  const keys = [...referenceCounts.keys()];
  const reference = keys.map((key) => referenceCounts.get(key) ?? 0);
  const current = keys.map((key) => currentCounts.get(key) ?? 0);
  const unseen: string[] = [];
  let pooled = 0;
  for (const [key, count] of currentCounts) {
    if (referenceCounts.has(key)) continue;
    if (referenceOther > 0) {
      pooled += count;
    } else {
      unseen.push(key);
      keys.push(key);
      reference.push(0);
      current.push(count);
    }
  }
  if (referenceOther > 0) {
    keys.push(OTHER_KEY);
    reference.push(referenceOther);
    current.push(pooled);
  }
  return { keys, reference, current, unseen, approximate: false };
}

function binnedDistribution(reference: NumericReference, current: NumericColumnData): Distribution {
  const count = reference.count + current.sorted.length;
  const min = Math.min(reference.min, current.sorted[0]);
  const max = Math.max(reference.max, current.sorted[current.sorted.length - 1]);
  const edges = sturgesEdges(count, min, max);
  const referenceCounts = reference.sorted
    ? histogramSorted(reference.sorted, edges)
    : histogramSketch(reference.quantiles, reference.count, edges);
  const keys = edges.slice(0, -1).map((edge, i) => `[${edge}, ${edges[i + 1]})`);
  return {
    keys,
    reference: referenceCounts,
    current: histogramSorted(current.sorted, edges),
    unseen: [],
    approximate: !reference.sorted,
  };
}

/** Evidently: values as categories, except numeric columns with more than BINNING_MIN_DISTINCT reference values, which are binned (JS, PSI). */
function distributionFor(test: DriftTestName, reference: ReferenceColumn, current: ColumnData): Distribution {
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    return categoryDistribution(reference.counts, reference.otherCount, current.counts);
  }
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const binned = (test === 'jensenshannon' || test === 'psi') && reference.distinct > BINNING_MIN_DISTINCT;
    const referenceCounts = binned ? null : numericValueCounts(reference);
    if (referenceCounts) return categoryDistribution(referenceCounts, 0, sortedValueCounts(current.sorted));
    return binnedDistribution(reference, current);
  }
  throw new Error('reference and current column kinds differ');
}

export interface TestOutcome {
  readonly score: number;
  readonly pValue?: number;
  readonly statistic?: number;
  readonly approximate: boolean;
  readonly message?: string;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, value) => sum + value, 0);
  return counts.map((value) => (total > 0 ? value / total : 0));
}

export function runTest(test: DriftTestName, reference: ReferenceColumn, current: ColumnData): TestOutcome {
  if (test === 'ks' || test === 'wasserstein') {
    if (reference.kind !== 'numeric' || current.kind !== 'numeric') {
      throw new DriftConfigError(`test "${test}" needs a numeric column; use chisquare, z, jensenshannon or psi`);
    }
    const approximate = reference.sorted === null;
    if (test === 'ks') {
      const d = reference.sorted
        ? ksStatisticSorted(reference.sorted, current.sorted)
        : ksStatisticSketch(reference.quantiles, current.sorted);
      const result = ksTwoSamplePValue(d, reference.count, current.sorted.length);
      return { score: result.pValue, pValue: result.pValue, statistic: result.statistic, approximate };
    }
    const distance = reference.sorted
      ? wassersteinSorted(reference.sorted, current.sorted)
      : wassersteinSketch(reference.quantiles, current.sorted);
    return { score: distance / Math.max(reference.std, WASSERSTEIN_STD_FLOOR), approximate };
  }
  const distribution = distributionFor(test, reference, current);
  const { approximate } = distribution;
  if (test === 'jensenshannon') {
    return { score: jensenShannon(shares(distribution.reference), shares(distribution.current)), approximate };
  }
  if (test === 'psi') {
    return {
      score: populationStabilityIndex(shares(distribution.reference), shares(distribution.current)),
      approximate,
    };
  }
  if (test === 'z') {
    const referenceTotal = distribution.reference.reduce((sum, value) => sum + value, 0);
    const currentTotal = distribution.current.reduce((sum, value) => sum + value, 0);
    // Evidently compares the share of rows that are not the first category.
    const result = twoProportionZTest(
      referenceTotal - distribution.reference[0],
      referenceTotal,
      currentTotal - distribution.current[0],
      currentTotal,
    );
    return { score: result.pValue, pValue: result.pValue, statistic: result.statistic, approximate };
  }
  if (test === 'chisquare-homogeneity') {
    const result = chiSquareHomogeneity(distribution.reference, distribution.current);
    return { score: result.pValue, pValue: result.pValue, statistic: result.statistic, approximate };
  }
  return chiSquareOutcome(distribution);
}

/**
 * Evidently's chi-square: expected = reference counts scaled to the current total. Unseen
 * categories go to one leftover bin with a reference pseudo-count of UNSEEN_CATEGORY_PSEUDO_COUNT (scale adjusted so
 * expected and observed totals agree), so one new value cannot force p = 0 on its own.
 */
function chiSquareOutcome(distribution: Distribution): TestOutcome {
  const seenIndexes = distribution.keys.map((_, i) => i).filter((i) => distribution.reference[i] > 0);
  const leftover = distribution.keys.map((_, i) => i).filter((i) => distribution.reference[i] === 0);
  const observed = seenIndexes.map((i) => distribution.current[i]);
  const referenceCounts = seenIndexes.map((i) => distribution.reference[i]);
  const leftoverObserved = leftover.reduce((sum, i) => sum + distribution.current[i], 0);
  if (leftoverObserved > 0) {
    observed.push(leftoverObserved);
    referenceCounts.push(UNSEEN_CATEGORY_PSEUDO_COUNT);
  }
  const referenceTotal = referenceCounts.reduce((sum, value) => sum + value, 0);
  const currentTotal = observed.reduce((sum, value) => sum + value, 0);
  const expected = referenceCounts.map((count) => (count * currentTotal) / referenceTotal);
  const result = chiSquare(observed, expected);
  return {
    score: result.pValue,
    pValue: result.pValue,
    statistic: result.statistic,
    approximate: distribution.approximate,
    message:
      leftoverObserved > 0
        ? `${leftoverObserved} rows with categories unseen in the reference tested as one leftover bin`
        : undefined,
  };
}

export function driftVerdict(test: DriftTestName, score: number, threshold: number): boolean {
  if (test === 'ks') return score <= threshold;
  if (P_VALUE_TESTS.has(test)) return score < threshold;
  return score >= threshold;
}
