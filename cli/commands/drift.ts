import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTableFile } from '../../core/data/read';
import type { DataTable } from '../../core/data/table';
import { analyzeDrift } from '../../core/drift/detect';
import { renderDriftReportHtml } from '../../core/drift/html';
import type { ColumnDriftOverride, DriftOptions } from '../../core/drift/options';
import { type DriftReport, type DriftTestName, driftTestNames } from '../../core/drift/report';
import { type DataProfile, parseProfile } from '../../core/profile/profile';
import type { DataSchema } from '../../core/schema/types';
import { ADMIN_ROUTE } from '../../local/admin-route';
import type { CommandSpec } from '../args';
import { intFlag, listFlag, numberFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import { resolveTarget } from '../deployment-target';
import type { Command, CommandIo } from '../io';

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

/** Parses repeated `col=value` flags into a record; a malformed pair is a UsageError naming it. */
function pairs(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} takes column=value, got "${value}"`);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

const CORRECTIONS = ['none', 'bonferroni', 'benjamini-hochberg'] as const;

export const driftCommand: Command = {
  spec: {
    name: 'drift',
    summary: "compare current data with a model's training reference; write report.json and report.html",
    usage:
      'mlops drift --reference <model dir | model.json | data file> --current <data file> --out <dir> [options]\n' +
      '       mlops drift run <model> [--window-hours <n>]   (the local platform: run the drift monitor now)',
    flags: {
      reference: {
        type: 'string',
        description:
          'model directory or model.json (its saved profile; training data is not re-read), or a CSV/Parquet file',
        required: true,
        valueName: 'path',
      },
      current: {
        type: 'string',
        description: 'current data, CSV or Parquet (e.g. captured inference traffic)',
        required: true,
        valueName: 'file',
      },
      out: { type: 'string', description: 'output directory, created if missing', required: true, valueName: 'dir' },
      'drift-share': {
        type: 'string',
        description: 'dataset drift when drifted/tested columns >= x',
        default: '0.5',
        valueName: 'x',
      },
      correction: {
        type: 'string',
        description: 'multiple-testing correction over p-value tests: none, bonferroni, benjamini-hochberg',
        default: 'none',
        valueName: 'name',
      },
      'min-rows': {
        type: 'string',
        description: 'fewer usable values on either side gives "not enough data"',
        default: '30',
        valueName: 'n',
      },
      test: {
        type: 'string',
        description: `per-column test (${driftTestNames.join(', ')})`,
        valueName: 'col=test',
        multiple: true,
      },
      threshold: { type: 'string', description: 'per-column threshold', valueName: 'col=x', multiple: true },
    },
    examples: ['mlops drift --reference model/ --current traffic.csv --out drift-report/'],
  },

  async run(argv, io) {
    if (argv[0] === 'run') return runDriftNow(argv.slice(1), io);
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags } = parsed;
    const correction = stringFlag(flags, 'correction') as (typeof CORRECTIONS)[number];
    if (!CORRECTIONS.includes(correction))
      throw new UsageError(`--correction must be one of ${CORRECTIONS.join(', ')}, got "${correction}"`);
    const tests = pairs(listFlag(flags, 'test'), 'test');
    for (const [column, test] of Object.entries(tests)) {
      if (!(driftTestNames as readonly string[]).includes(test)) {
        throw new UsageError(`--test ${column}=${test}: unknown test; tests are ${driftTestNames.join(', ')}`);
      }
    }
    const thresholds: Record<string, number> = {};
    for (const [column, raw] of Object.entries(pairs(listFlag(flags, 'threshold'), 'threshold'))) {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new UsageError(`--threshold ${column}=${raw}: not a number`);
      thresholds[column] = value;
    }
    const out = stringFlag(flags, 'out')!;
    const report = await runDriftCommand({
      reference: stringFlag(flags, 'reference')!,
      current: stringFlag(flags, 'current')!,
      out,
      driftShare: numberFlag(flags, 'drift-share'),
      correction,
      minRows: intFlag(flags, 'min-rows'),
      tests: tests as Record<string, DriftTestName>,
      thresholds,
    });
    io.err(
      `drift in ${report.driftedColumns} of ${report.columnCount} columns; dataset drift: ${report.datasetDrift ? 'yes' : 'no'}\n`,
    );
    if (report.suggestsRetrain) io.err(`retraining suggested: ${report.retrainReasons.join('; ')}\n`);
    io.out(`${join(out, 'report.json')}\n${join(out, 'report.html')}\n`);
    return 0;
  },
};

const driftRunSpec: CommandSpec = {
  name: 'drift run',
  summary:
    "run a model's drift monitor now on the local platform (captured traffic vs the production model's reference)",
  usage: 'mlops drift run <model> [--window-hours <n>] [--json]',
  positionals: ['model'],
  flags: {
    'window-hours': {
      type: 'string',
      description: 'how much captured traffic to compare (default: the config)',
      valueName: 'n',
    },
    json: { type: 'boolean', description: 'print the monitor summary as JSON' },
  },
};

/** `mlops drift run <model>`: asks the running local platform to run the model's drift monitor. */
async function runDriftNow(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseOrHelp(driftRunSpec, argv, io);
  if (!parsed) return 0;
  const { flags, positionals } = parsed;
  const model = positionals[0];
  if (!model) throw new UsageError('mlops drift run needs a model name');
  const target = resolveTarget();
  if (target.kind !== 'local') {
    throw new UsageError(
      'on AWS the drift monitor runs on its schedule; run it now with: aws lambda invoke --function-name <drift function> out.json',
    );
  }
  const windowHours = intFlag(flags, 'window-hours');
  const response = await fetch(`${target.localUrl}/${ADMIN_ROUTE}/drift/${encodeURIComponent(model)}`, {
    method: 'POST',
    body: JSON.stringify(windowHours === undefined ? {} : { windowHours }),
  });
  const body = (await response.json()) as Record<string, unknown> & { error?: { message: string } };
  if (!response.ok) throw new UsageError(body.error?.message ?? `the platform answered ${response.status}`);
  if (flags.json) {
    io.out(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  io.out(`${describeDriftCheck(body)}\n`);
  return 0;
}

function describeDriftCheck(summary: Record<string, unknown>): string {
  const s = summary as {
    model?: string;
    status?: string;
    version?: number | null;
    rows?: number;
    minRows?: number;
    driftedColumns?: number;
    columnCount?: number;
    datasetDrift?: boolean;
    topDriftedColumns?: string[];
    retrainReasons?: string[];
    alerted?: boolean;
    retrain?: { status?: string };
    htmlUri?: string | null;
  };
  if (s.status === 'no-production-model') return `${s.model}: no production model yet; nothing to compare`;
  if (s.status === 'not-enough-data')
    return `${s.model}: not enough data: ${s.rows} captured row(s), at least ${s.minRows} needed`;
  const lines = [
    `${s.model} v${s.version}: drift in ${s.driftedColumns} of ${s.columnCount} columns over ${s.rows} captured rows; dataset drift: ${s.datasetDrift ? 'yes' : 'no'}`,
  ];
  if (s.topDriftedColumns?.length) lines.push(`  most drifted: ${s.topDriftedColumns.join(', ')}`);
  if (s.retrainReasons?.length) lines.push(`  retraining suggested: ${s.retrainReasons.join('; ')}`);
  lines.push(`  alert sent: ${s.alerted ? 'yes' : 'no'}; retrain: ${s.retrain?.status ?? 'n/a'}`);
  if (s.htmlUri) lines.push(`  report: ${s.htmlUri}`);
  return lines.join('\n');
}
