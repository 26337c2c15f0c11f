import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCsv } from '../core/data/csv';
import type { Cell } from '../core/data/table';
import { CHURN_TARGET, churnCsv, generateChurn } from '../core/datasets/churn';
import type { BuiltInDataInfo } from '../core/local/platform-info';

/**
 * The built-in churn data the local platform starts with, written as files a person can upload
 * with any S3 client: v1 (the first training set), v2 (a later batch with shifted distributions
 * and the new column time_spent_on_video_tutorials), and a corrupt file for trying a failed run.
 * Paths only: the platform info that holds this is printed by `mlops local info`.
 */
export type BuiltInData = Required<BuiltInDataInfo>;

export const BUILT_IN_ROWS = 20_000;

export function writeBuiltInData(directory: string, rows = BUILT_IN_ROWS): BuiltInData {
  mkdirSync(directory, { recursive: true });
  const v1Path = join(directory, 'churn-v1.csv');
  const v2Path = join(directory, 'churn-v2.csv');
  const corruptPath = join(directory, 'churn-corrupt.csv');
  if (!existsSync(v1Path)) writeFileSync(v1Path, churnCsv({ rows, seed: 1, batch: 'v1' }));
  if (!existsSync(v2Path)) writeFileSync(v2Path, churnCsv({ rows, seed: 2, batch: 'v2' }));
  // A header, then rows with the wrong number of fields: validation must name the line.
  if (!existsSync(corruptPath))
    writeFileSync(corruptPath, 'customer_id,age,plan,churned\nC1,34,basic,no\nC2,41,premium\n');
  const customerFeaturesPath = join(directory, 'customer-features.csv');
  if (!existsSync(customerFeaturesPath)) writeFileSync(customerFeaturesPath, customerViewCsv(rows));
  const sample = generateChurn({ rows: 1, seed: 1, batch: 'v1' });
  const exampleInstance = Object.fromEntries(
    sample.columnNames
      .map((name, c): [string, Cell] => [name, sample.columns[c][0]])
      .filter(([name]) => name !== 'customer_id' && name !== 'churned')
      .map(([name, value]) => [
        name,
        typeof value === 'string' && value !== '' && !Number.isNaN(Number(value)) ? Number(value) : value,
      ]),
  );
  const entityOnlyInstance = { customer_id: sample.columns[sample.columnNames.indexOf('customer_id')]?.[0] ?? null };
  return { v1Path, v2Path, corruptPath, rows, exampleInstance, customerFeaturesPath, entityOnlyInstance };
}

/** When the built-in customer view's values were true (one snapshot of every v1 customer). */
export const CUSTOMER_VIEW_EVENT_TIME = '2026-01-01T00:00:00Z';

/**
 * The v1 customers as a feature view file: every column but the target, plus event_time. Uploaded
 * under features/customer/ it lets a caller send only customer_id and get the same score.
 */
function customerViewCsv(rows: number): string {
  const table = generateChurn({ rows, seed: 1, batch: 'v1' });
  const kept = table.columnNames.map((name, c) => ({ name, c })).filter(({ name }) => name !== CHURN_TARGET);
  return formatCsv({
    columnNames: [kept[0]!.name, 'event_time', ...kept.slice(1).map(({ name }) => name)],
    columns: [
      table.columns[kept[0]!.c]!,
      new Array<Cell>(table.rowCount).fill(CUSTOMER_VIEW_EVENT_TIME),
      ...kept.slice(1).map(({ c }) => table.columns[c]!),
    ],
    rowCount: table.rowCount,
  });
}
