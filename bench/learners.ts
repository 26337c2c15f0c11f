/**
 * Our GBDT against XGBoost `hist` on the same synthetic rows: training time (100 trees, depth 6,
 * no early stopping), held-out AUC (with early stopping), one-row scoring p50/p99 and 1,000-row
 * batch latency. Run: `node bin/run-ts.js bench/learners.ts [rows...] [--timing-only] [--our-threads N]`
 * (default rows 100000 1000000; `--timing-only` skips the early-stopping runs, for a quick ratio).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic, writeSyntheticCsv } from '../core/datasets/synthetic';
import type { FeatureMatrix } from '../core/features/matrix';
import { GBDT_DEFAULTS, trainGbdt } from '../core/learners/gbdt';
import type { FittedModel } from '../core/learners/types';
import { auc } from '../core/metrics';

const PYTHON = '/usr/bin/python3';
const PEER_SCRIPT = join(__dirname, 'peers', 'xgboost_peer.py');

export interface LearnerBenchOptions {
  /** Training-set sizes; validation is a fifth of each. @default [100000, 1000000] */
  readonly sizes?: readonly number[];
  /** Held-out rows every AUC is computed on. @default 100000 */
  readonly testRows?: number;
  /** XGBoost threads. @default 2 */
  readonly threads?: number;
  /** Our GBDT's threads. @default GBDT_DEFAULTS.threads */
  readonly ourThreads?: number;
  /** Also train both learners with early stopping (300 rounds, patience 20) for AUC. @default true */
  readonly earlyStopping?: boolean;
  readonly log?: (line: string) => void;
}

export interface LearnerRun {
  readonly learner: 'ours' | 'xgboost';
  readonly rows: number;
  readonly mode: '100 trees' | 'early stopping';
  readonly trees: number;
  readonly trainSeconds: number;
  readonly testAuc: number;
  readonly rowP50Ms: number;
  readonly rowP99Ms: number;
  readonly batch1000Ms: number;
}

export interface LearnerBenchResult {
  readonly machine: { cpus: number; node: string; xgboost: string };
  readonly bayesAuc: number;
  readonly runs: LearnerRun[];
}

/** Installs Debian's python3-xgboost when the system interpreter cannot import it. */
export function ensureXgboost(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import xgboost'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['install', '-y', 'python3-xgboost'], { stdio: 'inherit' });
  }
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))];
}

function sliceRows(matrix: FeatureMatrix, rows: number): FeatureMatrix {
  return { features: matrix.features, columns: matrix.columns.map((c) => c.subarray(0, rows)), rowCount: rows };
}

function emptyLike(matrix: FeatureMatrix): FeatureMatrix {
  return { features: matrix.features, columns: matrix.columns.map(() => new Float64Array(0)), rowCount: 0 };
}

/** Latency of our scorer: one row at a time (p50/p99) and a 1,000-row batch (median). */
function measureScoring(model: FittedModel, test: FeatureMatrix, latencyRows = 2000) {
  const rows = Math.min(latencyRows, test.rowCount);
  const vectors = Array.from({ length: rows }, (_, r) => Float64Array.from(test.columns, (column) => column[r]));
  let sink = 0;
  for (let i = 0; i < 200; i++) sink += model.predictRow(vectors[i % rows]);
  const single = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const started = process.hrtime.bigint();
    sink += model.predictRow(vectors[i]);
    single[i] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  single.sort();
  const batch = sliceRows(test, Math.min(1000, test.rowCount));
  const batchTimes = new Float64Array(30);
  for (let i = 0; i < batchTimes.length; i++) {
    const started = process.hrtime.bigint();
    sink += model.predictMatrix(batch)[0];
    batchTimes[i] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  batchTimes.sort();
  if (Number.isNaN(sink)) throw new Error('scores contain NaN');
  return {
    rowP50Ms: percentile(single, 50),
    rowP99Ms: percentile(single, 99),
    batch1000Ms: percentile(batchTimes, 50),
  };
}

interface PeerOutput {
  xgboostVersion: string;
  trainSeconds: number;
  trees: number;
  rowP50Ms: number;
  rowP99Ms: number;
  batch1000Ms: number;
}

function runPeer(
  dir: string,
  threads: number,
  earlyStopping: number,
  rounds: number,
): PeerOutput & { testScores: Float64Array } {
  const predictions = join(dir, `xgb-predictions-${earlyStopping}.bin`);
  const output = execFileSync(
    PYTHON,
    [
      PEER_SCRIPT,
      ...[
        '--train',
        join(dir, 'train.csv'),
        '--validation',
        join(dir, 'validation.csv'),
        '--test',
        join(dir, 'test.csv'),
      ],
      ...['--predictions', predictions, '--rounds', String(rounds), '--threads', String(threads)],
      ...['--early-stopping', String(earlyStopping), '--max-depth', '6', '--eta', '0.1'],
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const buffer = readFileSync(predictions);
  const testScores = new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 8);
  return { ...(JSON.parse(output) as PeerOutput), testScores: Float64Array.from(testScores) };
}

function formatTable(runs: readonly LearnerRun[]): string {
  const header = ['rows', 'mode', 'learner', 'trees', 'train s', 'test AUC', 'row p50 ms', 'row p99 ms', '1k batch ms'];
  const lines = runs.map((run) => [
    String(run.rows),
    run.mode,
    run.learner,
    String(run.trees),
    run.trainSeconds.toFixed(2),
    run.testAuc.toFixed(4),
    run.rowP50Ms.toFixed(4),
    run.rowP99Ms.toFixed(4),
    run.batch1000Ms.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i])).join('  ');
  return [format(header), ...lines.map(format)].join('\n');
}

export async function runLearnerBench(options: LearnerBenchOptions = {}): Promise<LearnerBenchResult> {
  const sizes = options.sizes ?? [100_000, 1_000_000];
  const testRows = options.testRows ?? 100_000;
  const threads = options.threads ?? 2;
  const ourThreads = options.ourThreads ?? GBDT_DEFAULTS.threads;
  const withEarlyStopping = options.earlyStopping ?? true;
  const log = options.log ?? ((line: string) => console.log(line));
  ensureXgboost();
  const test = generateSynthetic({ rows: testRows, seed: 3, task: 'binary' });
  const bayesAuc = auc(test.signal, test.target);
  const runs: LearnerRun[] = [];
  let xgboostVersion = '';
  for (const rows of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'learner-bench-'));
    try {
      const train = generateSynthetic({ rows, seed: 1, task: 'binary' });
      const validation = generateSynthetic({ rows: Math.max(1000, Math.floor(rows / 5)), seed: 2, task: 'binary' });
      writeSyntheticCsv(join(dir, 'train.csv'), train.matrix, train.target);
      writeSyntheticCsv(join(dir, 'validation.csv'), validation.matrix, validation.target);
      writeSyntheticCsv(join(dir, 'test.csv'), test.matrix, test.target);
      const modes = withEarlyStopping ? (['100 trees', 'early stopping'] as const) : (['100 trees'] as const);
      for (const mode of modes) {
        const early = mode === 'early stopping';
        log(`${rows} rows, ${mode}: training ours...`);
        const started = process.hrtime.bigint();
        const model = trainGbdt(
          {
            task: 'binary',
            train: train.matrix,
            trainTarget: train.target,
            // The timing run gets no validation set, as XGBoost gets no eval set: same work.
            validation: early ? validation.matrix : emptyLike(validation.matrix),
            validationTarget: early ? validation.target : new Float64Array(0),
            seed: 1,
          },
          {
            nEstimators: early ? 300 : 100,
            maxDepth: 6,
            learningRate: 0.1,
            earlyStoppingRounds: early ? 20 : 0,
            threads: ourThreads,
          },
        );
        const trainSeconds = Number(process.hrtime.bigint() - started) / 1e9;
        runs.push({
          learner: 'ours',
          rows,
          mode,
          trees: model.json.trees.length,
          trainSeconds,
          testAuc: auc(model.predictMatrix(test.matrix), test.target),
          ...measureScoring(model, test.matrix),
        });
        log(`${rows} rows, ${mode}: training xgboost...`);
        const peer = runPeer(dir, threads, early ? 20 : 0, early ? 300 : 100);
        xgboostVersion = peer.xgboostVersion;
        runs.push({
          learner: 'xgboost',
          rows,
          mode,
          trees: peer.trees,
          trainSeconds: peer.trainSeconds,
          testAuc: auc(peer.testScores, test.target),
          rowP50Ms: peer.rowP50Ms,
          rowP99Ms: peer.rowP99Ms,
          batch1000Ms: peer.batch1000Ms,
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  log(formatTable(runs));
  for (const rows of sizes) {
    const timed = runs.filter((run) => run.rows === rows && run.mode === '100 trees');
    const ours = timed.find((run) => run.learner === 'ours');
    const peer = timed.find((run) => run.learner === 'xgboost');
    if (ours && peer) {
      log(
        `${rows} rows, 100 trees: ours (${ourThreads} thread(s)) / xgboost (${threads}) training time = ${(ours.trainSeconds / peer.trainSeconds).toFixed(2)}x, AUC difference ${(ours.testAuc - peer.testAuc).toFixed(4)}`,
      );
    }
  }
  log(`Bayes-optimal test AUC: ${bayesAuc.toFixed(4)}`);
  return {
    machine: { cpus: cpus().length, node: process.version, xgboost: xgboostVersion },
    bayesAuc,
    runs,
  };
}

// bin/run-ts.js sets argv[1] to the entry file; require.main is run-ts.js itself.
if (process.argv[1] === __filename) {
  const args = process.argv.slice(2);
  const threadsAt = args.indexOf('--our-threads');
  const ourThreads = threadsAt >= 0 ? Number(args[threadsAt + 1]) : undefined;
  if (ourThreads !== undefined && !(ourThreads === 1 || ourThreads === 2)) {
    throw new Error(`--our-threads must be 1 or 2, got ${args[threadsAt + 1]}`);
  }
  const sizes = args
    .filter((_, i) => i !== threadsAt + 1 || threadsAt < 0)
    .map(Number)
    .filter((n) => n > 0);
  runLearnerBench({
    ...(sizes.length > 0 ? { sizes } : {}),
    earlyStopping: !args.includes('--timing-only'),
    ourThreads,
  }).then((result) => console.log(JSON.stringify(result)));
}
