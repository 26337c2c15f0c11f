import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cell, DataTable } from '../core/data/table';
import { createRandom } from '../core/datasets/random';
import { analyzeDrift } from '../core/drift/detect';
import { ksStatisticSketch, ksStatisticSorted, wassersteinSketch, wassersteinSorted } from '../core/drift/stats';
import { buildProfile, quantileSketch } from '../core/profile/profile';
import type { DataSchema } from '../core/schema/types';

/**
 * Drift bench: rows x rows, `numericColumns` numeric + `categoricalColumns` categorical columns,
 * default tests (Wasserstein / Jensen-Shannon at this size), raw reference table vs current table,
 * and reference profile vs current table; scipy on the same data in the same run.
 *
 *   node bin/run-ts.js bench/drift.ts [rows]
 */
export interface DriftBenchOptions {
  readonly rows?: number;
  readonly numericColumns?: number;
  readonly categoricalColumns?: number;
  readonly seed?: number;
  /** Python with scipy for the peer run; null skips it. @default '/usr/bin/python3' */
  readonly python?: string | null;
}

export interface DriftBenchResult {
  readonly rows: number;
  readonly columns: number;
  readonly seconds: { tableVsTable: number; buildProfile: number; profileVsTable: number; scipy: number | null };
  readonly ratioToScipy: number | null;
  readonly peakRssMb: number;
  readonly heapUsedMb: number;
  readonly driftedColumns: number;
  /** Largest |ours - scipy| over the column scores (exact path). */
  readonly maxScoreDifference: number | null;
  readonly ks: { ours: number; scipy: number | null; oursSeconds: number; scipySeconds: number | null };
  /** Sketch path vs exact on the first numeric column (reference rows = bench rows). */
  readonly sketchError: { ksStatistic: number; wassersteinNormed: number; wassersteinBound: number };
}

const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

function makeTable(rows: number, numeric: number, categorical: number, seed: number, shifted: boolean): DataTable {
  const random = createRandom(seed);
  const names: string[] = [];
  const columns: Cell[][] = [];
  for (let c = 0; c < numeric; c++) {
    const values: number[] = new Array(rows);
    const shift = shifted && c % 3 === 0 ? 0.2 : 0;
    for (let i = 0; i < rows; i++) {
      const z = random.normal() + shift;
      values[i] = c % 4 === 1 ? Math.exp(z) : c % 4 === 2 ? Math.round(z * 100) / 10 : z * (c + 1);
    }
    names.push(`num_${c}`);
    columns.push(values);
  }
  for (let c = 0; c < categorical; c++) {
    const k = 3 + (c % 6);
    const weights = Array.from({ length: k }, (_, i) => (shifted && c % 2 === 0 && i === 0 ? 2 : 1) + i * 0.1);
    const items = CATEGORIES.slice(0, k);
    const values: string[] = new Array(rows);
    for (let i = 0; i < rows; i++) values[i] = random.pick(items, weights);
    names.push(`cat_${c}`);
    columns.push(values);
  }
  return { columnNames: names, columns, rowCount: rows };
}

function schemaOf(table: DataTable): DataSchema {
  return {
    columns: table.columnNames.map((name) => ({
      name,
      type: name.startsWith('num_') ? 'numeric' : 'categorical',
      role: 'feature',
      missingRate: 0,
      uniqueCount: 0,
    })),
    target: '',
    rowCount: table.rowCount,
  };
}

async function writePeerData(folder: string, reference: DataTable, current: DataTable): Promise<void> {
  const manifest: { columns: { name: string; kind: string }[] } = { columns: [] };
  for (let c = 0; c < reference.columnNames.length; c++) {
    const name = reference.columnNames[c];
    const numeric = name.startsWith('num_');
    manifest.columns.push({ name, kind: numeric ? 'numeric' : 'categorical' });
    for (const [side, table] of [
      ['ref', reference],
      ['cur', current],
    ] as const) {
      const cells = table.columns[c];
      const bytes = numeric
        ? Float64Array.from(cells as number[])
        : Int32Array.from(cells as string[], (value) => CATEGORIES.indexOf(value));
      await writeFile(join(folder, `${name}.${side}.${numeric ? 'f64' : 'i32'}`), new Uint8Array(bytes.buffer));
    }
  }
  await writeFile(join(folder, 'manifest.json'), JSON.stringify(manifest));
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

export async function runDriftBench(options: DriftBenchOptions = {}): Promise<DriftBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const numeric = options.numericColumns ?? 12;
  const categorical = options.categoricalColumns ?? 8;
  const seed = options.seed ?? 42;
  const python = options.python === undefined ? '/usr/bin/python3' : options.python;
  const reference = makeTable(rows, numeric, categorical, seed, false);
  const current = makeTable(rows, numeric, categorical, seed + 1, true);

  let start = process.hrtime.bigint();
  const exact = analyzeDrift(reference, current);
  const tableVsTable = seconds(start);

  start = process.hrtime.bigint();
  const profile = buildProfile(reference, schemaOf(reference));
  const buildSeconds = seconds(start);
  start = process.hrtime.bigint();
  analyzeDrift(profile, current);
  const profileVsTable = seconds(start);

  const referenceSorted = Float64Array.from(reference.columns[0] as number[]).sort();
  const currentSorted = Float64Array.from(current.columns[0] as number[]).sort();
  start = process.hrtime.bigint();
  const ksOurs = ksStatisticSorted(referenceSorted, currentSorted);
  const ksSeconds = seconds(start);
  const sketch = quantileSketch(referenceSorted);
  const column = profile.columns[0];
  const std = column.type === 'numeric' && column.std ? column.std : 1;
  const sketchError = {
    ksStatistic: Math.abs(ksStatisticSketch(sketch, currentSorted) - ksOurs),
    wassersteinNormed:
      Math.abs(wassersteinSketch(sketch, currentSorted) - wassersteinSorted(referenceSorted, currentSorted)) / std,
    wassersteinBound: (referenceSorted[rows - 1] - referenceSorted[0]) / 1000 / std,
  };

  let scipy: { seconds: number; scores: Record<string, number>; ksSeconds: number; ks: { statistic: number } } | null =
    null;
  if (python !== null && existsSync(python)) {
    const folder = await mkdtemp(join(tmpdir(), 'drift-bench-'));
    try {
      await writePeerData(folder, reference, current);
      const output = execFileSync(python, [join(__dirname, 'peers', 'scipy_drift.py'), folder], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      scipy = JSON.parse(output);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  const maxScoreDifference = scipy
    ? Math.max(...exact.report.columns.map((c) => Math.abs((c.score ?? 0) - (scipy.scores[c.name] ?? Number.NaN))))
    : null;
  const usage = process.memoryUsage();
  return {
    rows,
    columns: numeric + categorical,
    seconds: { tableVsTable, buildProfile: buildSeconds, profileVsTable, scipy: scipy?.seconds ?? null },
    ratioToScipy: scipy ? tableVsTable / scipy.seconds : null,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: usage.heapUsed / 2 ** 20,
    driftedColumns: exact.report.driftedColumns,
    maxScoreDifference,
    ks: {
      ours: ksOurs,
      scipy: scipy?.ks.statistic ?? null,
      oursSeconds: ksSeconds,
      scipySeconds: scipy?.ksSeconds ?? null,
    },
    sketchError,
  };
}

export function printTable(result: DriftBenchResult): void {
  const row = (label: string, value: string) => console.log(`${label.padEnd(44)} ${value}`);
  const fmt = (value: number | null, digits = 2) => (value === null ? 'n/a' : value.toFixed(digits));
  console.log(
    `drift bench: ${result.rows.toLocaleString('en-US')} vs ${result.rows.toLocaleString('en-US')} rows x ${result.columns} columns`,
  );
  row('ours, reference table vs current table (s)', fmt(result.seconds.tableVsTable));
  row('ours, buildProfile of the reference (s)', fmt(result.seconds.buildProfile));
  row('ours, reference profile vs current table (s)', fmt(result.seconds.profileVsTable));
  row('scipy, same tests on the same data (s)', fmt(result.seconds.scipy));
  row('ratio ours / scipy (table vs table)', fmt(result.ratioToScipy));
  row('peak RSS (MB)', fmt(result.peakRssMb, 0));
  row('drifted columns', String(result.driftedColumns));
  row(
    'max |score ours - scipy|',
    result.maxScoreDifference === null ? 'n/a' : result.maxScoreDifference.toExponential(2),
  );
  row('KS statistic merge walk, sorted input (s)', fmt(result.ks.oursSeconds, 3));
  row('scipy ks_2samp incl. sort (s)', fmt(result.ks.scipySeconds, 3));
  row('sketch |D - D_exact|', result.sketchError.ksStatistic.toExponential(2));
  row(
    'sketch |W - W_exact| / std (bound)',
    `${result.sketchError.wassersteinNormed.toExponential(2)} (${result.sketchError.wassersteinBound.toExponential(2)})`,
  );
}

if (process.argv[1] === __filename) {
  const rows = process.argv[2] ? Number(process.argv[2]) : undefined;
  runDriftBench({ rows })
    .then((result) => {
      printTable(result);
      console.log(JSON.stringify(result));
    })
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
