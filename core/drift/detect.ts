import type { DataTable } from '../data/table';
import {
  type CategoricalColumnData,
  ColumnBuffers,
  type ColumnData,
  guessColumnType,
  type NumericColumnData,
  readColumn,
} from '../profile/columns';
import {
  type ColumnProfile,
  type DataProfile,
  distinctSorted,
  type NumericColumnProfile,
  PROFILE_FORMAT,
  PROFILE_FORMAT_VERSION,
  profileColumn,
  profileNumeric,
  QUANTILE_SKETCH_SIZE,
} from '../profile/profile';
import type { ColumnType, DataSchema } from '../schema/types';
import { cellToNumber } from '../schema/values';
import type { ColumnDrift, DriftReport, DriftTestName, SchemaDrift, SchemaFinding, Severity } from './report';
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

/** Thresholds users know from Evidently: p-value tests drift below 0.05, distances at or above 0.1. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTestName, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  'chisquare-homogeneity': 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};
export const P_VALUE_TESTS: ReadonlySet<DriftTestName> = new Set(['ks', 'chisquare', 'chisquare-homogeneity', 'z']);
/** Evidently switches from p-value tests to distances above this many reference rows. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Below this many usable rows on either side a column gets "not enough data" instead of a verdict. */
export const DEFAULT_MIN_ROWS = 30;
export const DEFAULT_DRIFT_SHARE = 0.5;
/** Wasserstein is normed by the reference standard deviation, floored so constant columns do not divide by 0. */
export const WASSERSTEIN_STD_FLOOR = 0.001;
/**
 * Categories never seen in the reference are pooled into one leftover bin whose reference count
 * is this pseudo-count (half a row), instead of 0, which would make chi-square infinite.
 */
export const UNSEEN_CATEGORY_PSEUDO_COUNT = 0.5;
/** Absolute change in missing rate reported as a finding; `high` from MISSING_RATE_HIGH. */
export const MISSING_RATE_CHANGE = 0.05;
export const MISSING_RATE_HIGH = 0.2;
/** A new column carried by at least this share of rows, or new categories in this share, suggest a retrain. */
export const NEW_COLUMN_RETRAIN_SHARE = 0.5;
export const NEW_CATEGORY_RETRAIN_SHARE = 0.1;

export interface ColumnDriftOverride {
  readonly test?: DriftTestName;
  readonly threshold?: number;
}

export interface DriftOptions {
  /** Dataset drift when drifted / tested columns reaches this share. @default 0.5 */
  readonly driftShare?: number;
  /** Multiple-testing correction over the p-value tests. @default 'none' */
  readonly correction?: 'none' | 'bonferroni' | 'benjamini-hochberg';
  /** Per-column test and threshold. */
  readonly columns?: Readonly<Record<string, ColumnDriftOverride>>;
  /** Per-test thresholds replacing DEFAULT_THRESHOLDS. */
  readonly thresholds?: Partial<Record<DriftTestName, number>>;
  /** @default 30 */
  readonly minReferenceRows?: number;
  /** @default 30 */
  readonly minCurrentRows?: number;
  /** Column types and roles of a reference given as a table; absent: guessed from the values. */
  readonly schema?: DataSchema;
  /** Report timestamp. @default new Date() */
  readonly now?: Date;
}

export class DriftConfigError extends Error {
  override readonly name = 'DriftConfigError';
}

type Role = 'feature' | 'target' | 'excluded';

/** A reference numeric column: exact sorted values, or the profile's sketch. */
interface NumericReference {
  readonly kind: 'numeric';
  readonly rows: number;
  readonly count: number;
  readonly missing: number;
  readonly infinities: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly distinct: number;
  readonly sorted: Float64Array | null;
  readonly quantiles: readonly number[];
  readonly valueCounts: Map<string, number> | null;
}

interface CategoricalReference {
  readonly kind: 'categorical';
  readonly rows: number;
  readonly count: number;
  readonly missing: number;
  readonly counts: Map<string, number>;
  /** Rows and distinct values pooled beyond the profile's top values. */
  readonly otherCount: number;
  readonly otherDistinct: number;
}

type ReferenceColumn = NumericReference | CategoricalReference;

interface ReferenceSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly role: Role;
  /** Builds the column's reference (reads the table column, or unpacks the profile). */
  load(): { reference: ReferenceColumn; profile: ColumnProfile };
}

/** The profile was just built from the same data: its std and distinct count are reused, not recomputed. */
function numericReferenceFromData(data: NumericColumnData, profile: NumericColumnProfile): NumericReference {
  const { sorted } = data;
  const count = sorted.length;
  return {
    kind: 'numeric',
    rows: data.rows,
    count,
    missing: data.missing,
    infinities: data.positiveInfinity + data.negativeInfinity,
    std: profile.std ?? 0,
    min: count > 0 ? sorted[0] : Number.NaN,
    max: count > 0 ? sorted[count - 1] : Number.NaN,
    distinct: profile.distinctCount,
    sorted,
    quantiles: [],
    valueCounts: null,
  };
}

function categoricalReferenceFromData(data: CategoricalColumnData): CategoricalReference {
  let count = 0;
  for (const value of data.counts.values()) count += value;
  return {
    kind: 'categorical',
    rows: data.rows,
    count,
    missing: data.missing,
    counts: data.counts,
    otherCount: 0,
    otherDistinct: 0,
  };
}

function referenceFromProfile(profile: ColumnProfile): ReferenceColumn {
  if (profile.type === 'numeric') {
    return {
      kind: 'numeric',
      rows: profile.rows,
      count: profile.count,
      missing: profile.missing,
      infinities: profile.infinityCount,
      std: profile.std ?? 0,
      min: profile.min ?? Number.NaN,
      max: profile.max ?? Number.NaN,
      distinct: profile.distinctCount,
      sorted: profile.values ? Float64Array.from(profile.values) : null,
      quantiles: profile.quantiles,
      valueCounts: profile.valueCounts ? new Map(profile.valueCounts.map((entry) => [entry.value, entry.count])) : null,
    };
  }
  return {
    kind: 'categorical',
    rows: profile.rows,
    count: profile.count,
    missing: profile.missing,
    counts: new Map(profile.topValues.map((entry) => [entry.value, entry.count])),
    otherCount: profile.otherCount,
    otherDistinct: profile.otherDistinct,
  };
}

function referenceSpecs(
  reference: DataProfile | DataTable,
  options: DriftOptions,
  columnBuffers: ColumnBuffers,
): { specs: ReferenceSpec[]; ignored: Set<string>; rows: number } {
  if ('format' in reference) {
    const specs = reference.columns.map(
      (column): ReferenceSpec => ({
        name: column.name,
        type: column.type,
        role: column.role,
        load: () => ({ reference: referenceFromProfile(column), profile: column }),
      }),
    );
    return { specs, ignored: new Set(reference.ignoredColumns), rows: reference.rowCount };
  }
  const table = reference;
  const ignored = new Set<string>();
  const specs: ReferenceSpec[] = [];
  table.columnNames.forEach((name, index) => {
    const declared = options.schema?.columns.find((column) => column.name === name);
    if (options.schema && (!declared || declared.role === 'excluded')) {
      ignored.add(name);
      return;
    }
    const type = declared?.type ?? guessColumnType(table.columns[index]);
    const role: Role = declared?.role ?? (options.schema?.target === name ? 'target' : 'feature');
    specs.push({
      name,
      type,
      role,
      load: () => {
        const data = readColumn(table.columns[index], type, columnBuffers, 0);
        if (data.kind === 'numeric') {
          const profile = profileNumeric(name, role, data);
          return { reference: numericReferenceFromData(data, profile), profile };
        }
        return { reference: categoricalReferenceFromData(data), profile: profileColumn(name, role, type, data) };
      },
    });
  });
  return { specs, ignored, rows: table.rowCount };
}

function numericValueCounts(reference: NumericReference): Map<string, number> | null {
  if (reference.valueCounts) return reference.valueCounts;
  if (!reference.sorted) return null;
  const { values, counts } = distinctSorted(reference.sorted);
  return new Map(values.map((value, i) => [String(value), counts[i]]));
}

function sortedValueCounts(sorted: Float64Array): Map<string, number> {
  const { values, counts } = distinctSorted(sorted);
  return new Map(values.map((value, i) => [String(value), counts[i]]));
}

/** Number of distinct values over reference and current together, counted up to `cap`. */
function unionUniqueCount(reference: ReferenceColumn, current: ColumnData, cap: number): number {
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    if (reference.distinct >= cap) return cap;
    const referenceKeys = numericValueCounts(reference);
    const keys = new Set(referenceKeys ? referenceKeys.keys() : []);
    const currentDistinct = distinctSorted(current.sorted, cap + 1).values;
    for (const value of currentDistinct) {
      keys.add(String(value));
      if (keys.size >= cap) return cap;
    }
    return keys.size;
  }
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const keys = new Set(reference.counts.keys());
    for (const key of current.counts.keys()) keys.add(key);
    return Math.min(cap, keys.size + reference.otherDistinct);
  }
  return cap;
}

/** A column's threshold: its own override, else the per-test option, else the default for the test. */
function thresholdFor(test: DriftTestName, override: ColumnDriftOverride | undefined, options: DriftOptions): number {
  return override?.threshold ?? options.thresholds?.[test] ?? DEFAULT_THRESHOLDS[test];
}

/**
 * Evidently's default selection by reference size, column type and distinct values over both
 * samples, with one deliberate difference: categorical p-values use the two-sample chi-square
 * (`chisquare-homogeneity`), because Evidently's goodness-of-fit form treats the reference as
 * exact and flags a third of same-distribution pairs (see README). `chisquare` stays selectable.
 */
export function defaultTest(type: ColumnType, referenceCount: number, uniqueCount: number): DriftTestName {
  if (referenceCount <= SMALL_REFERENCE_ROWS) {
    if (type === 'numeric' && uniqueCount > 5) return 'ks';
    return uniqueCount > 2 ? 'chisquare-homogeneity' : 'z';
  }
  if (type === 'numeric' && uniqueCount > 5) return 'wasserstein';
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

/** Evidently: values as categories, except numeric columns with more than 20 reference values, which are binned (JS, PSI). */
function distributionFor(test: DriftTestName, reference: ReferenceColumn, current: ColumnData): Distribution {
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    return categoryDistribution(reference.counts, reference.otherCount, current.counts);
  }
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const binned = (test === 'jensenshannon' || test === 'psi') && reference.distinct > 20;
    const referenceCounts = binned ? null : numericValueCounts(reference);
    if (referenceCounts) return categoryDistribution(referenceCounts, 0, sortedValueCounts(current.sorted));
    return binnedDistribution(reference, current);
  }
  throw new Error('reference and current column kinds differ');
}

interface TestOutcome {
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

function runTest(test: DriftTestName, reference: ReferenceColumn, current: ColumnData): TestOutcome {
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
 * categories go to one leftover bin with a reference pseudo-count of 0.5 (scale adjusted so
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

function driftVerdict(test: DriftTestName, score: number, threshold: number): boolean {
  if (test === 'ks') return score <= threshold;
  if (P_VALUE_TESTS.has(test)) return score < threshold;
  return score >= threshold;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.01 && share > 0 ? 2 : 1)}%`;
}

function severityOfMissingChange(change: number): Severity {
  return change >= MISSING_RATE_HIGH ? 'high' : change >= MISSING_RATE_CHANGE ? 'warning' : 'info';
}

/** Applies Bonferroni or Benjamini-Hochberg to the p-values of tested p-value columns, in place of their verdicts. */
function applyCorrection(columns: ColumnDrift[], correction: DriftOptions['correction']): ColumnDrift[] {
  if (!correction || correction === 'none') return columns;
  const tested = columns
    .map((column, index) => ({ column, index }))
    .filter(({ column }) => column.status === 'ok' && column.pValue !== undefined);
  const m = tested.length;
  if (m === 0) return columns;
  const adjusted = new Map<number, number>();
  if (correction === 'bonferroni') {
    for (const { column, index } of tested) adjusted.set(index, Math.min(1, column.pValue! * m));
  } else {
    const ordered = [...tested].sort((a, b) => a.column.pValue! - b.column.pValue!);
    let running = 1;
    for (let rank = m; rank >= 1; rank--) {
      const { column, index } = ordered[rank - 1];
      running = Math.min(running, (column.pValue! * m) / rank);
      adjusted.set(index, Math.min(1, running));
    }
  }
  return columns.map((column, index) => {
    const value = adjusted.get(index);
    if (value === undefined) return column;
    return { ...column, adjustedPValue: value, drift: driftVerdict(column.test, value, column.threshold) };
  });
}

export interface DriftAnalysis {
  readonly report: DriftReport;
  /** Profiles of both sides, for the HTML report (the reference one is the input profile when one was given). */
  readonly referenceProfile: DataProfile;
  readonly currentProfile: DataProfile;
}

/** Share of non-missing current cells that are not valid for the reference type, and the type they suggest. */
function typeMismatch(
  type: ColumnType,
  reference: ReferenceColumn,
  current: ColumnData,
): { to: ColumnType; share: number } | null {
  if (type === 'numeric' && current.kind === 'numeric') {
    const present = current.sorted.length + current.unparseable;
    const share = present > 0 ? current.unparseable / present : 0;
    return share > 0.5 ? { to: 'categorical', share } : null;
  }
  if (type === 'boolean' && current.kind === 'categorical') {
    let other = 0;
    let present = 0;
    for (const [key, count] of current.counts) {
      present += count;
      if (key !== 'true' && key !== 'false') other += count;
    }
    const share = present > 0 ? other / present : 0;
    return share > 0.5 ? { to: 'categorical', share } : null;
  }
  if (type === 'categorical' && reference.kind === 'categorical' && current.kind === 'categorical') {
    const referenceNumeric = [...reference.counts.keys()].some((key) => !Number.isNaN(Number(key)));
    if (referenceNumeric || current.counts.size === 0) return null;
    let numeric = 0;
    let present = 0;
    for (const [key, count] of current.counts) {
      present += count;
      if (!Number.isNaN(cellToNumber(key))) numeric += count;
    }
    const share = present > 0 ? numeric / present : 0;
    return share > 0.5 ? { to: 'numeric', share } : null;
  }
  return null;
}

/**
 * Compares `current` with `reference` (a profile from a model artifact, or a table) column by
 * column and for schema changes. Columns are processed one at a time so only one column's sorted
 * values are alive at once. Never throws for data problems: they become findings.
 */
export function analyzeDrift(
  reference: DataProfile | DataTable,
  current: DataTable,
  options: DriftOptions = {},
): DriftAnalysis {
  const driftShareThreshold = options.driftShare ?? DEFAULT_DRIFT_SHARE;
  const minReferenceRows = options.minReferenceRows ?? DEFAULT_MIN_ROWS;
  const minCurrentRows = options.minCurrentRows ?? DEFAULT_MIN_ROWS;
  if (!(driftShareThreshold > 0 && driftShareThreshold <= 1)) {
    throw new DriftConfigError(`driftShare must be in (0, 1]; received ${driftShareThreshold}`);
  }
  // Slot 0 holds the reference column's values, slot 1 the current one's, reused column after column.
  const columnBuffers = new ColumnBuffers();
  const { specs, ignored, rows: referenceRows } = referenceSpecs(reference, options, columnBuffers);
  for (const name of Object.keys(options.columns ?? {})) {
    if (!specs.some((spec) => spec.name === name)) {
      throw new DriftConfigError(
        `drift override for column "${name}", which the reference does not have; columns are: ${specs.map((s) => s.name).join(', ')}`,
      );
    }
  }

  const findings: SchemaFinding[] = [];
  const schema: Omit<SchemaDrift, 'findings'> = {
    newColumns: [],
    missingColumns: [],
    typeChanges: [],
    newCategories: [],
    vanishedCategories: [],
    missingRateChanges: [],
    infinities: [],
  };
  const retrainReasons: string[] = [];
  const referenceProfiles: ColumnProfile[] = [];
  const currentProfiles: ColumnProfile[] = [];
  let columns: ColumnDrift[] = [];

  for (const spec of specs) {
    const override = options.columns?.[spec.name];
    const { reference: ref, profile: referenceProfile } = spec.load();
    referenceProfiles.push(referenceProfile);
    const referenceMissingRate = ref.rows > 0 ? ref.missing / ref.rows : 0;
    const base = {
      name: spec.name,
      type: spec.type,
      role: spec.role,
      reference: { rows: ref.rows, count: ref.count, missingRate: referenceMissingRate },
    };
    const index = current.columnNames.indexOf(spec.name);
    if (index < 0) {
      const test = override?.test ?? defaultTest(spec.type, ref.count, 6);
      const severity: Severity = spec.role === 'feature' ? 'high' : 'info';
      schema.missingColumns.push({ name: spec.name, role: spec.role });
      findings.push({
        kind: 'missingColumn',
        column: spec.name,
        severity,
        message:
          spec.role === 'target'
            ? `target "${spec.name}" is not in the current data (expected for inference traffic)`
            : `${spec.role} "${spec.name}" is missing from the current data`,
      });
      if (spec.role === 'feature') retrainReasons.push(`feature "${spec.name}" is missing from the current data`);
      columns.push({
        ...base,
        test,
        score: null,
        threshold: thresholdFor(test, override, options),
        drift: false,
        status: 'missing',
        approximate: false,
        current: { rows: current.rowCount, count: 0, missingRate: 1 },
        message: 'column missing from the current data',
      });
      continue;
    }

    const cells = current.columns[index];
    const cur = readColumn(cells, spec.type, columnBuffers, 1);
    currentProfiles.push(profileColumn(spec.name, spec.role, spec.type, cur));
    const currentCount = cur.kind === 'numeric' ? cur.sorted.length : cur.rows - cur.missing;
    const currentMissingRate = cur.rows > 0 ? cur.missing / cur.rows : 0;
    const currentSide = { rows: cur.rows, count: currentCount, missingRate: currentMissingRate };

    const mismatch = typeMismatch(spec.type, ref, cur);
    if (mismatch) {
      const test = override?.test ?? defaultTest(spec.type, ref.count, 6);
      schema.typeChanges.push({ column: spec.name, from: spec.type, to: mismatch.to, share: mismatch.share });
      findings.push({
        kind: 'typeChange',
        column: spec.name,
        severity: 'high',
        message: `"${spec.name}" was ${spec.type} in the reference; ${percent(mismatch.share)} of current values read as ${mismatch.to}`,
      });
      retrainReasons.push(`column "${spec.name}" changed type from ${spec.type} to ${mismatch.to}`);
      columns.push({
        ...base,
        test,
        score: null,
        threshold: thresholdFor(test, override, options),
        drift: false,
        status: 'type-changed',
        approximate: false,
        current: currentSide,
        message: `values are now ${mismatch.to}`,
      });
      continue;
    }

    const missingChange = Math.abs(currentMissingRate - referenceMissingRate);
    if (missingChange >= MISSING_RATE_CHANGE || (referenceMissingRate === 0 && currentMissingRate > 0)) {
      const severity = severityOfMissingChange(missingChange);
      schema.missingRateChanges.push({
        column: spec.name,
        reference: referenceMissingRate,
        current: currentMissingRate,
      });
      findings.push({
        kind: 'missingRateChange',
        column: spec.name,
        severity,
        message: `missing values in "${spec.name}": ${percent(referenceMissingRate)} in the reference, ${percent(currentMissingRate)} now`,
      });
      if (severity === 'high' && spec.role === 'feature') {
        retrainReasons.push(
          `missing values in "${spec.name}" went from ${percent(referenceMissingRate)} to ${percent(currentMissingRate)}`,
        );
      }
    }
    if (ref.kind === 'numeric' && cur.kind === 'numeric') {
      const currentInfinities = cur.positiveInfinity + cur.negativeInfinity;
      if (currentInfinities > 0) {
        const referenceShare = ref.rows > 0 ? ref.infinities / ref.rows : 0;
        const currentShare = currentInfinities / cur.rows;
        schema.infinities.push({ column: spec.name, reference: ref.infinities, current: currentInfinities });
        findings.push({
          kind: 'infinities',
          column: spec.name,
          severity: currentShare > referenceShare * 2 ? 'warning' : 'info',
          message: `${currentInfinities} infinite values in "${spec.name}" (${percent(currentShare)} of rows; reference ${percent(referenceShare)}), excluded from the test`,
        });
      }
      if (cur.unparseable > 0) {
        findings.push({
          kind: 'unparseableValues',
          column: spec.name,
          severity: 'warning',
          message: `${cur.unparseable} values in numeric "${spec.name}" are not numbers, excluded from the test`,
        });
      }
    }
    if (ref.kind === 'categorical' && cur.kind === 'categorical') {
      categoryFindings(spec.name, spec.role, ref, cur, schema, findings, retrainReasons);
    }

    const uniqueCount = unionUniqueCount(ref, cur, 6);
    const test = override?.test ?? defaultTest(spec.type, ref.count, uniqueCount);
    const threshold = thresholdFor(test, override, options);
    if (ref.count < minReferenceRows || currentCount < minCurrentRows) {
      columns.push({
        ...base,
        test,
        score: null,
        threshold,
        drift: false,
        status: 'not-enough-data',
        approximate: false,
        current: currentSide,
        message: `not enough data: ${ref.count} reference and ${currentCount} current values (minimum ${minReferenceRows} and ${minCurrentRows})`,
      });
      continue;
    }
    let outcome: TestOutcome;
    try {
      outcome = runTest(test, ref, cur);
    } catch (error) {
      if (error instanceof DriftConfigError) {
        throw new DriftConfigError(`column "${spec.name}" (${spec.type}): ${error.message}`);
      }
      throw error;
    }
    columns.push({
      ...base,
      test,
      score: outcome.score,
      threshold,
      drift: driftVerdict(test, outcome.score, threshold),
      ...(outcome.pValue !== undefined ? { pValue: outcome.pValue } : {}),
      ...(outcome.statistic !== undefined ? { statistic: outcome.statistic } : {}),
      status: 'ok',
      approximate: outcome.approximate,
      current: currentSide,
      ...(outcome.message ? { message: outcome.message } : {}),
    });
  }

  for (let index = 0; index < current.columnNames.length; index++) {
    const name = current.columnNames[index];
    if (ignored.has(name) || specs.some((spec) => spec.name === name)) continue;
    const cells = current.columns[index];
    let present = 0;
    for (const cell of cells) if (cell !== null && cell !== '') present++;
    const presentShare = current.rowCount > 0 ? present / current.rowCount : 0;
    const type = guessColumnType(cells);
    schema.newColumns.push({ name, presentShare, type });
    const suggests = presentShare >= NEW_COLUMN_RETRAIN_SHARE;
    findings.push({
      kind: 'newColumn',
      column: name,
      severity: suggests ? 'warning' : 'info',
      message: `new ${type} column "${name}" carried by ${percent(presentShare)} of rows`,
    });
    if (suggests) retrainReasons.push(`new column "${name}" is present in ${percent(presentShare)} of rows`);
  }

  columns = applyCorrection(columns, options.correction);
  const tested = columns.filter((column) => column.status === 'ok');
  const driftedColumns = tested.filter((column) => column.drift).length;
  const driftShare = tested.length > 0 ? driftedColumns / tested.length : 0;
  const datasetDrift = tested.length > 0 && driftShare >= driftShareThreshold;
  if (datasetDrift) {
    retrainReasons.unshift(
      `dataset drift: ${driftedColumns} of ${tested.length} columns drifted (share ${driftShare.toFixed(2)} >= ${driftShareThreshold})`,
    );
  }

  const report: DriftReport = {
    datasetDrift,
    driftShare,
    driftShareThreshold,
    driftedColumns,
    columnCount: tested.length,
    correction: options.correction ?? 'none',
    columns,
    schema: { ...schema, findings },
    suggestsRetrain: retrainReasons.length > 0,
    retrainReasons,
    reference: { rows: referenceRows, source: 'format' in reference ? 'profile' : 'table' },
    current: { rows: current.rowCount },
    generatedAt: (options.now ?? new Date()).toISOString(),
  };
  const profileOf = (columns: ColumnProfile[], rowCount: number, ignoredColumns: string[]): DataProfile => ({
    format: PROFILE_FORMAT,
    formatVersion: PROFILE_FORMAT_VERSION,
    rowCount,
    quantileSketchSize: QUANTILE_SKETCH_SIZE,
    columns,
    ignoredColumns,
  });
  return {
    report,
    referenceProfile: 'format' in reference ? reference : profileOf(referenceProfiles, referenceRows, [...ignored]),
    currentProfile: profileOf(currentProfiles, current.rowCount, []),
  };
}

function categoryFindings(
  name: string,
  role: Role,
  ref: CategoricalReference,
  cur: CategoricalColumnData,
  schema: Omit<SchemaDrift, 'findings'>,
  findings: SchemaFinding[],
  retrainReasons: string[],
): void {
  const currentCount = cur.rows - cur.missing;
  if (ref.otherDistinct === 0) {
    const unseen = [...cur.counts.entries()].filter(([key]) => !ref.counts.has(key));
    if (unseen.length > 0) {
      const rows = unseen.reduce((sum, [, count]) => sum + count, 0);
      const share = currentCount > 0 ? rows / currentCount : 0;
      const categories = unseen
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([value, count]) => ({ value, count }));
      schema.newCategories.push({ column: name, categories, rows, share });
      const listed = categories
        .slice(0, 5)
        .map((entry) => `"${entry.value}" (${entry.count})`)
        .join(', ');
      findings.push({
        kind: 'newCategories',
        column: name,
        severity: share >= NEW_CATEGORY_RETRAIN_SHARE ? 'warning' : 'info',
        message: `${categories.length} new ${categories.length === 1 ? 'category' : 'categories'} in "${name}" in ${percent(share)} of rows: ${listed}${categories.length > 5 ? ', ...' : ''}`,
      });
      if (share >= NEW_CATEGORY_RETRAIN_SHARE && role === 'feature') {
        retrainReasons.push(`"${name}" has categories unseen in training in ${percent(share)} of rows`);
      }
    }
  }
  const vanished = [...ref.counts.entries()].filter(([key]) => !cur.counts.has(key));
  if (vanished.length > 0 && currentCount > 0) {
    const referenceRows = vanished.reduce((sum, [, count]) => sum + count, 0);
    const referenceShare = ref.count > 0 ? referenceRows / ref.count : 0;
    const categories = vanished.map(([value, count]) => ({ value, count }));
    schema.vanishedCategories.push({ column: name, categories, referenceShare });
    findings.push({
      kind: 'vanishedCategories',
      column: name,
      severity: referenceShare >= 0.05 ? 'warning' : 'info',
      message: `${categories.length} reference ${categories.length === 1 ? 'category' : 'categories'} of "${name}" absent now (${percent(referenceShare)} of reference rows)`,
    });
  }
}

/** The drift report only (see analyzeDrift). */
export function computeDriftReport(
  reference: DataProfile | DataTable,
  current: DataTable,
  options: DriftOptions = {},
): DriftReport {
  return analyzeDrift(reference, current, options).report;
}
