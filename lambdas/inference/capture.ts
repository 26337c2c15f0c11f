import { randomBytes } from 'node:crypto';
import type { CaptureLine } from '../../core/capture/record';
import type { ObjectStore } from '../../core/storage/object-store';
import { clipText } from '../../core/text/clip';
import { captureKey } from '../../core/workflow/layout';

/**
 * Data capture: a sample of requests written to the monitoring zone as JSON Lines, one line per
 * request, one object per (container, flush, hour) at
 * capture/<model>/dt=YYYY-MM-DD/hour=HH/<id>.jsonl.
 *
 * Why buffered: one S3 PUT per captured request would cost a PUT each and, awaited, add its
 * latency to the response. Instead sampled requests collect in memory and a flush starts when the
 * buffer holds `maxRows` rows, `maxObjectBytes` of JSON, or its oldest request is `maxAgeMs` old.
 * The handler schedules that flush for just after it returns (InferenceApp.startDueFlush), so no
 * response waits on S3.
 *
 * Why bounded by bytes: a request may carry up to 6 MB, so a row bound alone let 60 sampled
 * multi-MB requests fill the function's memory while S3 failed. A request is serialised when it
 * is added (once, inside a try: a record that cannot be serialised is counted, never thrown) and
 * only its JSON text is kept, so the buffer's size is known exactly and the parsed request can be
 * freed. Bounds: a line is at most `maxLineBytes` (a larger request is split into several lines of
 * fewer rows, each with its part number; a single row beyond it is dropped), an object at most
 * `maxObjectBytes`, and the buffer plus the flush in flight at most `maxBufferedBytes` (and
 * `maxBufferedRows`): beyond them the oldest lines are dropped. Every drop is counted in `drops`
 * and reported through `onProblem`.
 *
 * What Lambda's lifecycle costs (stated in the README too): after a response Lambda freezes the
 * container; a flush in flight resumes at the next invocation (the SDK retries a connection that
 * went stale). When Lambda recycles an idle container it does not run our code first, so the
 * requests still buffered (at most `maxRows` rows or `maxAgeMs` of sampled traffic per container)
 * and a flush still in flight are LOST. With a Lambda extension attached, Lambda sends SIGTERM
 * before shutdown and the handler flushes then (best effort, ~500 ms). Capture is a sample for
 * drift monitoring, not an audit log: losing a tail is acceptable, slowing every response is not.
 */
/** One request as the handler hands it over; each line written from it is a CaptureLine (core/capture/record.ts). */
export type CaptureRecord = CaptureLine;

export interface CaptureOptions {
  readonly store: ObjectStore;
  readonly model: string;
  /** Share of requests captured, 0 to 1. */
  readonly sampleRate: number;
  /** A flush starts when this many rows (instances) are buffered. */
  readonly maxRows: number;
  /** A flush starts when the oldest buffered request is this old. */
  readonly maxAgeMs: number;
  /** Rows kept while S3 fails; beyond it the oldest requests are dropped. @default 10 x maxRows */
  readonly maxBufferedRows?: number;
  /** A flush starts when this many bytes of JSON are buffered; no object is larger. @default CAPTURE_BYTE_DEFAULTS.maxObjectBytes */
  readonly maxObjectBytes?: number;
  /** Largest JSON line; a larger request is split into lines of fewer rows. @default CAPTURE_BYTE_DEFAULTS.maxLineBytes */
  readonly maxLineBytes?: number;
  /** Bytes held (buffer plus the flush in flight) while S3 fails; beyond it the oldest lines are dropped. @default CAPTURE_BYTE_DEFAULTS.maxBufferedBytes */
  readonly maxBufferedBytes?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** Distinguishes this container's objects from others'. @default 8 random hex characters */
  readonly writerId?: string;
  /** Told when a flush fails (records are kept for the next one) or anything is dropped. */
  readonly onProblem?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Byte bounds of the capture buffer. 32 MiB held at most is under 2% of the function's default
 * 1769 MB, however long S3 fails; 4 MiB objects keep a flush's PUT and the drift monitor's reads
 * small; 1 MiB lines keep a line far below any reader's string limit.
 */
export const CAPTURE_BYTE_DEFAULTS = {
  maxObjectBytes: 4 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  maxBufferedBytes: 32 * 1024 * 1024,
} as const;

export interface FlushResult {
  readonly keys: readonly string[];
  /** Lines written. */
  readonly records: number;
  /** Lines whose write failed (kept for the next flush). */
  readonly failed: number;
}

/** What capture dropped since the container started; each drop is also reported through onProblem. */
export interface CaptureDrops {
  /** Lines dropped, oldest first, because S3 kept failing and the buffer reached its bounds. */
  bufferFull: number;
  /** Rows dropped because one row alone serialised to more than maxLineBytes. */
  rowTooLarge: number;
  /** Requests not captured because serialising them threw. */
  unserializable: number;
}

interface BufferedLine {
  /** JSON text of one CaptureRecord, without the newline. */
  readonly line: string;
  readonly bytes: number;
  readonly rows: number;
  /** `YYYY-MM-DDTHH` of the record: objects are partitioned by hour. */
  readonly hour: string;
  readonly time: string;
  readonly addedAtMs: number;
}

export class CaptureBuffer {
  private buffer: BufferedLine[] = [];
  private rows = 0;
  private bytes = 0;
  /** Bytes of the batch being written: still in memory, so inside the bound. */
  private flushingBytes = 0;
  private flushing?: Promise<FlushResult>;
  private sequence = 0;
  private readonly random: () => number;
  private readonly writerId: string;
  private readonly maxBufferedRows: number;
  private readonly maxObjectBytes: number;
  private readonly maxLineBytes: number;
  private readonly maxBufferedBytes: number;
  readonly drops: CaptureDrops = { bufferFull: 0, rowTooLarge: 0, unserializable: 0 };

  constructor(private readonly options: CaptureOptions) {
    this.random = options.random ?? Math.random;
    this.writerId = options.writerId ?? randomBytes(4).toString('hex');
    this.maxBufferedRows = options.maxBufferedRows ?? options.maxRows * 10;
    this.maxObjectBytes = options.maxObjectBytes ?? CAPTURE_BYTE_DEFAULTS.maxObjectBytes;
    this.maxLineBytes = Math.min(options.maxLineBytes ?? CAPTURE_BYTE_DEFAULTS.maxLineBytes, this.maxObjectBytes);
    this.maxBufferedBytes = options.maxBufferedBytes ?? CAPTURE_BYTE_DEFAULTS.maxBufferedBytes;
    if (this.maxBufferedBytes < this.maxObjectBytes) {
      throw new RangeError(
        `capture maxBufferedBytes (${this.maxBufferedBytes}) is below maxObjectBytes (${this.maxObjectBytes}); raise it to at least that`,
      );
    }
  }

  /** Decides, per request, whether it is captured. */
  sample(): boolean {
    const { sampleRate } = this.options;
    return sampleRate >= 1 || (sampleRate > 0 && this.random() < sampleRate);
  }

  /** Serialises and buffers one request. Never throws: what cannot be kept is counted in `drops` and reported. */
  add(record: CaptureRecord, nowMs: number): void {
    let lines: BufferedLine[];
    try {
      lines = this.serialize(record, nowMs);
    } catch (error) {
      this.drops.unserializable++;
      this.report('capture record could not be serialised; request not captured', {
        requestId: clipText(String(record?.requestId)),
        error: clipText(errorMessage(error)),
        droppedSoFar: { ...this.drops },
      });
      return;
    }
    for (const line of lines) {
      this.buffer.push(line);
      this.rows += line.rows;
      this.bytes += line.bytes;
    }
    this.dropOverflow();
  }

  /** Lines buffered (one per request, or one per part of a split request). */
  get bufferedRecords(): number {
    return this.buffer.length;
  }

  get bufferedRows(): number {
    return this.rows;
  }

  /** Bytes of JSON held: the buffer and the flush in flight. Never above maxBufferedBytes. */
  get bufferedBytes(): number {
    return this.bytes + this.flushingBytes;
  }

  isDue(nowMs: number): boolean {
    if (this.buffer.length === 0) return false;
    return (
      this.rows >= this.options.maxRows ||
      this.bytes >= this.maxObjectBytes ||
      nowMs - this.buffer[0]!.addedAtMs >= this.options.maxAgeMs
    );
  }

  /** Starts a flush when one is due and none is running; the caller does not await it. */
  flushIfDue(nowMs: number): Promise<FlushResult> | undefined {
    if (this.flushing || !this.isDue(nowMs)) return undefined;
    return this.flush();
  }

  /** Writes everything buffered; failed objects go back to the buffer for the next flush. Never rejects. */
  flush(): Promise<FlushResult> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    const batch = this.buffer;
    this.flushingBytes = this.bytes;
    this.buffer = [];
    this.rows = 0;
    this.bytes = 0;
    this.flushing = this.write(batch)
      .catch((error: unknown): FlushResult => {
        // write() catches each PUT; anything else is a bug, and the batch is lost: say so.
        this.drops.bufferFull += batch.length;
        this.report('capture flush failed unexpectedly; its lines are dropped', {
          lines: batch.length,
          error: clipText(errorMessage(error)),
          droppedSoFar: { ...this.drops },
        });
        return { keys: [], records: 0, failed: batch.length };
      })
      .finally(() => {
        this.flushingBytes = 0;
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Resolves when no flush is running (tests, SIGTERM). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * One line for the record, or several of fewer rows when it is larger than maxLineBytes. Each
   * row and prediction is serialised once and lines are joined from those pieces, so splitting a
   * large request costs no second serialisation.
   */
  private serialize(record: CaptureRecord, nowMs: number): BufferedLine[] {
    const { instances, predictions, ...rest } = record;
    const head = JSON.stringify(rest);
    const open = `${head.slice(0, -1)}${head === '{}' ? '' : ','}"instances":[`;
    const middle = '],"predictions":[';
    const close = ']}';
    const rows = instances.map((row) => JSON.stringify(row) ?? 'null');
    const preds = instances.map((_, i) => JSON.stringify(predictions[i]) ?? 'null');
    const rowBytes = rows.map((row, i) => utf8Bytes(row) + utf8Bytes(preds[i]!) + 2);
    const fixedBytes = utf8Bytes(open) + middle.length + close.length;
    const limit = this.maxLineBytes - PART_FIELDS_BYTES;
    const hour = record.time.slice(0, 13);

    // Greedy: each line takes rows while it fits; a row that fits in no line is dropped and counted.
    const ranges: Array<{ from: number; to: number; bytes: number }> = [];
    let droppedRows = 0;
    let from = 0;
    let bytes = fixedBytes;
    for (let i = 0; i < rows.length; i++) {
      if (fixedBytes + rowBytes[i]! > limit) {
        if (i > from) ranges.push({ from, to: i, bytes });
        droppedRows++;
        from = i + 1;
        bytes = fixedBytes;
      } else if (bytes + rowBytes[i]! > limit) {
        ranges.push({ from, to: i, bytes });
        from = i;
        bytes = fixedBytes + rowBytes[i]!;
      } else {
        bytes += rowBytes[i]!;
      }
    }
    if (rows.length > from) ranges.push({ from, to: rows.length, bytes });
    // A record without rows is one line if its other fields fit, else one dropped row, never a silent loss.
    if (rows.length === 0) {
      if (fixedBytes <= limit) ranges.push({ from: 0, to: 0, bytes: fixedBytes });
      else droppedRows = 1;
    }
    if (droppedRows > 0) {
      this.drops.rowTooLarge += droppedRows;
      this.report('capture row larger than the line limit; row not captured', {
        requestId: clipText(String(record.requestId)),
        rows: droppedRows,
        maxLineBytes: this.maxLineBytes,
        droppedSoFar: { ...this.drops },
      });
    }
    return ranges.map(({ from: a, to: b, bytes: size }, index) => {
      const part = ranges.length === 1 ? '' : `"part":${index + 1},"parts":${ranges.length},`;
      const line = `{${part}${open.slice(1)}${rows.slice(a, b).join(',')}${middle}${preds.slice(a, b).join(',')}${close}`;
      // The byte count is exact: the pieces were measured, `b - a - 1` commas join each list.
      const commas = Math.max(0, b - a - 1) * 2;
      return {
        line,
        bytes: size - (b - a) * 2 + commas + part.length + 1,
        rows: Math.max(1, b - a),
        hour,
        time: record.time,
        addedAtMs: nowMs,
      };
    });
  }

  private async write(batch: BufferedLine[]): Promise<FlushResult> {
    if (batch.length === 0) return { keys: [], records: 0, failed: 0 };
    const keys: string[] = [];
    let failed = 0;
    const failedLines: BufferedLine[] = [];
    await Promise.all(
      this.objectsOf(batch).map(async (group) => {
        const first = group[0]!;
        const id = `${first.time.replace(/[-:.]/g, '')}-${this.writerId}-${String(this.sequence++).padStart(6, '0')}`;
        const key = captureKey(this.options.model, new Date(first.time), id);
        const body = `${group.map((item) => item.line).join('\n')}\n`;
        try {
          await this.options.store.put(key, body, { contentType: 'application/x-ndjson' });
          keys.push(key);
        } catch (error) {
          failed += group.length;
          failedLines.push(...group);
          this.report('capture flush failed; records kept for the next flush', {
            key,
            records: group.length,
            error: clipText(errorMessage(error)),
          });
        }
      }),
    );
    this.flushingBytes = 0;
    if (failedLines.length > 0) {
      failedLines.sort((a, b) => a.addedAtMs - b.addedAtMs);
      this.buffer = [...failedLines, ...this.buffer];
      for (const line of failedLines) {
        this.rows += line.rows;
        this.bytes += line.bytes;
      }
      this.dropOverflow();
    }
    return { keys: keys.sort(), records: batch.length - failed, failed };
  }

  /** The batch as objects: one hour each, at most maxObjectBytes each (a line is never larger). */
  private objectsOf(batch: BufferedLine[]): BufferedLine[][] {
    const byHour = new Map<string, BufferedLine[]>();
    for (const item of batch) {
      const group = byHour.get(item.hour);
      if (group) group.push(item);
      else byHour.set(item.hour, [item]);
    }
    const objects: BufferedLine[][] = [];
    for (const group of byHour.values()) {
      let current: BufferedLine[] = [];
      let bytes = 0;
      for (const item of group) {
        if (current.length > 0 && bytes + item.bytes > this.maxObjectBytes) {
          objects.push(current);
          current = [];
          bytes = 0;
        }
        current.push(item);
        bytes += item.bytes;
      }
      if (current.length > 0) objects.push(current);
    }
    return objects;
  }

  private dropOverflow(): void {
    let dropped = 0;
    let droppedRows = 0;
    while (
      this.buffer.length > 0 &&
      (this.bytes + this.flushingBytes > this.maxBufferedBytes ||
        (this.rows > this.maxBufferedRows && this.buffer.length > 1))
    ) {
      const oldest = this.buffer.shift()!;
      this.rows -= oldest.rows;
      this.bytes -= oldest.bytes;
      dropped++;
      droppedRows += oldest.rows;
    }
    if (dropped > 0) {
      this.drops.bufferFull += dropped;
      this.report('capture buffer full; oldest records dropped', {
        dropped,
        droppedRows,
        maxBufferedRows: this.maxBufferedRows,
        maxBufferedBytes: this.maxBufferedBytes,
        droppedSoFar: { ...this.drops },
      });
    }
  }

  /** onProblem must not break capture (nor, through it, a response). */
  private report(message: string, details: Record<string, unknown>): void {
    try {
      this.options.onProblem?.(message, details);
    } catch {
      // A logger that throws has nowhere left to report to.
    }
  }
}

/** Room for `,"part":NNNNNN,"parts":NNNNNN` added to a split line. */
const PART_FIELDS_BYTES = 32;

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
