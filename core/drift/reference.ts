import type { DataTable } from '../data/table';
import {
  type CategoricalColumnData,
  type ColumnBuffers,
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
  profileColumn,
  profileNumeric,
} from '../profile/profile';
import type { ColumnType, DataSchema } from '../schema/types';

/**
 * The reference side of a drift comparison, one column at a time: exact values read from a
 * table, or the summary a model's profile saved (sorted values or a quantile sketch, top values).
 */

export type Role = 'feature' | 'target' | 'excluded';

/** A reference numeric column: exact sorted values, or the profile's sketch. */
export interface NumericReference {
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

export interface CategoricalReference {
  readonly kind: 'categorical';
  readonly rows: number;
  readonly count: number;
  readonly missing: number;
  readonly counts: Map<string, number>;
  /** Rows and distinct values pooled beyond the profile's top values. */
  readonly otherCount: number;
  readonly otherDistinct: number;
}

export type ReferenceColumn = NumericReference | CategoricalReference;

export interface ReferenceSpec {
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

export function referenceSpecs(
  reference: DataProfile | DataTable,
  schema: DataSchema | undefined,
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
    const declared = schema?.columns.find((column) => column.name === name);
    if (schema && (!declared || declared.role === 'excluded')) {
      ignored.add(name);
      return;
    }
    const type = declared?.type ?? guessColumnType(table.columns[index]);
    const role: Role = declared?.role ?? (schema?.target === name ? 'target' : 'feature');
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

export function numericValueCounts(reference: NumericReference): Map<string, number> | null {
  if (reference.valueCounts) return reference.valueCounts;
  if (!reference.sorted) return null;
  const { values, counts } = distinctSorted(reference.sorted);
  return new Map(values.map((value, i) => [String(value), counts[i]]));
}

export function sortedValueCounts(sorted: Float64Array): Map<string, number> {
  const { values, counts } = distinctSorted(sorted);
  return new Map(values.map((value, i) => [String(value), counts[i]]));
}

/** Number of distinct values over reference and current together, counted up to `cap`. */
export function unionUniqueCount(reference: ReferenceColumn, current: ColumnData, cap: number): number {
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
