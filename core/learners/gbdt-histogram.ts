// Over 400 lines on purpose: the hot-loop kernel (generated worker source) and the RowStore that drives it share one record layout and must change together.
/**
 * The GBDT's hot loops: gradient/hessian histograms and row partitioning, over row-major bins
 * that are physically reordered so every tree node's rows sit contiguously in memory (LightGBM's
 * "ordered" data). A histogram is then a sequential scan instead of a gather over scattered rows.
 *
 * A row is one record of Int32 words: its bins (four per word), its gradient and hessian (Float32,
 * as XGBoost stores them; histograms still sum in Float64) and its original index. Moving a row is
 * a few word copies (32 bytes for 20 features) and the histogram reads everything from one place.
 * Records live in three buffers: 0 holds the original order (gradients rewritten each tree), 1 and
 * 2 take turns as source and destination while a tree's levels partition the rows.
 *
 * Every task is split at its midpoint into two parts: part 0 sums rows [start, middle) into slot A,
 * part 1 sums [middle, end) into slot B, and the caller adds B to A. A worker thread may run part 1
 * while the main thread runs part 0; with one thread the main thread runs both in turn. Either way
 * every float is summed in the same order, so the trees do not depend on the thread count.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';

/** Ints per task in the task array. */
const TASK_INTS = 9;
/** Task kinds. */
export const TASK_HISTOGRAM = 0;
export const TASK_PARTITION_WITH_HISTOGRAM = 1;
export const TASK_LAST_SPLIT = 2;
export const TASK_LEAF = 3;
/** Adds the previous tree's leaf values to the margins, then writes gradients into buffer 0. */
export const TASK_GRADIENTS = 4;

/** Hessian floor for logloss: keeps leaves finite when predictions saturate. */
const HESSIAN_FLOOR = 1e-16;

/** Above this many features the per-feature code is a loop instead of one unrolled line each. */
const UNROLL_LIMIT_FEATURES = 64;

export interface RowLayout {
  readonly featureCount: number;
  /** Start of each feature's bins in a flat histogram; `binOffsets[features]` is the total. */
  readonly binOffsets: Int32Array;
  /** Which gradient the kernel computes: logloss or squared error. */
  readonly objective: 'binary' | 'regression';
}

function wordsPerRow(featureCount: number): number {
  return Math.max(1, Math.ceil(featureCount / 4));
}

/** Int32 words per record: the bin words, gradient, hessian and original row index. */
export function recordStride(featureCount: number): number {
  return wordsPerRow(featureCount) + 3;
}

/**
 * The kernel as source text, generated for one layout so the feature offsets are constants and
 * the per-feature work is unrolled; the worker (started with `eval`) and the main thread compile
 * the very same text. Features with a single bin can never split, so they are skipped.
 */
function kernelSource(layout: RowLayout): string {
  const { featureCount, binOffsets, objective } = layout;
  const words = wordsPerRow(featureCount);
  const stride = recordStride(featureCount);
  const histogramLength = 2 * binOffsets[featureCount];
  const splittable: number[] = [];
  for (let f = 0; f < featureCount; f++) if (binOffsets[f + 1] - binOffsets[f] > 1) splittable.push(f);
  const unrolled = featureCount <= UNROLL_LIMIT_FEATURES;
  const twiceBin = (word: string, f: number) =>
    (f & 3) === 0 ? `((${word} << 1) & 510)` : `((${word} >>> ${8 * (f & 3) - 1}) & 510)`;
  // Adds (g, h) to every splittable feature's bin for the record at p (words w0.. when unrolled).
  const accumulate = unrolled
    ? splittable
        .map((f) => `k = base + ${2 * binOffsets[f]} + ${twiceBin(`w${f >> 2}`, f)}; arena[k] += g; arena[k + 1] += h;`)
        .join('\n')
    : `for (let j = 0; j < SPLITTABLE.length; j++) {
         const f = SPLITTABLE[j];
         k = base + 2 * OFFSETS[f] + 2 * ((rows[p + (f >> 2)] >>> ((f & 3) << 3)) & 255);
         arena[k] += g; arena[k + 1] += h;
       }`;
  const loadWords = unrolled ? Array.from({ length: words }, (_, w) => `const w${w} = rows[p + ${w}];`).join(' ') : '';
  const gradient =
    objective === 'binary'
      ? `const prob = 1 / (1 + Math.exp(-margin));
         floats[p] = prob - labels[r];
         floats[p + 1] = Math.max(prob * (1 - prob), ${HESSIAN_FLOOR});`
      : `floats[p] = margin - labels[r];
         floats[p + 1] = 1;`;
  const moveRecord = Array.from({ length: stride }, (_, w) => `to[q + ${w}] = rows[p + ${w}];`).join(' ');
  return `
const STRIDE = ${stride};
const G = ${words};
const PERM = ${words + 2};
const HISTOGRAM_LENGTH = ${histogramLength};
const SPLITTABLE = Int32Array.from(${JSON.stringify(splittable)});
const OFFSETS = Int32Array.from(${JSON.stringify(Array.from(binOffsets))});

function sumRange(rows, floats, arena, base, from, to) {
  let k = 0;
  for (let i = from; i < to; i++) {
    const p = i * STRIDE;
    const g = floats[p + G];
    const h = floats[p + G + 1];
    ${loadWords}
    ${accumulate}
  }
}

/** Rows in [from, to) whose bin is <= splitBin; branch-free, as the outcome is a coin flip. */
function countLeft(rows, from, to, word, shift, splitBin) {
  let right = 0;
  for (let i = from; i < to; i++) right -= (splitBin - ((rows[i * STRIDE + word] >>> shift) & 255)) >> 31;
  return to - from - right;
}

/**
 * Moves this part's records into the destination, branch-free: lefts forward from \`left\`, rights
 * backward from just below \`right\` (so a right child's rows come in reverse order, which is as
 * deterministic and needs no count of this part's own rows). Returns how many went left.
 */
function partitionRange(rows, to, from, end, left, right, word, shift, splitBin) {
  const first = left;
  for (let i = from; i < end; i++) {
    const p = i * STRIDE;
    const rightMask = (splitBin - ((rows[p + word] >>> shift) & 255)) >> 31;
    right += rightMask;
    const q = (left + ((right - left) & rightMask)) * STRIDE;
    left += 1 + rightMask;
    ${moveRecord}
  }
  return left - first;
}

/** Marks each of this part's rows with the leaf it lands in (ids, not values: a scatter of ints). */
function assignLeaves(rows, leafOf, from, to, word, shift, splitBin, leftId, rightId) {
  for (let i = from; i < to; i++) {
    const p = i * STRIDE;
    const rightMask = (splitBin - ((rows[p + word] >>> shift) & 255)) >> 31;
    leafOf[rows[p + PERM]] = leftId + ((rightId - leftId) & rightMask);
  }
}

/** Boosting step for rows [from, to) in the original order: margin += leaf value, new gradients. */
function updateGradients(shared, from, to) {
  const { margins, labels, leafOf, leafValues } = shared;
  const floats = shared.floats[0];
  for (let r = from; r < to; r++) {
    const margin = margins[r] + leafValues[leafOf[r]];
    margins[r] = margin;
    const p = r * STRIDE + G;
    ${gradient}
  }
}

/**
 * Runs one part of one task: [kind, start, end, feature, splitBin, a, b, leftOfFirstHalf, leftOfSecondHalf].
 * Histogram kinds sum into slot a (part 0) or b (part 1); leaf kinds write leaf ids a (left)
 * and b (right). Part 0 writes the left counts of both halves.
 */
function runUnit(shared, tasks, t, part, source, target, countsKnown) {
  const { records, floats, leafOf, arena } = shared;
  const rows = records[source];
  {
    const o = ${TASK_INTS} * t;
    const kind = tasks[o];
    const start = tasks[o + 1];
    const end = tasks[o + 2];
    const middle = start + ((end - start) >> 1);
    const from = part === 0 ? start : middle;
    const to = part === 0 ? middle : end;
    const feature = tasks[o + 3];
    const word = feature >> 2;
    const shift = (feature & 3) << 3;
    const splitBin = tasks[o + 4];
    if (kind === ${TASK_GRADIENTS}) {
      updateGradients(shared, from, to);
      return;
    }
    if (kind === ${TASK_LEAF}) {
      for (let i = from; i < to; i++) leafOf[rows[i * STRIDE + PERM]] = tasks[o + 5];
      return;
    }
    if (kind === ${TASK_LAST_SPLIT}) {
      assignLeaves(rows, leafOf, from, to, word, shift, splitBin, tasks[o + 5], tasks[o + 6]);
      return;
    }
    const base = (part === 0 ? tasks[o + 5] : tasks[o + 6]) * HISTOGRAM_LENGTH;
    arena.fill(0, base, base + HISTOGRAM_LENGTH);
    if (kind === ${TASK_HISTOGRAM}) {
      sumRange(rows, floats[source], arena, base, from, to);
      return;
    }
    // Layout [lefts of part 0, lefts of part 1, rights of part 0, rights of part 1]: each part
    // counts only the other half, and part 1 right after part 0 on one thread reuses its count.
    const firstHalf = middle - start;
    const secondHalf = end - middle;
    let leftOfFirstHalf = 0;
    let leftOfSecondHalf = 0;
    if (part === 0) {
      leftOfSecondHalf = countLeft(rows, middle, end, word, shift, splitBin);
      const rightOfSecondHalf = secondHalf - leftOfSecondHalf;
      leftOfFirstHalf = partitionRange(rows, records[target], start, middle, start, end - rightOfSecondHalf, word, shift, splitBin);
      tasks[o + 7] = leftOfFirstHalf;
      tasks[o + 8] = leftOfSecondHalf;
    } else {
      leftOfFirstHalf = countsKnown ? tasks[o + 7] : countLeft(rows, start, middle, word, shift, splitBin);
      leftOfSecondHalf = partitionRange(rows, records[target], middle, end, start + leftOfFirstHalf, end, word, shift, splitBin);
    }
    const leftCount = leftOfFirstHalf + leftOfSecondHalf;
    const rightOfFirstHalf = firstHalf - leftOfFirstHalf;
    const rightOfSecondHalf = secondHalf - leftOfSecondHalf;
    // The smaller child's rows from this part are now contiguous in the target: sum them there.
    let from2 = 0;
    let to2 = 0;
    if (leftCount <= end - start - leftCount) {
      from2 = part === 0 ? start : start + leftOfFirstHalf;
      to2 = from2 + (part === 0 ? leftOfFirstHalf : leftOfSecondHalf);
    } else {
      to2 = part === 0 ? end - rightOfSecondHalf : end;
      from2 = to2 - (part === 0 ? rightOfFirstHalf : rightOfSecondHalf);
    }
    sumRange(records[target], floats[target], arena, base, from2, to2);
  }
}
`;
}

/** Control words shared with the worker. */
const WAKE = 0;
const STOP = 1;
/** (batch number mod 128) << 23 | next unit; -1 while no batch is open. */
const CLAIM = 2;
const UNITS = 3;
const SOURCE = 4;
const TARGET = 5;
const DONE = 6;
const FAILED = 7;
const ARENA_VERSION = 8;
const CONTROL_WORDS = 9;
const UNIT_MASK = (1 << 23) - 1;

/**
 * The worker claims units (task, part) from the open batch, as the main thread does, so when one
 * thread is descheduled the other takes the rest. Which thread runs a unit never changes what it
 * writes, so the result stays deterministic.
 */
const WORKER_LOOP = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const d = workerData;
const control = new Int32Array(d.control);
const shared = {
  records: d.records.map((buffer) => new Int32Array(buffer)),
  floats: d.records.map((buffer) => new Float32Array(buffer)),
  leafOf: d.leafOfBytes === 1 ? new Uint8Array(d.leafOf) : d.leafOfBytes === 2 ? new Uint16Array(d.leafOf) : new Int32Array(d.leafOf),
  arena: new Float64Array(d.arena),
  margins: new Float64Array(d.margins),
  labels: new Float64Array(d.labels),
  leafValues: new Float64Array(d.leafValues),
};
const tasks = new Int32Array(d.tasks);
let arenaVersion = 0;
let seen = 0;
for (;;) {
  Atomics.wait(control, ${WAKE}, seen);
  seen = Atomics.load(control, ${WAKE});
  if (Atomics.load(control, ${STOP}) !== 0) break;
  try {
    // Claims units until none is left; it may run on into the next batch, which is just as valid.
    for (;;) {
      const claim = Atomics.load(control, ${CLAIM});
      const units = Atomics.load(control, ${UNITS});
      if (claim < 0 || (claim & ${UNIT_MASK}) >= units) break;
      if (Atomics.compareExchange(control, ${CLAIM}, claim, claim + 1) !== claim) continue;
      while (arenaVersion !== Atomics.load(control, ${ARENA_VERSION})) {
        const message = receiveMessageOnPort(d.port);
        if (message) [shared.arena, arenaVersion] = [new Float64Array(message.message.buffer), message.message.version];
      }
      const unit = claim & ${UNIT_MASK};
      runUnit(shared, tasks, unit >> 1, unit & 1, Atomics.load(control, ${SOURCE}), Atomics.load(control, ${TARGET}), false);
      Atomics.add(control, ${DONE}, 1);
      Atomics.notify(control, ${DONE});
    }
  } catch (error) {
    Atomics.store(control, ${FAILED}, 1);
    Atomics.add(control, ${DONE}, 1);
    Atomics.notify(control, ${DONE});
  }
}
`;

interface SharedArrays {
  records: Int32Array[];
  floats: Float32Array[];
  leafOf: Uint8Array | Uint16Array | Int32Array;
  arena: Float64Array;
  margins: Float64Array;
  labels: Float64Array;
  leafValues: Float64Array;
}

type RunUnit = (
  shared: SharedArrays,
  tasks: Int32Array,
  task: number,
  part: number,
  source: number,
  target: number,
  countsKnown: boolean,
) => void;

/** A worker that does not answer within this long has died; fail instead of hanging. */
const WORKER_TIMEOUT_MS = 120_000;

export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * Math.max(1, length)), 0, length);
}

export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * Math.max(1, length)), 0, length);
}

/**
 * Packs column-major Uint8 bins into records in the original row order: four bins per word, the
 * gradient and hessian slots (left for the caller), then the row's own index.
 */
function packRecords(columns: readonly Uint8Array[], rowCount: number): Int32Array {
  const words = wordsPerRow(columns.length);
  const stride = recordStride(columns.length);
  const records = sharedInt32(rowCount * stride);
  for (let f = 0; f < columns.length; f++) {
    const column = columns[f];
    const word = f >> 2;
    const shift = (f & 3) << 3;
    for (let r = 0; r < rowCount; r++) records[r * stride + word] |= column[r] << shift;
  }
  for (let r = 0; r < rowCount; r++) records[r * stride + words + 2] = r;
  return records;
}

export interface RowStoreOptions {
  /** Column-major bins, `columns[f][row]`. */
  readonly columns: readonly Uint8Array[];
  readonly rowCount: number;
  readonly layout: RowLayout;
  /** Training targets: 0/1 for binary, the value for regression. */
  readonly labels: Float64Array;
  readonly baseMargin: number;
  /** 1: the main thread does everything; 2: a worker runs part 1 of every task. */
  readonly threads: number;
  readonly maxTasksPerLevel: number;
  /** Upper bound on a tree's node ids, which size the leaf id per row. */
  readonly maxNodeCount: number;
}

/**
 * Owns the three record buffers, the margins, the histogram arena and the optional worker.
 * Histograms live in slots of one arena (doubled when full) so the worker can write them too.
 */
export class RowStore {
  readonly histogramLength: number;
  readonly rowCount: number;
  /** Int32 words per record; the gradient sits at word `wordsPerRow`, the hessian right after. */
  readonly stride: number;
  readonly gradientOffset: number;
  private readonly shared: SharedArrays;
  private readonly freeSlots: number[] = [];
  private slotCount: number;
  private tasks: Int32Array;
  private taskCount = 0;
  private readonly runUnit: RunUnit;
  private worker?: { thread: Worker; control: Int32Array; port: MessagePort; batch: number; arenaVersion: number };

  constructor(options: RowStoreOptions) {
    const { columns, rowCount, layout, labels, baseMargin, threads, maxTasksPerLevel, maxNodeCount } = options;
    this.rowCount = rowCount;
    this.stride = recordStride(layout.featureCount);
    this.gradientOffset = wordsPerRow(layout.featureCount);
    this.histogramLength = 2 * layout.binOffsets[layout.featureCount];
    const length = rowCount * this.stride;
    const records = [packRecords(columns, rowCount), sharedInt32(length), sharedInt32(length)];
    // Node ids as narrow as they can be, so the scatter into it mostly hits cache.
    const leafBuffer = (bytes: number) => new SharedArrayBuffer(Math.max(1, bytes * rowCount));
    const leafOf =
      maxNodeCount <= 256
        ? new Uint8Array(leafBuffer(1))
        : maxNodeCount <= 65536
          ? new Uint16Array(leafBuffer(2))
          : new Int32Array(leafBuffer(4));
    this.slotCount = Math.max(4, Math.min(128, 3 * maxTasksPerLevel + 2));
    const sharedLabels = sharedFloat64(rowCount);
    sharedLabels.set(labels);
    const margins = sharedFloat64(rowCount);
    margins.fill(baseMargin);
    this.shared = {
      records,
      floats: records.map((array) => new Float32Array(array.buffer, 0, array.length)),
      leafOf,
      arena: sharedFloat64(this.slotCount * this.histogramLength),
      margins,
      labels: sharedLabels,
      // Every row is in node 0 with value 0 before the first tree.
      leafValues: sharedFloat64(Math.min(maxNodeCount, 2 * rowCount + 1)),
    };
    for (let slot = this.slotCount - 1; slot >= 0; slot--) this.freeSlots.push(slot);
    this.tasks = sharedInt32(TASK_INTS * Math.max(1, maxTasksPerLevel));
    const source = kernelSource(layout);
    this.runUnit = new Function(`${source}\nreturn runUnit;`)() as RunUnit;
    if (threads > 1) this.startWorker(source);
  }

  private startWorker(source: string): void {
    const control = sharedInt32(CONTROL_WORDS);
    control[CLAIM] = -1;
    const { port1, port2 } = new MessageChannel();
    const { shared } = this;
    const thread = new Worker(`${source}\n${WORKER_LOOP}`, {
      eval: true,
      workerData: {
        control: control.buffer,
        records: shared.records.map((array) => array.buffer),
        leafOf: shared.leafOf.buffer,
        leafOfBytes: shared.leafOf.BYTES_PER_ELEMENT,
        arena: shared.arena.buffer,
        margins: shared.margins.buffer,
        labels: shared.labels.buffer,
        leafValues: shared.leafValues.buffer,
        tasks: this.tasks.buffer,
        port: port2,
      },
      transferList: [port2],
    });
    thread.unref();
    this.worker = { thread, control, port: port1, batch: 0, arenaVersion: 0 };
  }

  /** Float32 view of buffer 0 (original order), whose records hold this round's gradients. */
  get gradients(): Float32Array {
    return this.shared.floats[0];
  }

  /** Bin words and original index (at word stride - 1) of each record in `buffer`. */
  recordsOf(buffer: number): Int32Array {
    return this.shared.records[buffer];
  }

  /**
   * One boosting step over every row: adds the last tree's values (by node id, as the rows' leaf
   * ids left them) to the margins, then writes the new gradients. Call with [0] before the first tree.
   * `meanwhile` runs on the main thread while the worker starts on the rows.
   */
  boost(nodeValues: readonly number[], meanwhile?: () => void): void {
    const { leafValues } = this.shared;
    if (nodeValues.length > leafValues.length) {
      throw new Error(`row store: a tree with ${nodeValues.length} nodes exceeds ${leafValues.length}`);
    }
    leafValues.set(nodeValues);
    this.addTask(TASK_GRADIENTS, 0, this.rowCount, 0, 0, 0, 0);
    this.run(0, 0, meanwhile);
  }

  takeSlot(): number {
    const slot = this.freeSlots.pop();
    if (slot !== undefined) return slot;
    const grown = sharedFloat64(2 * this.slotCount * this.histogramLength);
    grown.set(this.shared.arena);
    this.shared.arena = grown;
    const worker = this.worker;
    if (worker) {
      worker.arenaVersion++;
      worker.port.postMessage({ buffer: grown.buffer, version: worker.arenaVersion });
      Atomics.store(worker.control, ARENA_VERSION, worker.arenaVersion);
    }
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
    return this.shared.arena.subarray(slot * this.histogramLength, (slot + 1) * this.histogramLength);
  }

  /** Adds histogram `from` into `into`, then frees `from`. */
  mergeInto(into: number, from: number): void {
    const arena = this.shared.arena;
    const length = this.histogramLength;
    const a = into * length;
    const b = from * length;
    for (let k = 0; k < length; k++) arena[a + k] += arena[b + k];
    this.releaseSlot(from);
  }

  /** Turns `parent` into parent minus `child`, in place. */
  subtract(parent: number, child: number): void {
    const arena = this.shared.arena;
    const length = this.histogramLength;
    const a = parent * length;
    const b = child * length;
    for (let k = 0; k < length; k++) arena[a + k] -= arena[b + k];
  }

  /** Queues a task and returns its index, which `leftCount` reads after `run`. */
  addTask(
    kind: number,
    start: number,
    end: number,
    feature: number,
    splitBin: number,
    slotA: number,
    slotB: number,
  ): number {
    const index = this.taskCount;
    if (TASK_INTS * (index + 1) > this.tasks.length) throw new Error('row store: more tasks than one level holds');
    this.tasks.set([kind, start, end, feature, splitBin, slotA, slotB, 0, 0], TASK_INTS * index);
    this.taskCount++;
    return index;
  }

  /** Rows of a partition task that went left; valid after `run` until the next `addTask`. */
  leftCount(task: number): number {
    return this.tasks[TASK_INTS * task + 7] + this.tasks[TASK_INTS * task + 8];
  }

  /** Runs every queued task reading buffer `source` (and writing `target`, for partitions). */
  run(source: number, target: number, meanwhile?: () => void): void {
    const count = this.taskCount;
    this.taskCount = 0;
    if (count === 0) {
      meanwhile?.();
      return;
    }
    const units = 2 * count;
    const worker = this.worker;
    if (!worker) {
      meanwhile?.();
      for (let unit = 0; unit < units; unit++) {
        this.runUnit(this.shared, this.tasks, unit >> 1, unit & 1, source, target, (unit & 1) === 1);
      }
      return;
    }
    if (units > UNIT_MASK) throw new Error(`gbdt: ${count} tasks in one level is more than the worker protocol holds`);
    const { control } = worker;
    // Closed while the batch's numbers change, so a late claim cannot pair old and new ones.
    Atomics.store(control, CLAIM, -1);
    Atomics.store(control, UNITS, units);
    Atomics.store(control, SOURCE, source);
    Atomics.store(control, TARGET, target);
    Atomics.store(control, DONE, 0);
    worker.batch = (worker.batch + 1) & 127;
    Atomics.store(control, CLAIM, worker.batch << 23);
    Atomics.add(control, WAKE, 1);
    Atomics.notify(control, WAKE);
    meanwhile?.();
    for (;;) {
      const claim = Atomics.load(control, CLAIM);
      if ((claim & UNIT_MASK) >= units) break;
      if (Atomics.compareExchange(control, CLAIM, claim, claim + 1) !== claim) continue;
      const unit = claim & UNIT_MASK;
      this.runUnit(this.shared, this.tasks, unit >> 1, unit & 1, source, target, false);
      Atomics.add(control, DONE, 1);
    }
    for (let done = Atomics.load(control, DONE); done < units; done = Atomics.load(control, DONE)) {
      if (Atomics.wait(control, DONE, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        throw new Error(`gbdt worker thread did not answer within ${WORKER_TIMEOUT_MS} ms`);
      }
    }
    Atomics.store(control, CLAIM, -1);
    if (Atomics.load(control, FAILED) !== 0) throw new Error('gbdt worker thread failed while building histograms');
  }

  close(): void {
    if (!this.worker) return;
    Atomics.store(this.worker.control, STOP, 1);
    Atomics.add(this.worker.control, WAKE, 1);
    Atomics.notify(this.worker.control, WAKE);
    this.worker.port.close();
    void this.worker.thread.terminate();
    this.worker = undefined;
  }
}
