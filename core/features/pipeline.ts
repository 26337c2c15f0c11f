import * as z from 'zod';
import type { Cell, DataTable } from '../data/table';
import { selectFloat64 } from '../profile/columns';
import type { ColumnSchema } from '../schema/types';
import { cellToBoolean, cellToCategory, cellToNumber, numbersOfColumn } from '../schema/values';
import { timed } from '../timing/phases';
import type { FeatureInfo, FeatureMatrix } from './matrix';

/**
 * The feature pipeline: one implementation for training and serving. `fitPipeline` learns its
 * parameters (imputation values, category codes) from the training rows; the JSON travels in the
 * model artifact, and `transformTable` / `transformRecord` apply exactly the same arithmetic, so
 * serving computes what training computed.
 */

const OTHER = '__other__';
const MISSING = '__missing__';

const numericStep = z.object({
  kind: z.literal('numeric'),
  column: z.string(),
  /** Training median, used for missing and non-finite values. */
  fill: z.number(),
  /** Adds `<column>__missing` (0/1) when training saw missing values. */
  missingIndicator: z.boolean(),
  /**
   * True: missing and non-finite values reach the model as NaN, and `fill` is unused (imported
   * XGBoost and LightGBM models route NaN by their trees' default directions). Absent in every
   * artifact our trainer writes, which impute.
   */
  keepMissing: z.literal(true).optional(),
});
const booleanStep = z.object({
  kind: z.literal('boolean'),
  column: z.string(),
  /** The training majority (0 or 1), used for missing values. */
  fill: z.union([z.literal(0), z.literal(1)]),
  missingIndicator: z.boolean(),
});
const categoricalStep = z.object({
  kind: z.literal('categorical'),
  column: z.string(),
  /** [label, code] pairs; pairs, not an object, so a label such as `__proto__` is plain data. */
  codes: z.array(z.tuple([z.string(), z.number().int().nonnegative()])),
  /** Code for rare categories and categories never seen in training. */
  otherCode: z.number().int().nonnegative(),
  missingCode: z.number().int().nonnegative(),
  cardinality: z.number().int().positive(),
  /**
   * True: a missing label, and a label not in `codes`, reach the model as NaN, and `otherCode` and
   * `missingCode` are unused (an imported forest's categorical feature: its trees route NaN by their
   * default directions). Absent in every artifact our trainer writes.
   */
  keepMissing: z.literal(true).optional(),
});
export const pipelineSchema = z.object({
  steps: z.array(z.discriminatedUnion('kind', [numericStep, booleanStep, categoricalStep])),
});
export type PipelineJson = z.infer<typeof pipelineSchema>;
type Step = PipelineJson['steps'][number];

export interface PipelineOptions {
  /** Categories seen fewer times than this in training share the "other" code. @default 5 */
  readonly minCategoryCount?: number;
  /** At most this many categories keep a code of their own (the most frequent). @default 100 */
  readonly maxCategories?: number;
  /** Pseudo-count that pulls a category's target mean towards the global mean when ordering codes. @default 10 */
  readonly smoothing?: number;
}

/** The median of finite `values`, which it reorders in place (a selection, not a sort: O(n)). */
function median(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  const upper = selectFloat64(values, mid);
  if (n % 2 === 1) return upper;
  // Everything before `mid` is <= values[mid]: the lower middle is their maximum.
  let lower = values[0];
  for (let i = 1; i < mid; i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

function fitNumeric(column: ReadonlyArray<Cell>, rows: ArrayLike<number>, name: string): Step {
  const numbers = numbersOfColumn(column);
  const finite = new Float64Array(rows.length);
  let count = 0;
  for (let i = 0; i < rows.length; i++) {
    const value = numbers[rows[i]];
    if (Number.isFinite(value)) finite[count++] = value;
  }
  return {
    kind: 'numeric',
    column: name,
    fill: median(finite.subarray(0, count)),
    missingIndicator: count < rows.length,
  };
}

function fitBoolean(column: ReadonlyArray<Cell>, rows: ArrayLike<number>, name: string): Step {
  let trues = 0;
  let present = 0;
  for (let i = 0; i < rows.length; i++) {
    const value = cellToBoolean(column[rows[i]]);
    if (value === null) continue;
    present++;
    if (value) trues++;
  }
  return { kind: 'boolean', column: name, fill: trues * 2 > present ? 1 : 0, missingIndicator: present < rows.length };
}

function fitCategorical(
  column: ReadonlyArray<Cell>,
  rows: ArrayLike<number>,
  name: string,
  target: Float64Array,
  options: Required<PipelineOptions>,
): Step {
  const stats = new Map<string, { count: number; sum: number }>();
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const label = cellToCategory(column[row]) ?? MISSING;
    const entry = stats.get(label) ?? { count: 0, sum: 0 };
    entry.count++;
    entry.sum += target[row];
    total += target[row];
    stats.set(label, entry);
  }
  const prior = rows.length === 0 ? 0 : total / rows.length;
  const kept = [...stats.entries()]
    .filter(([label, entry]) => label !== MISSING && entry.count >= options.minCategoryCount)
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.maxCategories);
  const keptLabels = new Set(kept.map(([label]) => label));
  const other = { count: 0, sum: 0 };
  for (const [label, entry] of stats) {
    if (label === MISSING || keptLabels.has(label)) continue;
    other.count += entry.count;
    other.sum += entry.sum;
  }
  const buckets: Array<[string, { count: number; sum: number }]> = [
    ...kept,
    [OTHER, other],
    [MISSING, stats.get(MISSING) ?? { count: 0, sum: 0 }],
  ];
  const smoothedMean = (entry: { count: number; sum: number }) =>
    (entry.sum + options.smoothing * prior) / (entry.count + options.smoothing);
  // Ordering codes by the target's mean makes an ordinal threshold split on codes a meaningful split.
  buckets.sort((a, b) => smoothedMean(a[1]) - smoothedMean(b[1]) || (a[0] < b[0] ? -1 : 1));
  const codeOf = new Map(buckets.map(([label], code) => [label, code]));
  return {
    kind: 'categorical',
    column: name,
    codes: kept.map(([label]) => [label, codeOf.get(label)!] as [string, number]).sort((a, b) => a[1] - b[1]),
    otherCode: codeOf.get(OTHER)!,
    missingCode: codeOf.get(MISSING)!,
    cardinality: buckets.length,
  };
}

/**
 * Fits the pipeline on `rows` of `table` (the training split only, so validation rows never
 * leak into imputation values or category ordering).
 */
export function fitPipeline(
  table: DataTable,
  features: readonly ColumnSchema[],
  rows: ArrayLike<number>,
  target: Float64Array,
  options: PipelineOptions = {},
): Pipeline {
  return timed('pipeline', () => fitPipelineUntimed(table, features, rows, target, options));
}

function fitPipelineUntimed(
  table: DataTable,
  features: readonly ColumnSchema[],
  rows: ArrayLike<number>,
  target: Float64Array,
  options: PipelineOptions,
): Pipeline {
  const resolved: Required<PipelineOptions> = {
    minCategoryCount: options.minCategoryCount ?? 5,
    maxCategories: options.maxCategories ?? 100,
    smoothing: options.smoothing ?? 10,
  };
  const steps = features.map((feature): Step => {
    const column = table.columns[table.columnNames.indexOf(feature.name)];
    if (!column) throw new Error(`feature column "${feature.name}" is not in the table`);
    if (feature.type === 'numeric') return fitNumeric(column, rows, feature.name);
    if (feature.type === 'boolean') return fitBoolean(column, rows, feature.name);
    return fitCategorical(column, rows, feature.name, target, resolved);
  });
  return new Pipeline({ steps });
}

type CompiledStep =
  | { kind: 'numeric'; column: string; fill: number; indicator: boolean }
  | { kind: 'boolean'; column: string; fill: number; indicator: boolean }
  | { kind: 'categorical'; column: string; codes: Map<string, number>; otherCode: number; missingCode: number };

export class Pipeline {
  readonly features: readonly FeatureInfo[];
  /** The raw input columns the pipeline reads, in order. */
  readonly inputColumns: readonly string[];
  /**
   * For each feature, the index in `inputColumns` of the column it comes from: a numeric or
   * boolean column and its `__missing` indicator both map to that column (how explanations fold
   * feature contributions back to what the caller sent).
   */
  readonly inputOfFeature: Int32Array;
  private readonly compiled: readonly CompiledStep[];

  constructor(readonly json: PipelineJson) {
    const features: FeatureInfo[] = [];
    this.compiled = json.steps.map((step): CompiledStep => {
      if (step.kind === 'categorical') {
        features.push({ name: step.column, kind: 'categorical', cardinality: step.cardinality });
        return {
          kind: 'categorical',
          column: step.column,
          codes: new Map(step.codes),
          // keepMissing: a missing or unseen label reaches the model as NaN, as a numeric step's NaN fill
          // does (pandas codes a label outside the training categories as missing, too).
          otherCode: step.keepMissing ? Number.NaN : step.otherCode,
          missingCode: step.keepMissing ? Number.NaN : step.missingCode,
        };
      }
      features.push({ name: step.column, kind: step.kind === 'numeric' ? 'numeric' : 'binary' });
      // A NaN fill makes `encode` and `transformTable` pass missing values through unchanged.
      if (step.kind === 'numeric' && step.keepMissing) {
        return { kind: 'numeric', column: step.column, fill: Number.NaN, indicator: false };
      }
      if (step.missingIndicator) features.push({ name: `${step.column}__missing`, kind: 'binary' });
      return { kind: step.kind, column: step.column, fill: step.fill, indicator: step.missingIndicator };
    });
    this.features = features;
    this.inputColumns = json.steps.map((step) => step.column);
    // By position, as the features were pushed above: names could collide (a column called `x__missing`).
    this.inputOfFeature = Int32Array.from(
      json.steps.flatMap((step, input) =>
        step.kind !== 'categorical' && step.missingIndicator ? [input, input] : [input],
      ),
    );
  }

  static fromJson(raw: unknown): Pipeline {
    return new Pipeline(pipelineSchema.parse(raw));
  }

  /**
   * Writes the features of one input into `out` starting at 0. `read(i)` returns the raw cell of
   * input column i, or null when absent. The single code path behind table and record transforms.
   */
  private encode(read: (inputIndex: number) => Cell, out: Float64Array): void {
    let f = 0;
    for (let i = 0; i < this.compiled.length; i++) {
      const step = this.compiled[i];
      const cell = read(i);
      if (step.kind === 'categorical') {
        const label = cellToCategory(cell);
        out[f++] = label === null ? step.missingCode : (step.codes.get(label) ?? step.otherCode);
        continue;
      }
      let value: number;
      if (step.kind === 'numeric') {
        value = cellToNumber(cell);
        if (!Number.isFinite(value)) value = Number.NaN;
      } else {
        const flag = cellToBoolean(cell);
        value = flag === null ? Number.NaN : flag ? 1 : 0;
      }
      const missing = Number.isNaN(value);
      out[f++] = missing ? step.fill : value;
      if (step.indicator) out[f++] = missing ? 1 : 0;
    }
  }

  /** Features of one record (a request instance). Keys the pipeline does not read are ignored here. */
  transformRecord(
    record: Readonly<Record<string, Cell>>,
    out: Float64Array = new Float64Array(this.features.length),
  ): Float64Array {
    const names = this.inputColumns;
    this.encode((i) => (Object.hasOwn(record, names[i]) ? (record[names[i]] ?? null) : null), out);
    return out;
  }

  /**
   * Features of one row of a table, as `transformRecord` of that row as a record (a column the
   * table lacks, or an undefined cell, is missing): a small request is scored row by row without
   * making a record of each row.
   */
  transformTableRow(
    table: DataTable,
    row: number,
    out: Float64Array = new Float64Array(this.features.length),
  ): Float64Array {
    const names = this.inputColumns;
    const { columnNames, columns } = table;
    this.encode((i) => {
      const index = columnNames.indexOf(names[i]);
      return index < 0 ? null : (columns[index][row] ?? null);
    }, out);
    return out;
  }

  /** Features of the given rows of a table (all rows when `rows` is absent), column-major. */
  transformTable(table: DataTable, rows?: ArrayLike<number>): FeatureMatrix {
    return timed('pipeline', () => this.transformTableUntimed(table, rows));
  }

  /**
   * Column by column, the numbers of a numeric column read once (numbersOfColumn); the same
   * arithmetic as `encode`, which serves single records (test/core/features compares the two).
   */
  private transformTableUntimed(table: DataTable, rows?: ArrayLike<number>): FeatureMatrix {
    const rowCount = rows ? rows.length : table.rowCount;
    const columns = this.features.map(() => new Float64Array(rowCount));
    const sourceRow = (r: number) => (rows ? rows[r] : r);
    let f = 0;
    for (let i = 0; i < this.compiled.length; i++) {
      const step = this.compiled[i];
      const index = table.columnNames.indexOf(this.inputColumns[i]);
      const source = index < 0 ? undefined : table.columns[index];
      const out = columns[f++];
      if (step.kind === 'categorical') {
        for (let r = 0; r < rowCount; r++) {
          const label = cellToCategory(source?.[sourceRow(r)] ?? null);
          out[r] = label === null ? step.missingCode : (step.codes.get(label) ?? step.otherCode);
        }
        continue;
      }
      const indicator = step.indicator ? columns[f++] : undefined;
      const numbers = step.kind === 'numeric' && source ? numbersOfColumn(source) : undefined;
      for (let r = 0; r < rowCount; r++) {
        let value: number;
        if (numbers) {
          value = numbers[sourceRow(r)];
          if (!Number.isFinite(value)) value = Number.NaN;
        } else if (step.kind === 'numeric') {
          value = Number.NaN;
        } else {
          const flag = cellToBoolean(source?.[sourceRow(r)] ?? null);
          value = flag === null ? Number.NaN : flag ? 1 : 0;
        }
        const missing = Number.isNaN(value);
        out[r] = missing ? step.fill : value;
        if (indicator) indicator[r] = missing ? 1 : 0;
      }
    }
    return { features: this.features, columns, rowCount };
  }
}
