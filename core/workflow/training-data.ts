import { readTableBytes, sha256Hex } from '../data/read';
import { DataError, type DataTable } from '../data/table';
import { inferSchema } from '../schema/infer';
import { encodeTarget } from '../schema/target';
import type { DataSchema } from '../schema/types';
import { MIN_TRAINING_ROWS } from '../train/train';
import { NAME_CHARS_IN_STATE, NAMES_IN_STATE, type SchemaChangeSummary, type SchemaChanges } from './contract';

export interface ValidateOptions {
  readonly target: string;
  readonly positiveLabel?: string;
  readonly task?: 'binary' | 'regression';
  readonly features?: readonly string[];
  /** The serving model's schema, to report what changed. */
  readonly previousSchema?: DataSchema;
  /** The bytes' SHA-256 when the reader already hashed them while streaming. @default - computed here */
  readonly sha256?: string;
}

export interface ValidatedData {
  readonly table: DataTable;
  readonly sha256: string;
  readonly schemaChanges: SchemaChanges;
  /** Decisions the run record should carry (excluded columns, chosen positive class). */
  readonly notes: readonly string[];
}

/**
 * The validate step: everything training would reject, found before paying for a training job.
 * Errors are DataErrors that name the file and, where it applies, the line and column.
 */
export async function validateTrainingData(
  bytes: Uint8Array,
  dataKey: string,
  options: ValidateOptions,
): Promise<ValidatedData> {
  if (bytes.length === 0) throw new DataError(`${dataKey} is empty`);
  // Canonical decimals as numbers, as the trainer reads them (same schema, fewer strings).
  const table = await readTableBytes(bytes, dataKey, { numbers: true });
  if (table.rowCount === 0) throw new DataError(`${dataKey} has a header but no data rows`);
  const { schema, notes } = inferSchema(table, { target: options.target, features: options.features, source: dataKey });
  const target = encodeTarget(table.columns[table.columnNames.indexOf(options.target)], {
    target: options.target,
    task: options.task,
    positiveLabel: options.positiveLabel,
    source: dataKey,
  });
  const usable = table.rowCount - target.missingCount;
  if (usable < MIN_TRAINING_ROWS) {
    throw new DataError(
      `${dataKey} has ${usable} row(s) with a target value; training needs at least ${MIN_TRAINING_ROWS}`,
    );
  }
  return {
    table,
    sha256: options.sha256 ?? sha256Hex(bytes),
    schemaChanges: compareSchemas(options.previousSchema, schema, table),
    notes: [...notes, ...target.notes],
  };
}

/** What changed between the serving model's schema and new data. No previous schema: no changes. */
export function compareSchemas(previous: DataSchema | undefined, current: DataSchema, table: DataTable): SchemaChanges {
  if (!previous) return { newColumns: [], missingColumns: [], typeChanges: [] };
  const before = new Map(previous.columns.map((column) => [column.name, column]));
  const after = new Map(current.columns.map((column) => [column.name, column]));
  const newColumns = current.columns
    .filter((column) => !before.has(column.name))
    .map((column) => ({ name: column.name, presentShare: table.rowCount === 0 ? 0 : 1 - column.missingRate }));
  const missingColumns = previous.columns
    .filter((column) => column.role !== 'excluded' && !after.has(column.name))
    .map((column) => column.name);
  const typeChanges = current.columns
    .filter((column) => before.has(column.name) && before.get(column.name)!.type !== column.type)
    .map((column) => ({ name: column.name, from: before.get(column.name)!.type, to: column.type }));
  return { newColumns, missingColumns, typeChanges };
}

/** The state's share of SchemaChanges: counts and the first NAMES_IN_STATE entries of each list, names cut short. */
export function summarizeSchemaChanges(changes: SchemaChanges): SchemaChangeSummary {
  return {
    newColumnCount: changes.newColumns.length,
    missingColumnCount: changes.missingColumns.length,
    typeChangeCount: changes.typeChanges.length,
    newColumns: changes.newColumns
      .slice(0, NAMES_IN_STATE)
      .map((column) => ({ ...column, name: nameInState(column.name) })),
    missingColumns: changes.missingColumns.slice(0, NAMES_IN_STATE).map(nameInState),
    typeChanges: changes.typeChanges
      .slice(0, NAMES_IN_STATE)
      .map((change) => ({ ...change, name: nameInState(change.name) })),
  };
}

/** A name cut to NAME_CHARS_IN_STATE characters (whole code points), marked with an ellipsis when cut. */
export function nameInState(name: string): string {
  const chars = Array.from(name);
  return chars.length <= NAME_CHARS_IN_STATE ? name : `${chars.slice(0, NAME_CHARS_IN_STATE - 1).join('')}…`;
}
