import * as z from 'zod';
import type { DataTable } from '../data/table';
import type { DataSchema } from '../schema/types';
import { timed } from '../timing/phases';
import {
  type CategoricalColumnData,
  ColumnBuffers,
  type ColumnData,
  type NumericColumnData,
  readColumn,
} from './columns';

/**
 * The reference profile: what drift monitoring needs to know about the training data, stored
 * inside every model artifact so a drift run never re-reads training data.
 *
 * Numeric columns keep a quantile sketch of QUANTILE_SKETCH_SIZE = 1,001 quantiles (every 0.1%,
 * numpy's default 'linear' interpolation, exact from the sorted values). Its CDF is within
 * 1/1000 + 1/n of the exact empirical CDF, so a KS statistic computed from it is within 0.001
 * of the exact one and a Wasserstein distance within (max - min) / 1000 (see core/drift/README.md).
 * Columns with at most EXACT_VALUES_LIMIT = 1,000 finite values keep the values themselves, so
 * small references (Evidently's KS / chi-square regime) are tested exactly.
 */
export const PROFILE_FORMAT = 'mlops-profile';
export const PROFILE_FORMAT_VERSION = 1;
export const QUANTILE_SKETCH_SIZE = 1001;
export const EXACT_VALUES_LIMIT = 1000;
/** Numeric columns with at most this many distinct values keep exact value counts (chi-square, z-test, JS on values). */
export const NUMERIC_VALUE_COUNTS_LIMIT = 50;
/** Categorical columns keep the counts of their most frequent values up to this many; the rest are pooled. */
export const TOP_CATEGORIES_LIMIT = 1000;
export const HISTOGRAM_BINS = 30;

const valueCountSchema = z.object({ value: z.string(), count: z.number().int().nonnegative() });

const baseColumnSchema = z.object({
  name: z.string(),
  role: z.enum(['feature', 'target', 'excluded']),
  /** Every row of the profiled table. */
  rows: z.number().int().nonnegative(),
  /** Rows with a usable value (finite number, or a category label). */
  count: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  missingRate: z.number().min(0).max(1),
});

export const numericColumnProfileSchema = baseColumnSchema.extend({
  type: z.literal('numeric'),
  infinityCount: z.number().int().nonnegative(),
  unparseable: z.number().int().nonnegative(),
  mean: z.number().nullable(),
  /** Population standard deviation (ddof 0). */
  std: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  distinctCount: z.number().int().nonnegative(),
  /** QUANTILE_SKETCH_SIZE quantiles at 0, 0.001, ..., 1 (empty when count is 0). */
  quantiles: z.array(z.number()),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) }),
  /** All finite values, sorted, when count <= EXACT_VALUES_LIMIT. */
  values: z.array(z.number()).optional(),
  /** Exact counts per value (String(number)) when distinctCount <= NUMERIC_VALUE_COUNTS_LIMIT. */
  valueCounts: z.array(valueCountSchema).optional(),
});

export const categoricalColumnProfileSchema = baseColumnSchema.extend({
  type: z.enum(['categorical', 'boolean']),
  distinctCount: z.number().int().nonnegative(),
  /** Most frequent values first (ties by value), at most TOP_CATEGORIES_LIMIT. */
  topValues: z.array(valueCountSchema),
  /** Rows holding a value beyond topValues, and how many distinct values they hold. */
  otherCount: z.number().int().nonnegative(),
  otherDistinct: z.number().int().nonnegative(),
});

export const columnProfileSchema = z.discriminatedUnion('type', [
  numericColumnProfileSchema,
  categoricalColumnProfileSchema.extend({ type: z.literal('categorical') }),
  categoricalColumnProfileSchema.extend({ type: z.literal('boolean') }),
]);

export const dataProfileSchema = z.object({
  format: z.literal(PROFILE_FORMAT),
  formatVersion: z.literal(PROFILE_FORMAT_VERSION),
  rowCount: z.number().int().nonnegative(),
  quantileSketchSize: z.number().int().positive(),
  columns: z.array(columnProfileSchema),
  /** Columns present in the data but not profiled (excluded by the schema), so drift does not call them new. */
  ignoredColumns: z.array(z.string()),
});

export type NumericColumnProfile = z.infer<typeof numericColumnProfileSchema>;
export type CategoricalColumnProfile = z.infer<typeof categoricalColumnProfileSchema>;
export type ColumnProfile = z.infer<typeof columnProfileSchema>;
export type DataProfile = z.infer<typeof dataProfileSchema>;

/** numpy.quantile(sorted, i / (size - 1)) for every i, 'linear' interpolation. */
export function quantileSketch(sorted: Float64Array, size = QUANTILE_SKETCH_SIZE): number[] {
  const n = sorted.length;
  if (n === 0) return [];
  const out: number[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const position = ((n - 1) * i) / (size - 1);
    const lower = Math.floor(position);
    const fraction = position - lower;
    const upper = Math.min(lower + 1, n - 1);
    out[i] = fraction === 0 ? sorted[lower] : sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
  }
  return out;
}

/** Mean and population standard deviation, two passes for accuracy. */
export function meanAndStd(values: Float64Array): { mean: number; std: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    squares += d * d;
  }
  return { mean, std: Math.sqrt(squares / n) };
}

/** Distinct values of a sorted array with their counts, in ascending order. */
export function distinctSorted(
  sorted: Float64Array,
  limit = Number.POSITIVE_INFINITY,
): { values: number[]; counts: number[] } {
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) {
      counts[counts.length - 1]++;
    } else {
      if (values.length >= limit) return { values, counts };
      values.push(sorted[i]);
      counts.push(1);
    }
  }
  return { values, counts };
}

function countDistinct(sorted: Float64Array): number {
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  return distinct;
}

function equalWidthHistogram(sorted: Float64Array, bins: number): { edges: number[]; counts: number[] } {
  if (sorted.length === 0) return { edges: [], counts: [] };
  let lo = sorted[0];
  let hi = sorted[sorted.length - 1];
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  const binOf = (value: number) => Math.min(bins - 1, Math.floor((value - lo) / width));
  // binOf is monotone in the value, so on sorted values each bin is one run: find the run ends
  // by binary search with the same formula instead of dividing every value (same counts).
  let start = 0;
  while (start < sorted.length) {
    const bin = binOf(sorted[start]);
    let low = start + 1;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (binOf(sorted[middle]) === bin) low = middle + 1;
      else high = middle;
    }
    counts[bin] += low - start;
    start = low;
  }
  return { edges, counts };
}

type Role = 'feature' | 'target' | 'excluded';

export function profileNumeric(name: string, role: Role, data: NumericColumnData): NumericColumnProfile {
  const { sorted } = data;
  const count = sorted.length;
  const stats = count > 0 ? meanAndStd(sorted) : null;
  const distinctCount = countDistinct(sorted);
  const profile: NumericColumnProfile = {
    name,
    role,
    type: 'numeric',
    rows: data.rows,
    count,
    missing: data.missing,
    missingRate: data.rows > 0 ? data.missing / data.rows : 0,
    infinityCount: data.positiveInfinity + data.negativeInfinity,
    unparseable: data.unparseable,
    mean: stats?.mean ?? null,
    std: stats?.std ?? null,
    min: count > 0 ? sorted[0] : null,
    max: count > 0 ? sorted[count - 1] : null,
    distinctCount,
    quantiles: quantileSketch(sorted),
    histogram: equalWidthHistogram(sorted, HISTOGRAM_BINS),
  };
  if (count <= EXACT_VALUES_LIMIT) profile.values = Array.from(sorted);
  if (distinctCount <= NUMERIC_VALUE_COUNTS_LIMIT) {
    const { values, counts } = distinctSorted(sorted);
    profile.valueCounts = values.map((value, i) => ({ value: String(value), count: counts[i] }));
  }
  return profile;
}

/** Counts sorted by count descending, then by value, so profiles are deterministic. */
export function sortedCounts(counts: Map<string, number>): { value: string; count: number }[] {
  return [...counts.entries()]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

export function profileCategorical(
  name: string,
  role: Role,
  type: 'categorical' | 'boolean',
  data: CategoricalColumnData,
): CategoricalColumnProfile {
  const all = sortedCounts(data.counts);
  const topValues = all.slice(0, TOP_CATEGORIES_LIMIT);
  const rest = all.slice(TOP_CATEGORIES_LIMIT);
  const count = all.reduce((sum, entry) => sum + entry.count, 0);
  return {
    name,
    role,
    type,
    rows: data.rows,
    count,
    missing: data.missing,
    missingRate: data.rows > 0 ? data.missing / data.rows : 0,
    distinctCount: all.length,
    topValues,
    otherCount: rest.reduce((sum, entry) => sum + entry.count, 0),
    otherDistinct: rest.length,
  };
}

export function profileColumn(name: string, role: Role, type: ColumnProfile['type'], data: ColumnData): ColumnProfile {
  if (data.kind === 'numeric') return profileNumeric(name, role, data);
  const profile = profileCategorical(name, role, type === 'boolean' ? 'boolean' : 'categorical', data);
  return type === 'boolean' ? { ...profile, type: 'boolean' } : { ...profile, type: 'categorical' };
}

/**
 * Profiles the features and the target of `table` as typed by `schema`; excluded columns are
 * listed by name only. One column at a time, so peak memory is one column's Float64Array.
 */
export function buildProfile(table: DataTable, schema: DataSchema): DataProfile {
  return timed('profile', () => buildProfileUntimed(table, schema));
}

function buildProfileUntimed(table: DataTable, schema: DataSchema): DataProfile {
  const columns: ColumnProfile[] = [];
  const ignoredColumns: string[] = [];
  const columnBuffers = new ColumnBuffers();
  for (const column of schema.columns) {
    if (column.role === 'excluded') {
      ignoredColumns.push(column.name);
      continue;
    }
    const index = table.columnNames.indexOf(column.name);
    if (index < 0) {
      throw new Error(
        `buildProfile: schema column "${column.name}" is not in the table (columns: ${table.columnNames.join(', ')}); ` +
          'profile the table the schema was inferred from',
      );
    }
    columns.push(
      profileColumn(
        column.name,
        column.role,
        column.type,
        readColumn(table.columns[index], column.type, columnBuffers),
      ),
    );
  }
  for (const name of table.columnNames) {
    if (!schema.columns.some((column) => column.name === name)) ignoredColumns.push(name);
  }
  return {
    format: PROFILE_FORMAT,
    formatVersion: PROFILE_FORMAT_VERSION,
    rowCount: table.rowCount,
    quantileSketchSize: QUANTILE_SKETCH_SIZE,
    columns,
    ignoredColumns,
  };
}

/** Validates a profile read from an artifact; the error names the first problem. */
export function parseProfile(raw: unknown, source = 'profile'): DataProfile {
  const parsed = dataProfileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${source} is not a valid data profile: ${issue.path.join('.') || '(root)'}: ${issue.message}; ` +
        'rebuild it with buildProfile (core/profile)',
    );
  }
  return parsed.data;
}
