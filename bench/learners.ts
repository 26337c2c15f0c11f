/**
 * Our GBDT against XGBoost `hist` on the same synthetic rows: training time (100 trees, depth 6,
 * no early stopping; the median of `--repeats` runs per learner, ours and XGBoost's alternating in
 * one run), held-out AUC (with early stopping), one-row scoring p50/p99 and 1,000-row batch latency,
 * and the ratios ours / XGBoost of training time and batch latency.
 * Run: `node bin/run-ts.js bench/learners.ts [rows...] [--timing-only] [--our-threads N] [--repeats N]`
 * (default rows 100000 1000000, 3 repeats; `--timing-only` skips the early-stopping runs, for a quick ratio).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateSynthetic, writeSyntheticCsv } from '../core/datasets/synthetic';
import type { FeatureMatrix } from '../core/features/matrix';
import { GBDT_DEFAULTS, type GbdtModelJson, trainGbdt } from '../core/learners/gbdt';
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
  /** Training runs per learner for the 100-tree timing, alternating ours and XGBoost; the median counts. @default 3 */
  readonly repeats?: number;
  readonly log?: (line: string) => void;
}

export interface LearnerRun {
  readonly learner: 'ours' | 'xgboost';
  readonly rows: number;
  readonly mode: '100 trees' | 'early stopping';
  readonly trees: number;
  /** The median of `trainSecondsRuns`. */
  readonly trainSeconds: number;
  /** Every training run's time, in the order they ran (one for early stopping). */
  readonly trainSecondsRuns: number[];
  readonly testAuc: number;
  readonly rowP50Ms: number;
  readonly rowP99Ms: number;
  readonly batch1000Ms: number;
}

/** Ours / XGBoost at one size, 100 trees: below 1 means ours is faster. */
export interface LearnerRatio {
  readonly rows: number;
  /** Median training time over median training time. */
  readonly trainRatio: number;
  /** 1,000-row batch latency (median of 30) over XGBoost's inplace_predict latency. */
  readonly batch1000Ratio: number;
  readonly aucDifference: number;
}

export interface LearnerBenchResult {
  readonly machine: { cpus: number; node: string; xgboost: string };
  readonly repeats: number;
  readonly bayesAuc: number;
  readonly runs: LearnerRun[];
  readonly ratios: LearnerRatio[];
}

/** Installs Debian's python3-xgboost when the system interpreter cannot import it. */
export function ensureXgboost(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import xgboost'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['install', '-y', 'python3-xgboost'], { stdio: 'inherit' });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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
}

interface PeerMeasurement extends PeerOutput {
  rowP50Ms: number;
  rowP99Ms: number;
  batch1000Ms: number;
  testScores: Float64Array;
}

/**
 * The XGBoost peer as one process per data set: it loads the CSVs once, then trains whenever asked,
 * so its runs can alternate with ours without reloading.
 */
class XgboostPeer {
  private constructor(
    private readonly process: ChildProcess,
    private readonly lines: AsyncIterator<string>,
    private readonly predictions: string,
  ) {}

  static async start(dir: string, threads: number): Promise<XgboostPeer> {
    const predictions = join(dir, 'xgb-predictions.bin');
    const child = spawn(
      PYTHON,
      [
        PEER_SCRIPT,
        ...['--train', join(dir, 'train.csv'), '--validation', join(dir, 'validation.csv')],
        ...['--test', join(dir, 'test.csv'), '--predictions', predictions],
        ...['--threads', String(threads), '--max-depth', '6', '--eta', '0.1'],
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const peer = new XgboostPeer(child, createInterface({ input: child.stdout! })[Symbol.asyncIterator](), predictions);
    await peer.nextLine();
    return peer;
  }

  private async nextLine(): Promise<string> {
    const line = await this.lines.next();
    if (line.done) throw new Error(`xgboost peer exited (code ${this.process.exitCode}); its errors are above`);
    return line.value;
  }

  async train(rounds: number, earlyStopping: number): Promise<PeerOutput> {
    this.process.stdin!.write(`${JSON.stringify({ rounds, earlyStopping, measure: false })}\n`);
    return JSON.parse(await this.nextLine()) as PeerOutput;
  }

  /** Trains once more, then measures scoring latency and writes the test-set probabilities. */
  async trainAndMeasure(rounds: number, earlyStopping: number): Promise<PeerMeasurement> {
    this.process.stdin!.write(`${JSON.stringify({ rounds, earlyStopping, measure: true })}\n`);
    const output = JSON.parse(await this.nextLine()) as Omit<PeerMeasurement, 'testScores'>;
    const buffer = readFileSync(this.predictions);
    const testScores = Float64Array.from(new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 8));
    return { ...output, testScores };
  }

  close(): void {
    this.process.stdin!.end();
  }
}

function formatTable(runs: readonly LearnerRun[]): string {
  const header = [
    'rows',
    'mode',
    'learner',
    'trees',
    'train s (median)',
    'train s (runs)',
    'test AUC',
    'row p50 ms',
    'row p99 ms',
    '1k batch ms',
  ];
  const lines = runs.map((run) => [
    String(run.rows),
    run.mode,
    run.learner,
    String(run.trees),
    run.trainSeconds.toFixed(2),
    run.trainSecondsRuns.map((seconds) => seconds.toFixed(2)).join(' '),
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
  const repeats = options.repeats ?? 3;
  const log = options.log ?? ((line: string) => console.log(line));
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a positive integer, got ${repeats}`);
  ensureXgboost();
  const test = generateSynthetic({ rows: testRows, seed: 3, task: 'binary' });
  const bayesAuc = auc(test.signal, test.target);
  const runs: LearnerRun[] = [];
  let xgboostVersion = '';
  for (const rows of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'learner-bench-'));
    let peer: XgboostPeer | undefined;
    try {
      const train = generateSynthetic({ rows, seed: 1, task: 'binary' });
      const validation = generateSynthetic({ rows: Math.max(1000, Math.floor(rows / 5)), seed: 2, task: 'binary' });
      writeSyntheticCsv(join(dir, 'train.csv'), train.matrix, train.target);
      writeSyntheticCsv(join(dir, 'validation.csv'), validation.matrix, validation.target);
      writeSyntheticCsv(join(dir, 'test.csv'), test.matrix, test.target);
      peer = await XgboostPeer.start(dir, threads);
      const modes = withEarlyStopping ? (['100 trees', 'early stopping'] as const) : (['100 trees'] as const);
      for (const mode of modes) {
        const early = mode === 'early stopping';
        // Early stopping is run once, for AUC; the 100-tree timing alternates the learners.
        const runCount = early ? 1 : repeats;
        const rounds = early ? 300 : 100;
        const patience = early ? 20 : 0;
        const ourSeconds: number[] = [];
        const peerSeconds: number[] = [];
        let model: FittedModel<GbdtModelJson> | undefined;
        let measured: PeerMeasurement | undefined;
        for (let run = 1; run <= runCount; run++) {
          log(`${rows} rows, ${mode}: training ours (run ${run}/${runCount})...`);
          const started = process.hrtime.bigint();
          model = trainGbdt(
            {
              task: 'binary',
              train: train.matrix,
              trainTarget: train.target,
              // The timing run gets no validation set, as XGBoost gets no eval set: same work.
              validation: early ? validation.matrix : emptyLike(validation.matrix),
              validationTarget: early ? validation.target : new Float64Array(0),
              seed: 1,
            },
            { nEstimators: rounds, maxDepth: 6, learningRate: 0.1, earlyStoppingRounds: patience, threads: ourThreads },
          );
          ourSeconds.push(Number(process.hrtime.bigint() - started) / 1e9);
          log(`${rows} rows, ${mode}: training xgboost (run ${run}/${runCount})...`);
          if (run < runCount) {
            peerSeconds.push((await peer.train(rounds, patience)).trainSeconds);
          } else {
            measured = await peer.trainAndMeasure(rounds, patience);
            peerSeconds.push(measured.trainSeconds);
          }
        }
        if (!model || !measured) throw new Error('no training run');
        xgboostVersion = measured.xgboostVersion;
        runs.push({
          learner: 'ours',
          rows,
          mode,
          trees: model.json.trees.length,
          trainSeconds: median(ourSeconds),
          trainSecondsRuns: ourSeconds,
          testAuc: auc(model.predictMatrix(test.matrix), test.target),
          ...measureScoring(model, test.matrix),
        });
        runs.push({
          learner: 'xgboost',
          rows,
          mode,
          trees: measured.trees,
          trainSeconds: median(peerSeconds),
          trainSecondsRuns: peerSeconds,
          testAuc: auc(measured.testScores, test.target),
          rowP50Ms: measured.rowP50Ms,
          rowP99Ms: measured.rowP99Ms,
          batch1000Ms: measured.batch1000Ms,
        });
      }
    } finally {
      peer?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  log(formatTable(runs));
  const ratios: LearnerRatio[] = [];
  for (const rows of sizes) {
    const timed = runs.filter((run) => run.rows === rows && run.mode === '100 trees');
    const ours = timed.find((run) => run.learner === 'ours');
    const peer = timed.find((run) => run.learner === 'xgboost');
    if (!ours || !peer) continue;
    const ratio = {
      rows,
      trainRatio: ours.trainSeconds / peer.trainSeconds,
      batch1000Ratio: ours.batch1000Ms / peer.batch1000Ms,
      aucDifference: ours.testAuc - peer.testAuc,
    };
    ratios.push(ratio);
    log(
      `${rows} rows, 100 trees, ours (${ourThreads} thread(s)) / xgboost (${threads}): ` +
        `training time ${ratio.trainRatio.toFixed(2)}x (median of ${repeats}), ` +
        `1k batch ${ratio.batch1000Ratio.toFixed(2)}x, AUC difference ${ratio.aucDifference.toFixed(4)}`,
    );
  }
  log(`Bayes-optimal test AUC: ${bayesAuc.toFixed(4)}`);
  return {
    machine: { cpus: cpus().length, node: process.version, xgboost: xgboostVersion },
    repeats,
    bayesAuc,
    runs,
    ratios,
  };
}

/** `[rows...] [--timing-only] [--our-threads N] [--repeats N]`. */
function parseArguments(args: readonly string[]): LearnerBenchOptions {
  const numberAfter = (flag: string): number | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? Number(args[at + 1]) : undefined;
  };
  const ourThreads = numberAfter('--our-threads');
  if (ourThreads !== undefined && !(ourThreads === 1 || ourThreads === 2)) {
    throw new Error(`--our-threads must be 1 or 2, got ${args[args.indexOf('--our-threads') + 1]}`);
  }
  const repeats = numberAfter('--repeats');
  if (repeats !== undefined && !(Number.isInteger(repeats) && repeats >= 1)) {
    throw new Error(`--repeats must be a positive integer, got ${args[args.indexOf('--repeats') + 1]}`);
  }
  const flagValues = new Set(['--our-threads', '--repeats'].map((flag) => args.indexOf(flag) + 1).filter((i) => i > 0));
  const sizes = args
    .filter((arg, i) => !arg.startsWith('--') && !flagValues.has(i))
    .map(Number)
    .filter((n) => n > 0);
  return {
    ...(sizes.length > 0 ? { sizes } : {}),
    earlyStopping: !args.includes('--timing-only'),
    ourThreads,
    repeats,
  };
}

// bin/run-ts.js sets argv[1] to the entry file; require.main is run-ts.js itself.
if (process.argv[1] === __filename) {
  runLearnerBench(parseArguments(process.argv.slice(2))).then((result) => console.log(JSON.stringify(result)));
}
