/**
 * `npm run bench [-- <section> ...]`: every measurement the issues ask for, each next to its peer
 * from the same run where one exists, written to bench/results/<time>.json and latest.json.
 *
 * Sections (all by default):
 *   learners   GBDT training time, held-out AUC and scoring latency vs XGBoost (python3-xgboost)
 *   quality    AUC on real public data sets (shipped by python3-sklearn) vs XGBoost and logistic regression
 *   train-path `mlops train` from the shell on a 200,000-row CSV vs pandas + XGBoost, with its phase breakdown
 *   pipeline   a 1,000,000-row x 20-column CSV read, profiled and trained end to end (trainModel)
 *   drift      1M vs 1M rows x 20 columns drift analysis vs scipy (python3-scipy)
 *   inference  the HTTPS handler's latency for 1 and 1,000 rows in each request format, and the bundle's cold start
 *   explain    TreeSHAP for one row (100 trees of depth 6) vs XGBoost's pred_contribs, p50/p99 and their ratio
 *   scoring    batch scoring rows/s and stream handler cost per record (when present)
 *   ground-truth  the join and quality metrics for 1M predictions and 1M actuals vs pandas merge + scikit-learn
 *   console    the console's page loads over one model with 1,000 versions and 10,000 runs (bench/console.ts)
 *   feature-views the point-in-time join of 100k labels x 1M feature rows vs pandas merge_asof (sizes: bench/feature-views.ts)
 *   feature-lookup what the online-store lookup adds to a request of 1 and 100 entities (p50, p99) against dynalite, and DynamoDB requests per request
 *   feature-materialize a 100k-row view file into dynalite, in process and from the shell (bench/feature-materialize.ts)
 * Timings are wall-clock on this machine: compare the ratios within one run, not across runs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTableBytes, sha256Hex } from '../core/data/read';
import { generateSynthetic, writeSyntheticCsv } from '../core/datasets/synthetic';
import { trainModel } from '../core/train/train';
import { runConsoleBench } from './console';
import { printTable as printDriftTable, runDriftBench } from './drift';
import { runExplainBench } from './explain';
import { runFeatureLookupBench } from './feature-lookup';
import { runFeatureMaterializeBench } from './feature-materialize';
import { runFeatureViewsBench } from './feature-views';
import { runGroundTruthBench } from './ground-truth';
import { runInferenceBench } from './inference';
import { runLearnerBench } from './learners';
import { runQualityBench } from './quality';
import { runTrainPathBench } from './train-path';

type Section =
  | 'learners'
  | 'quality'
  | 'train-path'
  | 'pipeline'
  | 'drift'
  | 'inference'
  | 'explain'
  | 'scoring'
  | 'ground-truth'
  | 'feature-views'
  | 'feature-lookup'
  | 'console'
  | 'feature-materialize';
const SECTIONS: readonly Section[] = [
  'learners',
  'quality',
  'train-path',
  'pipeline',
  'drift',
  'inference',
  'explain',
  'scoring',
  'ground-truth',
  'feature-views',
  'feature-lookup',
  'console',
  'feature-materialize',
];

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The whole path a user runs with `mlops train` on a large file: parse, schema, pipeline, learners, profile. */
async function pipelineBench(rows = 1_000_000) {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-'));
  try {
    const path = join(dir, 'train.csv');
    const { matrix, target } = generateSynthetic({ rows, seed: 11, task: 'binary' });
    writeSyntheticCsv(path, matrix, target);
    const sizeMb = statSync(path).size / 1e6;
    const started = performance.now();
    const bytes = readFileSync(path);
    const table = await readTableBytes(bytes, path);
    const parsed = performance.now();
    const artifact = trainModel(table, {
      target: 'target',
      positiveLabel: '1',
      dataSha256: sha256Hex(bytes),
      learnerParams: { gbdt: { nEstimators: 100 } },
    });
    const done = performance.now();
    const result = {
      rows,
      columns: table.columnNames.length,
      fileMb: Number(sizeMb.toFixed(1)),
      readSeconds: Number(((parsed - started) / 1000).toFixed(2)),
      trainSeconds: Number(((done - parsed) / 1000).toFixed(2)),
      totalSeconds: Number(((done - started) / 1000).toFixed(2)),
      kept: artifact.model.kind,
      validationAuc: Number((artifact.metrics.validation as { auc: number }).auc.toFixed(4)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    log(
      `pipeline: ${rows} rows x ${result.columns} columns (${result.fileMb} MB CSV): read ${result.readSeconds} s, ` +
        `train (gbdt 100 trees + linear, profile) ${result.trainSeconds} s, AUC ${result.validationAuc}, peak RSS ${result.peakRssMb} MB`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runSection(section: Section): Promise<unknown> {
  switch (section) {
    case 'learners':
      return runLearnerBench({ log });
    case 'quality':
      return runQualityBench({ log });
    case 'train-path':
      return runTrainPathBench({ log });
    case 'pipeline':
      return pipelineBench();
    case 'drift': {
      const result = await runDriftBench({});
      printDriftTable(result);
      return result;
    }
    case 'inference':
      return runInferenceBench({ log });
    case 'explain':
      return runExplainBench({ log });
    case 'ground-truth':
      return runGroundTruthBench({ log });
    case 'feature-views':
      return runFeatureViewsBench({ log });
    case 'feature-lookup':
      return runFeatureLookupBench({ log });
    case 'console':
      return runConsoleBench({ log });
    case 'feature-materialize':
      return runFeatureMaterializeBench({ log });
    case 'scoring': {
      const path = join(__dirname, 'scoring.ts');
      try {
        statSync(path);
      } catch {
        log('scoring: bench/scoring.ts not present in this build; skipped');
        return { skipped: 'bench/scoring.ts not present' };
      }
      // Loaded only when present: batch and stream scoring may not be in every build.
      const module = require(path) as { runScoringBench: (options: object) => Promise<unknown> };
      return module.runScoringBench({ log });
    }
  }
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !SECTIONS.includes(name as Section));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench section(s): ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const sections = (requested.length > 0 ? requested : SECTIONS) as Section[];
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAverageAtStart: loadavg() },
  };
  for (const section of sections) {
    log(`\n=== ${section} ===`);
    const started = performance.now();
    try {
      results[section] = await runSection(section);
    } catch (error) {
      results[section] = { error: (error as Error).message };
      log(`${section} failed: ${(error as Error).message}`);
      process.exitCode = 1;
    }
    log(`(${section}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), text);
  writeFileSync(join(dir, 'latest.json'), text);
  log(`\nresults: bench/results/${stamp}.json (and latest.json)`);
}

void main();
