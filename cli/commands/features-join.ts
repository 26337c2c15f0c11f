import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { FeatureViewConfig } from '../../core/config/feature-view-schema';
import { loadConfig } from '../../core/config/load';
import { formatCsv } from '../../core/data/csv';
import { readTableBytes, readTableFile } from '../../core/data/read';
import { DataError } from '../../core/data/table';
import { featureViewPrefix } from '../../core/feature-views/layout';
import {
  combineViewFiles,
  joinWithView,
  readViewHistory,
  type ViewFilePart,
  type ViewHistory,
} from '../../core/feature-views/view-history';
import type { ObjectStore } from '../../core/storage/object-store';
import { DATA_FILE_EXTENSIONS } from '../../core/workflow/layout';
import { parseOrHelp, stringFlag, UsageError } from '../args';
import { resolveCuratedZone } from '../deployment-target';
import type { Command } from '../io';

/** `mlops features join`: a point-in-time correct training set from labels and a feature view's history. */

export interface FeaturesJoinOptions {
  readonly view: string;
  readonly labels: string;
  readonly timestampColumn: string;
  readonly out: string;
  /** A view file or a folder of them on disk. @default - the view's files in the curated zone */
  readonly features?: string;
  /** Replace an existing --out. @default false */
  readonly force?: boolean;
  /** @default - MLOPS_CONFIG or ./mlops.config.json */
  readonly config?: string;
}

/** The `--json` summary; its fields are a contract for scripts. */
export interface FeaturesJoinSummary {
  readonly view: string;
  readonly out: string;
  /** Label rows written. */
  readonly rows: number;
  /** Label rows that got the view's values. */
  readonly matched: number;
  /** Label rows that got missing values (no row of their entity at or before their time, or only stale ones). */
  readonly unmatched: number;
  /** Of the unmatched, those whose newest eligible row was older than the view's ttlSeconds. */
  readonly stale: number;
  /** The view columns joined, in output order (after the label columns). */
  readonly columns: readonly string[];
  /** View files read, and the view versions among them. */
  readonly viewFiles: number;
  readonly viewVersions: readonly string[];
}

export interface FeaturesJoinDeps {
  /** The curated zone. @default resolveCuratedZone() (deployed when MLOPS_CURATED_BUCKET is set, else the local platform) */
  readonly curated?: () => ObjectStore;
  readonly log: (line: string) => void;
}

const OUTPUT_FORMATS = ['.csv'];

/** Checks --out before any data is read: a run that would fail to write must not cost the read. */
function checkOut(out: string, force: boolean): void {
  const extension = extname(out).toLowerCase();
  if (!OUTPUT_FORMATS.includes(extension)) {
    throw new UsageError(
      `--out ${out}: write a .csv file (Parquet output needs a Parquet writer this build does not ship)`,
    );
  }
  if (!force && existsSync(out)) throw new UsageError(`--out ${out} exists; pass --force to replace it`);
}

function viewOf(options: FeaturesJoinOptions): FeatureViewConfig {
  const config = loadConfig(options.config);
  const view = config.featureViews.find((candidate) => candidate.name === options.view);
  if (view) return view;
  const known = config.featureViews.map((candidate) => candidate.name);
  throw new UsageError(
    `unknown feature view "${options.view}" in ${config.source}; ` +
      (known.length > 0 ? `views are: ${known.join(', ')}` : 'the config defines no featureViews'),
  );
}

/** Data files in a folder and below (not under _meta/), oldest first by modification time, then path. */
async function dataFilesIn(folder: string): Promise<string[]> {
  const found: { path: string; mtime: number }[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '_meta') await walk(path);
      } else if (DATA_FILE_EXTENSIONS.some((extension) => entry.name.toLowerCase().endsWith(extension))) {
        found.push({ path, mtime: (await stat(path)).mtimeMs });
      }
    }
  };
  await walk(folder);
  return found.sort((a, b) => a.mtime - b.mtime || (a.path < b.path ? -1 : 1)).map((file) => file.path);
}

async function historyOnDisk(path: string, view: FeatureViewConfig): Promise<ViewHistory> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`--features ${path} does not exist; pass a view file or a folder of them`);
  }
  const files = info.isDirectory() ? await dataFilesIn(path) : [path];
  if (files.length === 0) {
    throw new DataError(`--features ${path} holds no data files (${DATA_FILE_EXTENSIONS.join(', ')})`);
  }
  const parts: ViewFilePart[] = [];
  for (const file of files) {
    const source = info.isDirectory() ? relative(path, file) : basename(file);
    parts.push({ table: await readTableBytes(await readFile(file), source), source });
  }
  return combineViewFiles(parts, view);
}

/** The point-in-time join of a labels file with a feature view, written to --out. */
export async function runFeaturesJoin(
  options: FeaturesJoinOptions,
  deps: FeaturesJoinDeps,
): Promise<FeaturesJoinSummary> {
  const force = options.force ?? false;
  checkOut(options.out, force);
  const view = viewOf(options);
  const labels = await readTableFile(options.labels);
  const labelsSource = basename(options.labels);
  if (!labels.columnNames.includes(options.timestampColumn)) {
    throw new DataError(
      `${labelsSource}: --timestamp-column "${options.timestampColumn}" not found; columns are: ${labels.columnNames.join(', ')}`,
    );
  }
  let history: ViewHistory;
  if (options.features !== undefined) {
    deps.log(`reading feature view "${view.name}" from ${options.features}`);
    history = await historyOnDisk(options.features, view);
  } else {
    const curated = (deps.curated ?? (() => resolveCuratedZone()))();
    deps.log(`reading feature view "${view.name}" from s3://${curated.bucket}/${featureViewPrefix(view.name)}`);
    history = await readViewHistory(curated, view, { maxBytes: Number.MAX_SAFE_INTEGER });
  }
  deps.log(
    `${history.files.length} view file(s), ${history.table.rowCount} row(s), version(s) ${history.versions.join(', ')}`,
  );
  const result = joinWithView(labels, history, view, { timestampColumn: options.timestampColumn, labelsSource });
  // 'wx' creates the file only if it is absent, so a file that appeared during the join is not replaced either.
  try {
    await writeFile(options.out, formatCsv(result.table), { flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`--out ${options.out} exists; pass --force to replace it`);
    }
    throw error;
  }
  const summary: FeaturesJoinSummary = {
    view: view.name,
    out: options.out,
    rows: result.table.rowCount,
    matched: result.table.rowCount - result.unmatchedRows,
    unmatched: result.unmatchedRows,
    stale: result.expiredRows,
    columns: history.featureColumns,
    viewFiles: history.files.length,
    viewVersions: history.versions,
  };
  deps.log(
    `joined ${summary.rows} label(s): ${summary.matched} matched, ${summary.unmatched} unmatched` +
      (view.ttlSeconds === undefined ? '' : ` (${summary.stale} of them stale past ${view.ttlSeconds} s)`) +
      `; wrote ${options.out}`,
  );
  return summary;
}

export const joinVerb: Command = {
  spec: {
    name: 'features join',
    summary: 'build a point-in-time correct training set: each label row gets the view values as of its time',
    usage:
      'mlops features join --view <name> --labels <file> --timestamp-column <col> --out <file.csv> [--features <file|dir>] [--force] [--json]',
    flags: {
      view: {
        type: 'string',
        description: 'feature view name (featureViews in the config)',
        required: true,
        valueName: 'name',
      },
      labels: {
        type: 'string',
        description: 'labels, CSV or Parquet, with the entity key',
        required: true,
        valueName: 'file',
      },
      'timestamp-column': {
        type: 'string',
        description: "the labels' column holding each label's time",
        required: true,
        valueName: 'col',
      },
      out: {
        type: 'string',
        description: 'the training set to write (.csv); never replaced without --force',
        required: true,
        valueName: 'file',
      },
      features: {
        type: 'string',
        description: "the view's files on disk (default: the curated zone's features/<view>/)",
        valueName: 'file|dir',
      },
      force: { type: 'boolean', description: 'replace --out if it exists' },
      json: { type: 'boolean', description: 'print a JSON summary' },
      config: {
        type: 'string',
        description: 'config file (default: MLOPS_CONFIG or ./mlops.config.json)',
        valueName: 'file',
      },
    },
    examples: [
      'mlops features join --view customer --labels labels.csv --timestamp-column label_time --out train.csv',
      '# reads the deployed curated zone when MLOPS_CURATED_BUCKET is set, else the local platform',
    ],
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags } = parsed;
    const summary = await runFeaturesJoin(
      {
        view: stringFlag(flags, 'view')!,
        labels: stringFlag(flags, 'labels')!,
        timestampColumn: stringFlag(flags, 'timestamp-column')!,
        out: stringFlag(flags, 'out')!,
        features: stringFlag(flags, 'features'),
        force: Boolean(flags.force),
        config: stringFlag(flags, 'config'),
      },
      { log: (line) => io.err(`${line}\n`) },
    );
    io.out(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.out}\n`);
    return 0;
  },
};

/** The verbs of `mlops features`; one line per verb. */
