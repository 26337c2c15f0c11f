/**
 * Gradient/hessian histograms for the GBDT, built by the main thread alone or split by feature
 * with one worker thread over shared memory. Each feature's bins are always summed by one thread
 * in row order, so the result is bit-identical whatever the thread count.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';

/**
 * The hot loop, as source text so the worker (started with `eval`) and the main thread run the
 * very same code. A task is (start, end, slot): rows[start, end) summed into histogram `slot` of
 * the arena; start = -1 marks the root, whose rows are read in order from the column-major bins.
 * Below the root a node's rows are scattered, so it reads the row-major copy: one cache line per
 * row for all features instead of a miss per row and feature.
 */
const KERNEL_SOURCE = `
function buildHistograms(columnBins, rowMajorBins, featureCount, rowCount, binOffsets, gh, rows, tasks, taskCount, arena, histogramLength, firstFeature, endFeature) {
  for (let t = 0; t < taskCount; t++) {
    const start = tasks[3 * t];
    const end = tasks[3 * t + 1];
    const slotBase = tasks[3 * t + 2] * histogramLength;
    arena.fill(0, slotBase + 2 * binOffsets[firstFeature], slotBase + 2 * binOffsets[endFeature]);
    if (start < 0) {
      for (let f = firstFeature; f < endFeature; f++) {
        const columnStart = f * rowCount;
        const base = slotBase + 2 * binOffsets[f];
        for (let r = 0; r < rowCount; r++) {
          const k = base + 2 * columnBins[columnStart + r];
          arena[k] += gh[2 * r];
          arena[k + 1] += gh[2 * r + 1];
        }
      }
    } else {
      for (let i = start; i < end; i++) {
        const r = rows[i];
        const g = gh[2 * r];
        const h = gh[2 * r + 1];
        const rowBase = r * featureCount;
        for (let f = firstFeature; f < endFeature; f++) {
          const k = slotBase + 2 * (binOffsets[f] + rowMajorBins[rowBase + f]);
          arena[k] += g;
          arena[k + 1] += h;
        }
      }
    }
  }
}
`;

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
${KERNEL_SOURCE}
const d = workerData;
const control = new Int32Array(d.control);
const columnBins = new Uint8Array(d.columnBins);
const rowMajorBins = new Uint8Array(d.rowMajorBins);
const binOffsets = new Int32Array(d.binOffsets);
const gh = new Float64Array(d.gh);
const rows = new Int32Array(d.rows);
const tasks = new Int32Array(d.tasks);
let arena = new Float64Array(d.arena);
let seen = 0;
for (;;) {
  Atomics.wait(control, 0, seen);
  const generation = Atomics.load(control, 0);
  if (generation === seen) continue;
  if (generation < 0) break;
  seen = generation;
  try {
    for (let message = receiveMessageOnPort(d.port); message; message = receiveMessageOnPort(d.port)) {
      arena = new Float64Array(message.message);
    }
    buildHistograms(columnBins, rowMajorBins, d.featureCount, d.rowCount, binOffsets, gh, rows, tasks,
      Atomics.load(control, 1), arena, d.histogramLength, d.firstFeature, d.endFeature);
  } catch (error) {
    Atomics.store(control, 3, 1);
  }
  Atomics.store(control, 2, generation);
  Atomics.notify(control, 2);
}
`;

type Kernel = (
  columnBins: Uint8Array,
  rowMajorBins: Uint8Array,
  featureCount: number,
  rowCount: number,
  binOffsets: Int32Array,
  gh: Float64Array,
  rows: Int32Array,
  tasks: Int32Array,
  taskCount: number,
  arena: Float64Array,
  histogramLength: number,
  firstFeature: number,
  endFeature: number,
) => void;

const buildHistograms = new Function(`${KERNEL_SOURCE}\nreturn buildHistograms;`)() as Kernel;

/** A worker that does not answer within this long has died; fail instead of hanging. */
const WORKER_TIMEOUT_MS = 120_000;

/** Shared memory the growers write and the builder reads. */
export interface HistogramInputs {
  /** Column-major bins, feature f at [f * rowCount, (f + 1) * rowCount). */
  readonly columnBins: Uint8Array;
  readonly rowMajorBins: Uint8Array;
  readonly binOffsets: Int32Array;
  /** Interleaved gradient/hessian pairs, written before each tree. */
  readonly gh: Float64Array;
  /** Row indices grouped by node, rewritten by partitioning. */
  readonly rows: Int32Array;
  readonly rowCount: number;
}

export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * Math.max(1, length)), 0, length);
}

export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * Math.max(1, length)), 0, length);
}

export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(1, length)), 0, length);
}

/** Histograms live in slots of one arena (doubled when full) so a worker can write them too. */
export class HistogramBuilder {
  readonly histogramLength: number;
  private arena: Float64Array;
  private readonly freeSlots: number[] = [];
  private slotCount: number;
  private tasks: Int32Array;
  private taskCount = 0;
  private readonly featureCount: number;
  private readonly mainEndFeature: number;
  private worker?: { thread: Worker; control: Int32Array; port: MessagePort; generation: number };

  constructor(
    private readonly inputs: HistogramInputs,
    threads: number,
    maxTasksPerLevel: number,
  ) {
    this.featureCount = inputs.binOffsets.length - 1;
    this.histogramLength = 2 * inputs.binOffsets[this.featureCount];
    this.slotCount = Math.max(2, Math.min(64, maxTasksPerLevel + 1));
    this.arena = sharedFloat64(this.slotCount * this.histogramLength);
    for (let slot = this.slotCount - 1; slot >= 0; slot--) this.freeSlots.push(slot);
    this.tasks = sharedInt32(3 * Math.max(1, maxTasksPerLevel));
    this.mainEndFeature = threads > 1 ? Math.ceil(this.featureCount / 2) : this.featureCount;
    if (threads > 1) this.startWorker();
  }

  private startWorker(): void {
    const control = sharedInt32(4);
    const { port1, port2 } = new MessageChannel();
    const thread = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        control: control.buffer,
        columnBins: this.inputs.columnBins.buffer,
        rowMajorBins: this.inputs.rowMajorBins.buffer,
        binOffsets: this.inputs.binOffsets,
        gh: this.inputs.gh.buffer,
        rows: this.inputs.rows.buffer,
        tasks: this.tasks.buffer,
        arena: this.arena.buffer,
        port: port2,
        featureCount: this.featureCount,
        rowCount: this.inputs.rowCount,
        histogramLength: this.histogramLength,
        firstFeature: this.mainEndFeature,
        endFeature: this.featureCount,
      },
      transferList: [port2],
    });
    thread.unref();
    this.worker = { thread, control, port: port1, generation: 0 };
  }

  takeSlot(): number {
    const slot = this.freeSlots.pop();
    if (slot !== undefined) return slot;
    const grown = sharedFloat64(2 * this.slotCount * this.histogramLength);
    grown.set(this.arena);
    this.arena = grown;
    this.worker?.port.postMessage(grown.buffer);
    for (let fresh = 2 * this.slotCount - 1; fresh > this.slotCount; fresh--) this.freeSlots.push(fresh);
    const taken = this.slotCount;
    this.slotCount *= 2;
    return taken;
  }

  releaseSlot(slot: number): void {
    this.freeSlots.push(slot);
  }

  /** A view of one histogram: valid until the next takeSlot (the arena may move). */
  view(slot: number): Float64Array {
    return this.arena.subarray(slot * this.histogramLength, (slot + 1) * this.histogramLength);
  }

  /** Queues rows[start, end) (start -1: every row, in order) to be summed into `slot`. */
  addTask(start: number, end: number, slot: number): void {
    if (3 * (this.taskCount + 1) > this.tasks.length)
      throw new Error('histogram builder: more tasks than one level holds');
    this.tasks[3 * this.taskCount] = start;
    this.tasks[3 * this.taskCount + 1] = end;
    this.tasks[3 * this.taskCount + 2] = slot;
    this.taskCount++;
  }

  /** Builds every queued histogram; the worker takes the upper half of the features. */
  run(): void {
    const count = this.taskCount;
    this.taskCount = 0;
    if (count === 0) return;
    const worker = this.worker;
    if (worker) {
      worker.generation++;
      Atomics.store(worker.control, 1, count);
      Atomics.store(worker.control, 0, worker.generation);
      Atomics.notify(worker.control, 0);
    }
    const { columnBins, rowMajorBins, rowCount, binOffsets, gh, rows } = this.inputs;
    buildHistograms(
      columnBins,
      rowMajorBins,
      this.featureCount,
      rowCount,
      binOffsets,
      gh,
      rows,
      this.tasks,
      count,
      this.arena,
      this.histogramLength,
      0,
      this.mainEndFeature,
    );
    if (!worker) return;
    for (
      let done = Atomics.load(worker.control, 2);
      done !== worker.generation;
      done = Atomics.load(worker.control, 2)
    ) {
      if (Atomics.wait(worker.control, 2, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        throw new Error(`histogram worker did not answer within ${WORKER_TIMEOUT_MS} ms`);
      }
    }
    if (Atomics.load(worker.control, 3) !== 0) throw new Error('histogram worker failed while building histograms');
  }

  close(): void {
    if (!this.worker) return;
    Atomics.store(this.worker.control, 0, -1);
    Atomics.notify(this.worker.control, 0);
    this.worker.port.close();
    void this.worker.thread.terminate();
    this.worker = undefined;
  }
}
