import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTableFile } from '../../core/data/read';
import type { DataTable } from '../../core/data/table';
import { analyzeDrift, type ColumnDriftOverride, type DriftOptions } from '../../core/drift/detect';
import { renderDriftReportHtml } from '../../core/drift/html';
import { type DriftReport, type DriftTestName, driftTestNames } from '../../core/drift/report';
import { type DataProfile, parseProfile } from '../../core/profile/profile';
import type { DataSchema } from '../../core/schema/types';

export const driftCommandHelp = `mlops drift --reference <model dir | model.json | data file> --current <data file> --out <dir> [options]

Compares current data with the reference a model was trained on and writes <out>/report.json
and <out>/report.html (one self-contained file).

  --reference <path>     a model directory (holding model.json), a model.json artifact (its
                         saved profile is used, training data is not re-read), or a CSV/Parquet file
  --current <path>       CSV or Parquet file of current data (e.g. captured inference traffic)
  --out <dir>            output directory, created if missing
  --drift-share <x>      dataset drift when drifted/tested columns >= x (default 0.5)
  --correction <name>    none | bonferroni | benjamini-hochberg, over p-value tests (default none)
  --min-rows <n>         fewer usable values on either side -> "not enough data" (default 30)
  --test <col=test>      per-column test, repeatable; tests: ${driftTestNames.join(', ')}
  --threshold <col=x>    per-column threshold, repeatable

Defaults follow Evidently: reference <= 1000 rows: KS (numeric), chi-square (categorical),
z-test (two values); larger: Wasserstein normed by the reference std (numeric), Jensen-Shannon.
Exit status is the caller's choice; the report says datasetDrift and suggestsRetrain.`;

export interface DriftCommandArgs {
  readonly reference: string;
  readonly current: string;
  readonly out: string;
  readonly driftShare?: number;
  readonly correction?: DriftOptions['correction'];
  readonly minRows?: number;
  /** Per-column tests, `{ column: test }`. */
  readonly tests?: Readonly<Record<string, DriftTestName>>;
  /** Per-column thresholds, `{ column: threshold }`. */
  readonly thresholds?: Readonly<Record<string, number>>;
  /** Report timestamp (tests). */
  readonly now?: Date;
}

export class DriftCommandError extends Error {
  override readonly name = 'DriftCommandError';
}

interface ResolvedReference {
  readonly reference: DataProfile | DataTable;
  readonly schema?: DataSchema;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new DriftCommandError(`--reference ${path} is not readable JSON: ${(error as Error).message}`);
  }
}

/** A model directory, a model.json (its `profile` and `schema`), a bare profile JSON, or a data file. */
async function resolveReference(path: string): Promise<ResolvedReference> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new DriftCommandError(
      `--reference ${path} does not exist; pass a model directory, a model.json or a data file`,
    );
  }
  const file = info.isDirectory() ? join(path, 'model.json') : path;
  if (!file.toLowerCase().endsWith('.json')) return { reference: await readTableFile(file) };
  const raw = await readJson(file);
  if (typeof raw !== 'object' || raw === null) {
    throw new DriftCommandError(`--reference ${file} holds ${JSON.stringify(raw)}, not a model artifact or profile`);
  }
  const record = raw as { profile?: unknown; schema?: DataSchema; format?: unknown };
  if (record.format === 'mlops-profile') return { reference: parseProfile(raw, file) };
  if (record.profile === undefined || record.profile === null) {
    throw new DriftCommandError(
      `--reference ${file} has no "profile" field; retrain the model with a version that saves the reference profile, or pass the training data file`,
    );
  }
  return { reference: parseProfile(record.profile, `${file} profile`), schema: record.schema };
}

function columnOverrides(args: DriftCommandArgs): Record<string, ColumnDriftOverride> {
  const overrides: Record<string, { test?: DriftTestName; threshold?: number }> = {};
  for (const [column, test] of Object.entries(args.tests ?? {})) {
    if (!driftTestNames.includes(test)) {
      throw new DriftCommandError(`--test ${column}=${test}: unknown test; use one of ${driftTestNames.join(', ')}`);
    }
    overrides[column] = { ...overrides[column], test };
  }
  for (const [column, threshold] of Object.entries(args.thresholds ?? {})) {
    if (!Number.isFinite(threshold) || threshold < 0) {
      throw new DriftCommandError(`--threshold ${column}=${threshold}: expected a non-negative number`);
    }
    overrides[column] = { ...overrides[column], threshold };
  }
  return overrides;
}

/** Runs the drift comparison and writes report.json and report.html into `args.out`. */
export async function runDriftCommand(args: DriftCommandArgs): Promise<DriftReport> {
  const { reference, schema } = await resolveReference(args.reference);
  const current = await readTableFile(args.current);
  const { report, referenceProfile, currentProfile } = analyzeDrift(reference, current, {
    driftShare: args.driftShare,
    correction: args.correction,
    minReferenceRows: args.minRows,
    minCurrentRows: args.minRows,
    columns: columnOverrides(args),
    schema: 'format' in reference ? undefined : schema,
    now: args.now,
  });
  await mkdir(args.out, { recursive: true });
  await writeFile(join(args.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(
    join(args.out, 'report.html'),
    renderDriftReportHtml(report, { reference: referenceProfile, current: currentProfile }),
  );
  return report;
}
