/**
 * Explanations: exact path-dependent TreeSHAP for one row, our GBDT of 100 trees of depth 6 on 20
 * features, against XGBoost's pred_contribs on its own 100 depth-6 trees trained on the same rows
 * (python3-xgboost, in the same run). p50 and p99 over single rows, and the ratio ours / XGBoost.
 * Run: `node bin/run-ts.js bench/explain.ts` (or `npm run bench -- explain`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic } from '../core/datasets/synthetic';
import { treeShapExplainer } from '../core/explain/tree-shap';
import type { FeatureMatrix } from '../core/features/matrix';
import { trainGbdt } from '../core/learners/gbdt';
import { ensureXgboost } from './learners';

const PYTHON = '/usr/bin/python3';
const PEER_SCRIPT = join(__dirname, 'peers', 'xgboost_contribs_peer.py');

export interface ExplainBenchOptions {
  /** Training rows. @default 20000 */
  readonly trainRows?: number;
  /** Single rows timed, each side. @default 3000 */
  readonly timedRows?: number;
  readonly log?: (line: string) => void;
}

export interface ExplainLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ExplainBenchResult {
  readonly trees: number;
  readonly maxDepth: number;
  readonly features: number;
  readonly ours: ExplainLatency & { readonly leaves: number };
  readonly xgboost: ExplainLatency & {
    readonly version: string;
    readonly threads: number;
    readonly leaves: number;
    /** The same with the one-row DMatrix built inside the timing, as a caller building it per request pays. */
    readonly withDMatrixP50Ms: number;
    readonly withDMatrixP99Ms: number;
  };
  /** Ours / XGBoost's predict(pred_contribs) p50 on a prebuilt DMatrix: below 1 means ours is faster. */
  readonly p50Ratio: number;
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))];
}

function rowMajor(matrix: FeatureMatrix, target?: Float64Array): Float64Array {
  const width = matrix.columns.length + (target ? 1 : 0);
  const out = new Float64Array(matrix.rowCount * width);
  for (let r = 0; r < matrix.rowCount; r++) {
    for (let f = 0; f < matrix.columns.length; f++) out[r * width + f] = matrix.columns[f][r];
    if (target) out[r * width + width - 1] = target[r];
  }
  return out;
}

export async function runExplainBench(options: ExplainBenchOptions = {}): Promise<ExplainBenchResult> {
  const log = options.log ?? (() => undefined);
  const trainRows = options.trainRows ?? 20_000;
  const timedRows = options.timedRows ?? 3000;
  const train = generateSynthetic({ rows: trainRows, seed: 21, task: 'binary' });
  const test = generateSynthetic({ rows: timedRows, seed: 22, task: 'binary' });
  const empty: FeatureMatrix = {
    features: train.matrix.features,
    columns: train.matrix.columns.map(() => new Float64Array(0)),
    rowCount: 0,
  };
  const model = trainGbdt(
    {
      task: 'binary',
      train: train.matrix,
      trainTarget: train.target,
      validation: empty,
      validationTarget: new Float64Array(0),
      seed: 1,
    },
    { nEstimators: 100, maxDepth: 6, earlyStoppingRounds: 0 },
  );
  if (!model.shapForest) throw new Error('the trained GBDT has no node cover to explain');
  const explainer = treeShapExplainer(model.shapForest);
  const leaves = model.json.trees.reduce((sum, tree) => sum + tree.left.filter((child) => child < 0).length, 0);

  const width = test.matrix.columns.length;
  const rows = Array.from({ length: timedRows }, (_, r) =>
    Float64Array.from(test.matrix.columns, (column) => column[r]),
  );
  const out = new Float64Array(width);
  let sink = 0;
  for (let i = 0; i < 300; i++) sink += explainer.explainRow(rows[i % timedRows], out)[0];
  const times = new Float64Array(timedRows);
  for (let r = 0; r < timedRows; r++) {
    const started = process.hrtime.bigint();
    sink += explainer.explainRow(rows[r], out)[0];
    times[r] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  if (Number.isNaN(sink)) throw new Error('explanations contain NaN');
  times.sort();
  const ours = { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), leaves };

  ensureXgboost();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-explain-bench-'));
  let peer: {
    xgboost: string;
    threads: number;
    leaves: number;
    p50Ms: number;
    p99Ms: number;
    withDMatrixP50Ms: number;
    withDMatrixP99Ms: number;
  };
  try {
    const trainPath = join(dir, 'train.f64');
    const testPath = join(dir, 'test.f64');
    writeFileSync(trainPath, rowMajor(train.matrix, train.target));
    writeFileSync(testPath, rowMajor(test.matrix));
    // One thread: a single row's contributions gain nothing from a second, and OpenMP start-up costs.
    const stdout = execFileSync(PYTHON, [PEER_SCRIPT, trainPath, testPath, String(width), '1', String(timedRows)], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    peer = JSON.parse(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result: ExplainBenchResult = {
    trees: model.json.trees.length,
    maxDepth: 6,
    features: width,
    ours,
    xgboost: {
      version: peer.xgboost,
      threads: peer.threads,
      leaves: peer.leaves,
      p50Ms: peer.p50Ms,
      p99Ms: peer.p99Ms,
      withDMatrixP50Ms: peer.withDMatrixP50Ms,
      withDMatrixP99Ms: peer.withDMatrixP99Ms,
    },
    p50Ratio: ours.p50Ms / peer.p50Ms,
  };
  const ms = (value: number) => value.toFixed(3);
  log(
    `explain: one row, ${result.trees} trees of depth 6 (${leaves} leaves), ${width} features: ` +
      `TreeSHAP p50 ${ms(ours.p50Ms)} ms, p99 ${ms(ours.p99Ms)} ms`,
  );
  log(
    `explain: xgboost ${peer.xgboost} pred_contribs (${peer.leaves} leaves, ${peer.threads} thread): ` +
      `p50 ${ms(peer.p50Ms)} ms, p99 ${ms(peer.p99Ms)} ms; with the DMatrix built per row p50 ${ms(peer.withDMatrixP50Ms)} ms, ` +
      `p99 ${ms(peer.withDMatrixP99Ms)} ms; ours / xgboost p50 ${result.p50Ratio.toFixed(2)}`,
  );
  return result;
}

// bin/run-ts.js sets argv[1] to the entry file; require.main is run-ts.js itself.
if (process.argv[1] === __filename) {
  runExplainBench({ log: (line) => process.stdout.write(`${line}\n`) }).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
