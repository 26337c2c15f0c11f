/**
 * Issue 13's measurement: the ground-truth join and the quality metrics for 1,000,000 predictions
 * and 1,000,000 actuals, in memory (MemoryObjectStore), against pandas merge + scikit-learn on the
 * same records in the same run (bench/peers/ground_truth_peer.py).
 *
 * Predictions: 1,000 batches of 1,000 over one day, binary, ids of ours. Actuals, a day later in
 * 1,000 posted batches: one outcome for 98% of the predictions, 1% sent twice (the later wins),
 * 1% for ids nobody predicted. Two join runs (the predictions, then the actuals with their
 * lookups), then the quality of the day's joined rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom } from '../core/datasets/random';
import { predictionCountsIn, readJoinedWindow, runJoin, toJsonLines } from '../core/ground-truth/join';
import { actualsBatchKey, predictionBatchKey } from '../core/ground-truth/layout';
import { computeQuality } from '../core/ground-truth/quality';
import { type ActualRecord, newPredictionId, type PredictionRecord } from '../core/ground-truth/records';
import { MemoryObjectStore } from '../core/storage/memory-store';

const PYTHON = '/usr/bin/python3';
const MODEL = 'churn';
const DAY = 86_400_000;

export interface GroundTruthBenchResult {
  readonly predictions: number;
  readonly actuals: number;
  readonly joined: number;
  readonly ingestPredictionsSeconds: number;
  readonly joinActualsSeconds: number;
  readonly qualitySeconds: number;
  readonly totalSeconds: number;
  readonly peakRssMb: number;
  readonly auc: number | null;
  readonly peer?: Record<string, number>;
  readonly ratio?: number;
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

export async function runGroundTruthBench(
  options: { rows?: number; log?: (line: string) => void } = {},
): Promise<GroundTruthBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const random = createRandom(13);
  const start = Date.parse('2026-06-01T00:00:00.000Z');
  const monitoring = new MemoryObjectStore('monitoring');
  const stores = { monitoring, raw: new MemoryObjectStore('raw') };
  const batchSize = 1000;
  const predictions: PredictionRecord[] = [];
  const actualLines: ActualRecord[] = [];
  for (let batch = 0; batch * batchSize < rows; batch++) {
    const writtenAt = start + Math.floor(((batch + 1) * DAY) / (rows / batchSize));
    const records: PredictionRecord[] = [];
    for (let i = 0; i < batchSize && batch * batchSize + i < rows; i++) {
      const time = new Date(writtenAt - random.int(0, 60_000));
      const truth = random.next() < 0.3 ? 1 : 0;
      const score = 1 / (1 + Math.exp(-(2 * truth - 1.2 + random.normal())));
      records.push({
        id: newPredictionId(time),
        model: MODEL,
        version: 1 + (i % 2),
        time: time.toISOString(),
        score,
        label: score >= 0.5 ? 'yes' : 'no',
      });
      const receivedAt = '';
      const outcome = truth ? 'yes' : 'no';
      const kind = random.next();
      if (kind < 0.01) actualLines.push({ id: `unknown-${batch}-${i}`, label: 'no', receivedAt });
      else actualLines.push({ id: records[records.length - 1].id, label: outcome, receivedAt });
      if (kind > 0.99) actualLines.push({ id: records[records.length - 1].id, label: outcome, receivedAt });
    }
    predictions.push(...records);
    await monitoring.put(predictionBatchKey(MODEL, newPredictionId(new Date(writtenAt))), toJsonLines(records));
  }
  // Posted a minute apart from day 2: each batch's records carry its receipt time.
  const actuals = actualLines.slice(0, rows).map((actual, index) => ({
    ...actual,
    receivedAt: new Date(start + 2 * DAY + Math.floor(index / batchSize) * 60_000).toISOString(),
  }));
  for (let batch = 0; batch * batchSize < actuals.length; batch++) {
    const receivedAt = new Date(start + 2 * DAY + batch * 60_000);
    const slice = actuals.slice(batch * batchSize, (batch + 1) * batchSize);
    await monitoring.put(actualsBatchKey(MODEL, newPredictionId(receivedAt)), toJsonLines(slice));
  }

  const began = performance.now();
  await runJoin(stores, MODEL, { now: new Date(start + DAY + 3_600_000) });
  const ingested = performance.now();
  const second = await runJoin(stores, MODEL, { now: new Date(start + 4 * DAY) });
  const joinedAt = performance.now();
  const from = new Date(start);
  const to = new Date(start + DAY + 3_600_000);
  const window = await readJoinedWindow(monitoring, MODEL, from, to);
  const quality = computeQuality(window.rows, {
    target: { task: 'binary', positiveLabel: 'yes', negativeLabel: 'no' },
    predictionCounts: predictionCountsIn(second.state!, from, to),
  });
  const done = performance.now();
  const result: GroundTruthBenchResult = {
    predictions: rows,
    actuals: actuals.length,
    joined: window.rows.length,
    ingestPredictionsSeconds: seconds(ingested - began),
    joinActualsSeconds: seconds(joinedAt - ingested),
    qualitySeconds: seconds(done - joinedAt),
    totalSeconds: seconds(done - began),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    auc: quality[0].binary?.auc ?? null,
  };
  log(
    `ground truth: ${rows} predictions + ${actuals.length} actuals -> ${result.joined} joined rows: ` +
      `join (predictions) ${result.ingestPredictionsSeconds} s, join (actuals) ${result.joinActualsSeconds} s, ` +
      `read window + quality ${result.qualitySeconds} s, total ${result.totalSeconds} s, peak RSS ${result.peakRssMb} MB ` +
      `(version 1 AUC ${result.auc?.toFixed(4)}, coverage ${quality[0].coverage?.toFixed(4)}; counts ${JSON.stringify(second.counts)})`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'mlops-ground-truth-'));
  try {
    const predictionsPath = join(dir, 'predictions.jsonl');
    const actualsPath = join(dir, 'actuals.jsonl');
    writeFileSync(predictionsPath, toJsonLines(predictions));
    writeFileSync(actualsPath, toJsonLines(actuals));
    predictions.length = 0;
    const peer = JSON.parse(
      execFileSync(PYTHON, [join(__dirname, 'peers', 'ground_truth_peer.py'), predictionsPath, actualsPath], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      }),
    ) as Record<string, number>;
    const ratio = Number((result.totalSeconds / peer.totalSeconds).toFixed(2));
    log(
      `pandas + scikit-learn: read ${peer.readSeconds} s, merge + metrics ${peer.joinAndMetricsSeconds} s, ` +
        `total ${peer.totalSeconds} s, peak RSS ${peer.peakRssMb} MB, ${peer.joined} joined rows (AUC over both versions ${peer.auc.toFixed(4)}); ours/peer time ${ratio}`,
    );
    return { ...result, peer, ratio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === __filename) void runGroundTruthBench({ rows: Number(process.argv[2] ?? 1_000_000) });
