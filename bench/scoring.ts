/**
 * Batch and streaming scoring throughput on this machine, with the same Scorer as the endpoint:
 * - batch: `scoreCsvStream` over an N-row churn CSV fed in 1 MiB pieces (chunked parse, type
 *   checks, scoring, ids of ours, CSV output with the input columns, every row recorded in the
 *   prediction log's batches, put to a store that counts and drops them), against the whole-file baseline
 *   `parseCsv` + `Scorer.scoreTable` (no output written);
 * - stream: `scoreStreamBatch` on Kinesis-shaped batches of 100 JSON records (base64 decode, JSON
 *   parse, checkRecords, scoreRecord), sinks in memory: the per-record cost the handler controls.
 * Run: `node bin/run-ts.js bench/scoring.ts` (1M rows; about a minute on 2 cores).
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { serializeArtifact } from '../core/artifact/format';
import { formatCsv, parseCsv } from '../core/data/csv';
import { type DataTable, takeRows } from '../core/data/table';
import { CHURN_TARGET, generateChurn } from '../core/datasets/churn';
import { PredictionBatches } from '../core/ground-truth/prediction-log';
import { scoreCsvStream, type TextSink } from '../core/score/batch';
import { Scorer } from '../core/score/scorer';
import { MemoryObjectStore } from '../core/storage/memory-store';
import type { PutOptions } from '../core/storage/object-store';
import { trainModel } from '../core/train/train';
import type { ServingModel } from '../lambdas/shared/model-cache';
import { scoreStreamBatch } from '../lambdas/stream-scorer/score-stream';
import { kinesisRecords } from '../local/stream-shim';

export interface ScoringBenchOptions {
  /** Rows of the batch-scoring file. @default 1_000_000 */
  readonly rows?: number;
  /** Rows the model is trained on. @default 20_000 */
  readonly trainRows?: number;
  /** @default 'gbdt' */
  readonly learner?: 'gbdt' | 'linear';
  /** Stream batches of 100 records measured. @default 300 */
  readonly streamBatches?: number;
  readonly log?: (line: string) => void;
}

export interface ScoringBenchResult {
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly model: { readonly learner: string; readonly trainRows: number };
  readonly batch: {
    readonly rows: number;
    readonly fileMB: number;
    readonly seconds: number;
    readonly rowsPerSecond: number;
    readonly outputMB: number;
    /** The prediction log: records and batch objects written, and their size. */
    readonly loggedRecords: number;
    readonly logBatches: number;
    readonly logMB: number;
    readonly baselineRowsPerSecond: number;
  };
  readonly stream: {
    readonly recordsPerBatch: number;
    readonly batches: number;
    readonly microsecondsPerRecord: number;
    readonly batchP50Ms: number;
    readonly batchP99Ms: number;
  };
}

class CountingSink implements TextSink {
  characters = 0;
  async write(text: string): Promise<void> {
    this.characters += text.length;
  }
}

/** Counts what is put and keeps nothing: the prediction log of 1M rows is about 130 MB. */
class CountingStore extends MemoryObjectStore {
  characters = 0;
  override async put(_key: string, body: Uint8Array | string, _options?: PutOptions): Promise<{ etag: string }> {
    this.characters += body.length;
    return { etag: '"counted"' };
  }
}

function withoutTarget(table: DataTable): DataTable {
  const keep = table.columnNames.flatMap((name, index) => (name === CHURN_TARGET ? [] : [index]));
  return {
    columnNames: keep.map((index) => table.columnNames[index]!),
    columns: keep.map((index) => table.columns[index]!),
    rowCount: table.rowCount,
  };
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

export async function runScoringBench(options: ScoringBenchOptions = {}): Promise<ScoringBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const rows = options.rows ?? 1_000_000;
  const trainRows = options.trainRows ?? 20_000;
  const learner = options.learner ?? 'gbdt';

  const artifact = trainModel(generateChurn({ rows: trainRows, seed: 1 }), {
    target: CHURN_TARGET,
    positiveLabel: 'yes',
    learner,
    seed: 42,
    dataSha256: '0'.repeat(64),
  });
  const scorer = Scorer.fromJson(serializeArtifact(artifact));
  const data = withoutTarget(generateChurn({ rows, seed: 2 }));
  const text = formatCsv(data);
  const bytes = new TextEncoder().encode(text);

  // Whole-file baseline: what scoring costs when the file fits in memory and nothing is written.
  let started = performance.now();
  scorer.scoreTable(parseCsv(bytes));
  const baselineSeconds = (performance.now() - started) / 1000;

  const output = new CountingSink();
  const logStore = new CountingStore();
  const logBatches = new PredictionBatches(logStore, 'churn');
  started = performance.now();
  const counts = await scoreCsvStream(
    scorer,
    pieces(bytes, 1 << 20),
    { output, errors: new CountingSink() },
    {
      source: 'bench.csv',
      predictionLog: { batches: logBatches, version: 1 },
    },
  );
  await logBatches.close();
  const seconds = (performance.now() - started) / 1000;
  if (logBatches.recordsWritten !== rows)
    throw new Error(`expected ${rows} rows logged, got ${logBatches.recordsWritten}`);
  if (counts.rowsScored !== rows) throw new Error(`expected ${rows} rows scored, got ${counts.rowsScored}`);

  const serving = { name: 'churn', version: 1, scorer } as unknown as ServingModel;
  const sample = takeRows(
    data,
    Array.from({ length: 100 }, (_, i) => i),
  );
  const lines = Array.from({ length: 100 }, (_, row) =>
    JSON.stringify(Object.fromEntries(sample.columnNames.map((name, column) => [name, sample.columns[column]![row]]))),
  );
  const deps = {
    model: async () => serving,
    results: { put: async () => [] },
    deadLetters: { send: async () => [] },
  };
  const batches = options.streamBatches ?? 300;
  const events = Array.from({ length: batches }, () => ({ Records: kinesisRecords(lines, { model: 'churn' }) }));
  for (const event of events.slice(0, 20)) await scoreStreamBatch(event, deps);
  const durations: number[] = [];
  for (const event of events) {
    const start = performance.now();
    const outcome = await scoreStreamBatch(event, deps);
    durations.push(performance.now() - start);
    if (outcome.scored !== 100) throw new Error(`expected 100 records scored, got ${outcome.scored}`);
  }
  durations.sort((a, b) => a - b);
  const total = durations.reduce((sum, value) => sum + value, 0);

  const result: ScoringBenchResult = {
    machine: { cpus: cpus().length, node: process.version },
    model: { learner: artifact.model.kind, trainRows },
    batch: {
      rows,
      fileMB: round(bytes.length / 1e6, 1),
      seconds: round(seconds, 2),
      rowsPerSecond: round(rows / seconds),
      outputMB: round(output.characters / 1e6, 1),
      loggedRecords: logBatches.recordsWritten,
      logBatches: logBatches.keys.length,
      logMB: round(logStore.characters / 1e6, 1),
      baselineRowsPerSecond: round(rows / baselineSeconds),
    },
    stream: {
      recordsPerBatch: 100,
      batches,
      microsecondsPerRecord: round((total * 1000) / (batches * 100), 1),
      batchP50Ms: round(durations[Math.floor(batches * 0.5)]!, 2),
      batchP99Ms: round(durations[Math.min(batches - 1, Math.floor(batches * 0.99))]!, 2),
    },
  };
  log(formatTable(result));
  return result;
}

function formatTable(result: ScoringBenchResult): string {
  const { batch, stream, model, machine } = result;
  const rows: [string, string][] = [
    ['machine', `${machine.cpus} CPUs, Node ${machine.node}`],
    ['model', `${model.learner}, trained on ${model.trainRows} rows`],
    ['batch: file', `${batch.rows} rows, ${batch.fileMB} MB CSV`],
    [
      'batch: streamed scoring',
      `${batch.rowsPerSecond.toLocaleString('en')} rows/s (${batch.seconds} s, ${batch.outputMB} MB out)`,
    ],
    ['batch: prediction log', `${batch.loggedRecords} records in ${batch.logBatches} batches, ${batch.logMB} MB`],
    ['batch: whole-file parse+scoreTable', `${batch.baselineRowsPerSecond.toLocaleString('en')} rows/s (no output)`],
    ['stream: per record (batches of 100)', `${stream.microsecondsPerRecord} us`],
    ['stream: batch p50 / p99', `${stream.batchP50Ms} ms / ${stream.batchP99Ms} ms`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

// bin/run-ts.js sets argv[1] to the entry file.
if (process.argv[1] === __filename) {
  runScoringBench().then((result) => console.log(JSON.stringify(result)));
}
