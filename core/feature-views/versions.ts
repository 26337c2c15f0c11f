import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { DataTable } from '../data/table';
import { type SchemaFinding, schemaFindingSchema } from '../drift/report';
import { SchemaFindings } from '../drift/schema-findings';
import { readJson } from '../storage/json';
import type { ObjectStore } from '../storage/object-store';
import { featureViewMetaPrefix } from './layout';

/**
 * View versions (issue 15): a view's version is the set of feature columns its files carry. A file
 * whose columns differ from the view's previous version starts a new version, recorded once under
 * `features/<view>/_meta/versions/<id>.json` (written with if-none-match, so never overwritten),
 * with the schema findings of the change in the drift report's format (core/drift/report.ts).
 */

/** Hex digits of the version id: 48 bits, so two column sets of one view colliding is not a concern. */
const VERSION_ID_HEX = 12;

/** The version id of a set of feature columns: order does not matter, names do. */
export function viewVersionId(featureColumns: readonly string[]): string {
  const sorted = [...featureColumns].sort();
  // JSON keeps names with commas or newlines apart.
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, VERSION_ID_HEX);
}

export const viewVersionsPrefix = (view: string): string => `${featureViewMetaPrefix(view)}versions/`;
export const viewVersionKey = (view: string, versionId: string): string =>
  `${viewVersionsPrefix(view)}${versionId}.json`;

export const viewVersionRecordSchema = z.object({
  view: z.string(),
  version: z.string(),
  /** The version's feature columns, sorted. */
  columns: z.array(z.string()),
  /** The file that first carried these columns. */
  firstSeenKey: z.string(),
  firstSeenAt: z.string(),
  /** The version before it (the newest recorded when this one was first seen); absent for the first. */
  previousVersion: z.string().optional(),
  /** New and removed columns against the previous version, as a drift report lists schema findings. */
  schemaFindings: z.array(schemaFindingSchema),
});
export type ViewVersionRecord = z.infer<typeof viewVersionRecordSchema>;

/** The newest of a view's version records (by first-seen time, then id): the "previous version" of a new file. */
export function newestVersion(records: readonly ViewVersionRecord[]): ViewVersionRecord | undefined {
  let newest: ViewVersionRecord | undefined;
  for (const record of records) {
    if (
      !newest ||
      record.firstSeenAt > newest.firstSeenAt ||
      (record.firstSeenAt === newest.firstSeenAt && record.version > newest.version)
    ) {
      newest = record;
    }
  }
  return newest;
}

/**
 * The schema findings of a file's feature columns against the previous version's, reusing the
 * drift monitor's SchemaFindings so a view change reads like any other schema change: a new
 * column ("new numeric column "x" carried by 100.0% of rows") and a removed one (a feature
 * "missing from the current data", severity high).
 */
export function viewSchemaFindings(
  previousColumns: readonly string[],
  table: DataTable,
  featureColumns: readonly string[],
): SchemaFinding[] {
  const found = new SchemaFindings();
  const previous = new Set(previousColumns);
  const current = new Set(featureColumns);
  for (const name of previousColumns) if (!current.has(name)) found.missingColumn(name, 'feature');
  for (const name of featureColumns) {
    if (!previous.has(name)) found.newColumn(table, table.columnNames.indexOf(name));
  }
  return found.findings;
}

/** The record of a version first seen in `key`. */
export function newVersionRecord(options: {
  readonly view: string;
  readonly key: string;
  readonly table: DataTable;
  readonly featureColumns: readonly string[];
  readonly previous: ViewVersionRecord | undefined;
  readonly now: Date;
}): ViewVersionRecord {
  const { previous } = options;
  return {
    view: options.view,
    version: viewVersionId(options.featureColumns),
    columns: [...options.featureColumns].sort(),
    firstSeenKey: options.key,
    firstSeenAt: options.now.toISOString(),
    ...(previous ? { previousVersion: previous.version } : {}),
    schemaFindings: previous ? viewSchemaFindings(previous.columns, options.table, options.featureColumns) : [],
  };
}

/**
 * The view's version records, read in parallel. A record that cannot be read (not JSON, not a
 * record) is listed in `unreadable` with the reason, never guessed at: materialization refuses to
 * go on (it must know the newest version), the console shows the readable ones.
 */
export async function readViewVersions(
  curated: ObjectStore,
  view: string,
): Promise<{ records: ViewVersionRecord[]; unreadable: string[] }> {
  const keys = (await curated.list(viewVersionsPrefix(view)))
    .map((item) => item.key)
    .filter((key) => key.endsWith('.json'));
  const read = await Promise.all(
    keys.map(async (key) => {
      try {
        return { record: (await readJson(curated, key, viewVersionRecordSchema))?.value };
      } catch (error) {
        return { problem: (error as Error).message };
      }
    }),
  );
  return {
    records: read.flatMap((item) => (item.record ? [item.record] : [])),
    unreadable: read.flatMap((item) => (item.problem ? [item.problem] : [])),
  };
}
