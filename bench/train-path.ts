/**
 * The user's path from the shell: `node bin/mlops.js train --learner gbdt --trees 100 --max-depth 6`
 * (with and without `--no-refit`, and in auto mode) on a generated CSV (start-up included) against pandas.read_csv + get_dummies +
 * XGBClassifier(n_estimators=100, max_depth=6, tree_method="hist", n_jobs=2) on the same file, in
 * the same run, with our phase breakdown (MLOPS_TIMINGS=1). Run: `npm run bench -- train-path`;
 * other sizes with TRAIN_PATH_ROWS, e.g. `TRAIN_PATH_ROWS=100000,1000000 npm run bench -- train-path`, and
 * the variants with TRAIN_PATH_MODES (TRAIN_PATH_MODES below; default all).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom } from '../core/datasets/random';
import { generateSynthetic } from '../core/datasets/synthetic';
import { parsePhaseTimings } from '../core/timing/phases';

const PYTHON = '/usr/bin/python3';
const REPO = join(__dirname, '..');
const PEER_SCRIPT = join(__dirname, 'peers', 'train_path_peer.py');
const MISSING_RATE = 0.03;

export interface TrainPathOptions {
  /** @default TRAIN_PATH_ROWS (comma-separated) or [200000] */
  readonly sizes?: readonly number[];
  /** Runs of each side, alternating; the fastest of each is compared (the machine is shared). @default 3 */
  readonly repeats?: number;
  /** @default TRAIN_PATH_MODES (comma-separated) or every mode */
  readonly modes?: readonly TrainPathMode[];
  readonly log?: (line: string) => void;
}

/** Installs Debian's pandas, scikit-learn and XGBoost when the system interpreter lacks one. */
function ensurePythonPeers(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import pandas, sklearn, xgboost'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['install', '-y', 'python3-xgboost', 'python3-pandas', 'python3-sklearn'], {
      stdio: 'inherit',
    });
  }
}

/**
 * `rows` x 20 columns + target: 18 numeric (3% missing, written as empty fields) and 2 categorical
 * text columns (the synthetic data set's 8- and 16-level codes as words).
 */
export function writeTrainPathCsv(path: string, rows: number, seed = 12): void {
  const { matrix, target } = generateSynthetic({ rows, seed, task: 'binary' });
  const missing = createRandom(seed + 1);
  const names = matrix.features.map((feature, f) => (f < 18 ? feature.name : `c${f}`));
  const handle = openSync(path, 'w');
  try {
    writeSync(handle, `${[...names, 'target'].join(',')}\n`);
    const chunkRows = 20000;
    for (let start = 0; start < rows; start += chunkRows) {
      const lines: string[] = [];
      for (let r = start; r < Math.min(rows, start + chunkRows); r++) {
        let line = '';
        for (let f = 0; f < 20; f++) {
          const value = matrix.columns[f][r];
          if (f >= 18) line += `level${value},`;
          else line += missing.next() < MISSING_RATE ? ',' : `${value},`;
        }
        lines.push(line + target[r]);
      }
      writeSync(handle, `${lines.join('\n')}\n`);
    }
  } finally {
    closeSync(handle);
  }
}

function modesFromEnvironment(): TrainPathMode[] {
  const requested = process.env.TRAIN_PATH_MODES?.split(',').filter(Boolean) ?? Object.keys(TRAIN_PATH_MODES);
  const unknown = requested.filter((mode) => !Object.hasOwn(TRAIN_PATH_MODES, mode));
  if (unknown.length > 0) {
    throw new Error(
      `train-path: unknown mode(s) ${unknown.join(', ')}; modes: ${Object.keys(TRAIN_PATH_MODES).join(', ')}`,
    );
  }
  return requested as TrainPathMode[];
}

function seconds(milliseconds: number): number {
  return Number((milliseconds / 1000).toFixed(2));
}

/** The `mlops train` variants timed against the same Python path. */
export const TRAIN_PATH_MODES = {
  /**
   * The command, at the peer's settings (XGBoost's eta is 0.3; ours defaults to 0.1, which
   * 100 trees leave short of converged): selection fit, then the refit.
   */
  gbdt: ['--learner', 'gbdt', '--trees', '100', '--max-depth', '6', '--learning-rate', '0.3'],
  /** The same with one fit, the work the Python path does (it fits on its 80% split only). */
  'gbdt-no-refit': ['--learner', 'gbdt', '--trees', '100', '--max-depth', '6', '--learning-rate', '0.3', '--no-refit'],
  /** Defaults: both learners, the settings search (default budget), the refit. */
  auto: [],
  /** Both learners' defaults and the refit, no search beyond them. */
  'auto-no-search': ['--time-budget', '0'],
} as const satisfies Record<string, readonly string[]>;
export type TrainPathMode = keyof typeof TRAIN_PATH_MODES;

function runOurs(csv: string, out: string, mode: TrainPathMode) {
  const started = performance.now();
  const child = spawnSync(
    process.execPath,
    [
      join(REPO, 'bin', 'mlops.js'),
      'train',
      ...['--data', csv, '--target', 'target', '--positive', '1', '--out', out],
      ...TRAIN_PATH_MODES[mode],
    ],
    { env: { ...process.env, MLOPS_TIMINGS: '1' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const wallSeconds = seconds(performance.now() - started);
  if (child.status !== 0) throw new Error(`mlops train exited ${child.status}: ${child.stderr.slice(-2000)}`);
  const phases = parsePhaseTimings(child.stderr);
  const auc = /validation auc (\d\.\d+)/.exec(child.stderr)?.[1];
  return { mode, wallSeconds, phasesMs: phases, validationAuc: auc === undefined ? undefined : Number(auc) };
}

function runPython(csv: string) {
  const started = performance.now();
  const stdout = execFileSync(PYTHON, [PEER_SCRIPT, csv], { encoding: 'utf8' });
  const wallSeconds = seconds(performance.now() - started);
  const reported = JSON.parse(stdout) as {
    importSeconds: number;
    readSeconds: number;
    dummiesSeconds: number;
    trainSeconds: number;
    validationAuc: number;
  };
  return { wallSeconds, ...reported };
}

export function runTrainPathBench(options: TrainPathOptions = {}) {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (!existsSync(join(REPO, 'dist', 'cli', 'mlops.js'))) {
    throw new Error('dist/cli/mlops.js is missing; run `npm run build` first (the bench times the compiled CLI)');
  }
  ensurePythonPeers();
  const results = [];
  const fromEnvironment = process.env.TRAIN_PATH_ROWS?.split(',').map(Number);
  for (const rows of options.sizes ?? fromEnvironment ?? [200_000]) {
    if (!Number.isInteger(rows) || rows < 100) {
      throw new Error(`train-path: row counts must be integers of at least 100, got ${rows} (TRAIN_PATH_ROWS?)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'mlops-train-path-'));
    try {
      const csv = join(dir, 'train.csv');
      writeTrainPathCsv(csv, rows);
      const fileMb = Number((statSync(csv).size / 1e6).toFixed(1));
      const modes = options.modes ?? modesFromEnvironment();
      const oursRuns: ReturnType<typeof runOurs>[] = [];
      const pythonRuns: ReturnType<typeof runPython>[] = [];
      const repeats = options.repeats ?? 3;
      for (let run = 0; run < repeats; run++) {
        pythonRuns.push(runPython(csv));
        // auto modes train both learners (and search): once is enough, three would dominate the bench.
        for (const mode of modes)
          if (!mode.startsWith('auto') || run === 0) oursRuns.push(runOurs(csv, join(dir, 'model'), mode));
      }
      const fastest = <T extends { wallSeconds: number }>(runs: T[]) =>
        runs.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
      const python = fastest(pythonRuns);
      log(
        `train-path ${rows} rows x 20 columns (${fileMb} MB): pandas + XGBoost ${python.wallSeconds} s ` +
          `(AUC ${python.validationAuc.toFixed(4)}; runs ${pythonRuns.map((r) => r.wallSeconds).join(', ')} s; ` +
          `import ${python.importSeconds.toFixed(2)}, read_csv ${python.readSeconds.toFixed(2)}, ` +
          `get_dummies ${python.dummiesSeconds.toFixed(2)}, fit ${python.trainSeconds.toFixed(2)})`,
      );
      const byMode = modes.map((mode) => {
        const runs = oursRuns.filter((r) => r.mode === mode);
        const ours = fastest(runs);
        const ratio = Number((ours.wallSeconds / python.wallSeconds).toFixed(2));
        const goal = mode.startsWith('auto') ? 3 : 1;
        const phases = Object.entries(ours.phasesMs)
          .map(([phase, ms]) => `${phase} ${ms}`)
          .join(', ');
        log(
          `  mlops train [${mode}] ${ours.wallSeconds} s (AUC ${ours.validationAuc}; runs ` +
            `${runs.map((r) => r.wallSeconds).join(', ')} s): ratio ${ratio}x (goal ${goal}x: ${ratio <= goal ? 'met' : 'missed'})`,
        );
        log(`    phases (ms, fastest run): ${phases}`);
        return { mode, ours, ratio, goal, runs };
      });
      results.push({ rows, fileMb, python, pythonRuns, modes: byMode });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}
