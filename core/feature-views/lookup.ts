import type { FeatureViewConfig } from '../config/feature-view-schema';
import type { Cell, DataTable } from '../data/table';
import { clipText } from '../text/clip';
import { entityKeyText } from './layout';
import type { OnlineFeatureRow, OnlineFeatureStore, OnlineValue } from './online-store';

/**
 * Serving with a feature view (issue 15): rows that carry the view's entity key but lack some of
 * the model's view features get them from the online store, in ONE read for the whole batch
 * (unique keys, only the columns some row lacks). What a row sent always wins; a stored row older
 * than the view's TTL counts as missing (imputed like any missing feature); an entity the store
 * does not hold is imputed with a warning or its row rejected (`onMissingEntity`). The entity key
 * is never a feature: the merge helpers drop it before scoring, as the endpoint drops
 * predictions.idField. Endpoint, stream scorer and batch scoring share this.
 */

/** The rows to look up, in whatever shape the caller holds them. */
export interface LookupRows {
  readonly rowCount: number;
  /** The row's value of a column; null or undefined when it did not send one. */
  cell(row: number, column: string): Cell | undefined;
  /** How the caller's format names a cell in messages, e.g. `instances[3].customer_id`. */
  fieldOf(row: number, column: string): string;
}

export interface FeatureLookupOptions {
  readonly view: FeatureViewConfig;
  /** The model's feature names (its artifact schema), in order. */
  readonly modelFeatures: readonly string[];
  readonly store: OnlineFeatureStore;
  /** Milliseconds since the epoch: the TTL is measured back from here. */
  readonly nowMs: number;
  /** Names the store in errors (the DynamoDB table). @default 'the online feature store' */
  readonly storeName?: string;
}

export interface FeatureLookupResult {
  /** Per row, the values read from the store for the features it lacked (absent: nothing filled). */
  readonly filled: ReadonlyArray<Readonly<Record<string, OnlineValue>> | undefined>;
  /** Per row, the model features that came from the store, in the model's feature order. */
  readonly fromStore: ReadonlyArray<readonly string[]>;
  /** Rows rejected because their entity is not in the store (onMissingEntity 'reject'), with the reason. */
  readonly rejected: ReadonlyMap<number, string>;
  /** Unknown, stale and keyless entities, a few named and the rest counted. */
  readonly warnings: readonly string[];
  /** Distinct entities asked of the store (0: no read was made). */
  readonly entitiesRead: number;
}

/** The store could not be read: the caller answers "unavailable" (503), never imputes everything silently. */
export class FeatureStoreUnavailableError extends Error {
  override readonly name = 'FeatureStoreUnavailableError';
  constructor(
    readonly storeName: string,
    readonly view: string,
    cause: unknown,
  ) {
    super(
      `the online feature store (${storeName}) could not be read for feature view "${view}": ${clipText(
        cause instanceof Error ? cause.message : String(cause),
        300,
      )}`,
    );
  }
}

/** Entities named per kind of warning; the rest are counted. */
export const MAX_NAMED_ENTITIES = 5;

/** The model's features the view can provide: all of them but the entity key and event time, or the view's list. */
export function viewFeaturesOfModel(view: FeatureViewConfig, modelFeatures: readonly string[]): string[] {
  const listed = Array.isArray(view.features) ? new Set(view.features) : undefined;
  return modelFeatures.filter(
    (name) => name !== view.entityKey && name !== view.eventTimeColumn && (listed === undefined || listed.has(name)),
  );
}

const isAbsent = (cell: Cell | undefined): boolean => cell === null || cell === undefined;

export async function lookupFeatures(rows: LookupRows, options: FeatureLookupOptions): Promise<FeatureLookupResult> {
  const [result] = await lookupFeatureGroups([rows], options);
  return result!;
}

/**
 * lookupFeatures for several groups of rows (the stream scorer's records) with ONE store read for
 * all of them; each group gets its own result, its messages naming its own rows.
 */
export async function lookupFeatureGroups(
  groups: readonly LookupRows[],
  options: FeatureLookupOptions,
): Promise<FeatureLookupResult[]> {
  const { view, store } = options;
  const viewFeatures = viewFeaturesOfModel(view, options.modelFeatures);
  const plans = groups.map((rows) => planLookup(rows, view, viewFeatures));
  const keys = [...new Set(plans.flatMap((plan) => plan.wanted.map((want) => want.key)))];
  let stored: Awaited<ReturnType<OnlineFeatureStore['read']>> = new Map();
  if (keys.length > 0) {
    const columns = new Set(plans.flatMap((plan) => plan.wanted.flatMap((want) => want.absent)));
    try {
      stored = await store.read(
        view.name,
        keys,
        viewFeatures.filter((name) => columns.has(name)),
      );
    } catch (error) {
      throw new FeatureStoreUnavailableError(options.storeName ?? 'the online feature store', view.name, error);
    }
  }
  const oldestFreshMicros =
    view.ttlSeconds === undefined ? Number.NEGATIVE_INFINITY : (options.nowMs - view.ttlSeconds * 1000) * 1000;
  return groups.map((rows, index) => {
    const result = resolveLookup(rows, plans[index]!, stored, view, oldestFreshMicros);
    return { ...result, entitiesRead: keys.length };
  });
}

interface LookupPlan {
  /** Rows that need the store: their entity and the view features they lack. */
  readonly wanted: ReadonlyArray<{ readonly row: number; readonly key: string; readonly absent: readonly string[] }>;
  /** Rows that lack view features but carry no entity key. */
  readonly keyless: NamedCounter;
}

function planLookup(rows: LookupRows, view: FeatureViewConfig, viewFeatures: readonly string[]): LookupPlan {
  const wanted: Array<{ row: number; key: string; absent: string[] }> = [];
  const keyless = new NamedCounter();
  for (let row = 0; row < rows.rowCount; row++) {
    const absent = viewFeatures.filter((name) => isAbsent(rows.cell(row, name)));
    if (absent.length === 0) continue;
    const key = entityKeyText(rows.cell(row, view.entityKey));
    if (key === null) keyless.add(rows.fieldOf(row, view.entityKey));
    else wanted.push({ row, key, absent });
  }
  return { wanted, keyless };
}

function resolveLookup(
  rows: LookupRows,
  plan: LookupPlan,
  stored: ReadonlyMap<string, OnlineFeatureRow>,
  view: FeatureViewConfig,
  oldestFreshMicros: number,
): Omit<FeatureLookupResult, 'entitiesRead'> {
  const filled: Array<Record<string, OnlineValue> | undefined> = new Array(rows.rowCount).fill(undefined);
  const fromStore: string[][] = Array.from({ length: rows.rowCount }, () => []);
  const rejected = new Map<number, string>();
  const unknown = new NamedCounter();
  const stale = new NamedCounter();
  for (const { row, key, absent } of plan.wanted) {
    const found = stored.get(key);
    if (!found) {
      const field = rows.fieldOf(row, view.entityKey);
      if (view.onMissingEntity === 'reject') {
        rejected.set(
          row,
          `${field}: entity "${clipText(key, 80)}" is not in feature view "${view.name}" (onMissingEntity: reject)`,
        );
      } else unknown.add(`"${clipText(key, 80)}" (${field})`);
      continue;
    }
    if (!(found.eventTimeMicros >= oldestFreshMicros)) {
      stale.add(`"${clipText(key, 80)}" (${new Date(found.eventTimeMicros / 1000).toISOString()})`);
      continue;
    }
    const values: Record<string, OnlineValue> = {};
    for (const name of absent) {
      const value = found.values[name];
      if (value === null || value === undefined) continue;
      values[name] = value;
      fromStore[row]!.push(name);
    }
    if (fromStore[row]!.length > 0) filled[row] = values;
  }
  const warnings = [
    ...unknown.warnings(
      (named, more) =>
        `feature view "${view.name}": ${count(named, more)} not in the online store, features imputed: ${list(named, more)}`,
    ),
    ...stale.warnings(
      (named, more) =>
        `feature view "${view.name}": ${count(named, more)} older than ttlSeconds ${view.ttlSeconds}, features imputed: ${list(named, more)}`,
    ),
    ...plan.keyless.warnings(
      (named, more) =>
        `feature view "${view.name}": ${named.length + more} row(s) without the entity key ${view.entityKey} lack view features, imputed: ${list(named, more)}`,
    ),
  ];
  return { filled, fromStore, rejected, warnings };
}

const count = (named: readonly string[], more: number) =>
  `${named.length + more} entit${named.length + more === 1 ? 'y' : 'ies'}`;
const list = (named: readonly string[], more: number) => `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;

class NamedCounter {
  readonly named: string[] = [];
  more = 0;
  add(text: string): void {
    if (this.named.length < MAX_NAMED_ENTITIES) this.named.push(text);
    else this.more++;
  }
  warnings(text: (named: readonly string[], more: number) => string): string[] {
    return this.named.length === 0 ? [] : [text(this.named, this.more)];
  }
}

/** LookupRows over a table, naming cells as the caller does. */
export function tableLookupRows(table: DataTable, fieldOf: (row: number, column: string) => string): LookupRows {
  const indexOf = new Map(table.columnNames.map((name, index) => [name, index]));
  return {
    rowCount: table.rowCount,
    cell: (row, column) => {
      const index = indexOf.get(column);
      return index === undefined ? undefined : table.columns[index]![row];
    },
    fieldOf,
  };
}

/** LookupRows over records (the stream scorer's instances). */
export function recordLookupRows(records: ReadonlyArray<Readonly<Record<string, Cell>>>): LookupRows {
  return {
    rowCount: records.length,
    cell: (row, column) => (Object.hasOwn(records[row]!, column) ? records[row]![column] : undefined),
    fieldOf: (row, column) => `instances[${row}].${clipText(column)}`,
  };
}

export interface MergedTable {
  readonly table: DataTable;
  /** The caller's rowsWithColumn carried over: columns the store added count every row. */
  readonly rowsWithColumn?: readonly number[];
}

/**
 * The table with the store's values in the cells the rows lacked: the original columns in their
 * order (so positions of the caller's columns hold), then a column per view feature the request
 * did not send. `dropColumn` (the entity key) is left out: it is never a feature.
 */
export function mergeIntoTable(
  table: DataTable,
  result: FeatureLookupResult,
  options: { readonly dropColumn?: string; readonly rowsWithColumn?: readonly number[] } = {},
): MergedTable {
  const added: string[] = [];
  const columnIndex = new Map(table.columnNames.map((name, index) => [name, index]));
  for (const names of result.fromStore) {
    for (const name of names) if (!columnIndex.has(name) && !added.includes(name)) added.push(name);
  }
  const changed = new Set<string>(added);
  for (const names of result.fromStore) for (const name of names) changed.add(name);
  const columnNames: string[] = [];
  const columns: Array<ReadonlyArray<Cell>> = [];
  const rowsWithColumn: number[] = [];
  const fill = (name: string, base: ReadonlyArray<Cell> | undefined): ReadonlyArray<Cell> => {
    if (!changed.has(name)) return base!;
    const column: Cell[] = base ? [...base] : new Array<Cell>(table.rowCount).fill(null);
    result.filled.forEach((values, row) => {
      if (values && Object.hasOwn(values, name)) column[row] = values[name]!;
    });
    return column;
  };
  table.columnNames.forEach((name, index) => {
    if (name === options.dropColumn) return;
    columnNames.push(name);
    columns.push(fill(name, table.columns[index]));
    rowsWithColumn.push(options.rowsWithColumn?.[index] ?? table.rowCount);
  });
  for (const name of added) {
    columnNames.push(name);
    columns.push(fill(name, undefined));
    rowsWithColumn.push(table.rowCount);
  }
  return {
    table: { columnNames, columns, rowCount: table.rowCount },
    ...(options.rowsWithColumn ? { rowsWithColumn } : {}),
  };
}

/** The records with the store's values added (what a record sent wins) and without `dropField`. */
export function mergeIntoRecords(
  records: ReadonlyArray<Readonly<Record<string, Cell>>>,
  result: FeatureLookupResult,
  dropField?: string,
): Array<Record<string, Cell>> {
  return records.map((record, row) => {
    const merged: Record<string, Cell> = { ...record, ...result.filled[row] };
    if (dropField !== undefined) delete merged[dropField];
    return merged;
  });
}

/** Rows of a table, all but some. */
export function rowsExcept(rowCount: number, left: ReadonlyMap<number, unknown>): number[] {
  const kept: number[] = [];
  for (let row = 0; row < rowCount; row++) if (!left.has(row)) kept.push(row);
  return kept;
}
