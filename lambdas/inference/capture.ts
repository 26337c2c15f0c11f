import { randomBytes } from 'node:crypto';
import type { Prediction } from '../../core/score/scorer';
import type { ObjectStore } from '../../core/storage/object-store';
import { captureKey } from '../../core/workflow/layout';
import type { Instance } from './request';

/**
 * Data capture: a sample of requests written to the monitoring zone as JSON Lines, one line per
 * request, one object per (container, flush, hour) at
 * capture/<model>/dt=YYYY-MM-DD/hour=HH/<id>.jsonl.
 *
 * Why buffered: one S3 PUT per captured request would cost a PUT each and, awaited, add its
 * latency to the response. Instead sampled requests collect in memory and a flush starts when the
 * buffer holds `maxRows` rows or its oldest request is `maxAgeMs` old. The handler schedules that
 * flush for just after it returns (InferenceApp.startDueFlush), so no response waits on S3 or
 * even on serialising the buffer.
 *
 * What Lambda's lifecycle costs (stated in the README too): after a response Lambda freezes the
 * container; a flush in flight resumes at the next invocation (the SDK retries a connection that
 * went stale). When Lambda recycles an idle container it does not run our code first, so the
 * requests still buffered (at most `maxRows` rows or `maxAgeMs` of sampled traffic per container)
 * and a flush still in flight are LOST. With a Lambda extension attached, Lambda sends SIGTERM
 * before shutdown and the handler flushes then (best effort, ~500 ms). Capture is a sample for
 * drift monitoring, not an audit log: losing a tail is acceptable, slowing every response is not.
 */
export interface CaptureRecord {
  readonly requestId: string;
  /** ISO time the request was scored. */
  readonly time: string;
  readonly model: string;
  readonly version: number;
  readonly instances: readonly Instance[];
  readonly predictions: readonly Prediction[];
  readonly warnings: readonly string[];
}

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
  /** @default Math.random */
  readonly random?: () => number;
  /** Distinguishes this container's objects from others'. @default 8 random hex characters */
  readonly writerId?: string;
  /** Told when a flush fails (records are kept for the next one) or requests are dropped. */
  readonly onProblem?: (message: string, details: Record<string, unknown>) => void;
}

export interface FlushResult {
  readonly keys: readonly string[];
  readonly records: number;
  readonly failed: number;
}

interface Buffered {
  readonly record: CaptureRecord;
  readonly rows: number;
  readonly addedAtMs: number;
}

export class CaptureBuffer {
  private buffer: Buffered[] = [];
  private rows = 0;
  private flushing?: Promise<FlushResult>;
  private sequence = 0;
  private readonly random: () => number;
  private readonly writerId: string;
  private readonly maxBufferedRows: number;
  /** Requests dropped because S3 kept failing and the buffer was full. */
  droppedRecords = 0;

  constructor(private readonly options: CaptureOptions) {
    this.random = options.random ?? Math.random;
    this.writerId = options.writerId ?? randomBytes(4).toString('hex');
    this.maxBufferedRows = options.maxBufferedRows ?? options.maxRows * 10;
  }

  /** Decides, per request, whether it is captured. */
  sample(): boolean {
    const { sampleRate } = this.options;
    return sampleRate >= 1 || (sampleRate > 0 && this.random() < sampleRate);
  }

  add(record: CaptureRecord, nowMs: number): void {
    const rows = Math.max(1, record.instances.length);
    this.buffer.push({ record, rows, addedAtMs: nowMs });
    this.rows += rows;
    this.dropOverflow();
  }

  get bufferedRecords(): number {
    return this.buffer.length;
  }

  get bufferedRows(): number {
    return this.rows;
  }

  isDue(nowMs: number): boolean {
    if (this.buffer.length === 0) return false;
    return this.rows >= this.options.maxRows || nowMs - this.buffer[0]!.addedAtMs >= this.options.maxAgeMs;
  }

  /** Starts a flush when one is due and none is running; the caller does not await it. */
  flushIfDue(nowMs: number): Promise<FlushResult> | undefined {
    if (this.flushing || !this.isDue(nowMs)) return undefined;
    return this.flush();
  }

  /** Writes everything buffered; failed groups go back to the buffer for the next flush. Never rejects. */
  flush(): Promise<FlushResult> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    const batch = this.buffer;
    this.buffer = [];
    this.rows = 0;
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Resolves when no flush is running (tests, SIGTERM). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async write(batch: Buffered[]): Promise<FlushResult> {
    if (batch.length === 0) return { keys: [], records: 0, failed: 0 };
    const byHour = new Map<string, Buffered[]>();
    for (const item of batch) {
      const hour = item.record.time.slice(0, 13);
      const group = byHour.get(hour);
      if (group) group.push(item);
      else byHour.set(hour, [item]);
    }
    const keys: string[] = [];
    let failed = 0;
    const failedItems: Buffered[] = [];
    await Promise.all(
      [...byHour.values()].map(async (group) => {
        const first = group[0]!.record;
        const id = `${first.time.replace(/[-:.]/g, '')}-${this.writerId}-${String(this.sequence++).padStart(6, '0')}`;
        const key = captureKey(this.options.model, new Date(first.time), id);
        const body = `${group.map((item) => JSON.stringify(item.record)).join('\n')}\n`;
        try {
          await this.options.store.put(key, body, { contentType: 'application/x-ndjson' });
          keys.push(key);
        } catch (error) {
          failed += group.length;
          failedItems.push(...group);
          this.options.onProblem?.('capture flush failed; records kept for the next flush', {
            key,
            records: group.length,
            error: (error as Error).message,
          });
        }
      }),
    );
    if (failedItems.length > 0) {
      failedItems.sort((a, b) => a.addedAtMs - b.addedAtMs);
      this.buffer = [...failedItems, ...this.buffer];
      this.rows += failedItems.reduce((sum, item) => sum + item.rows, 0);
      this.dropOverflow();
    }
    return { keys: keys.sort(), records: batch.length - failed, failed };
  }

  private dropOverflow(): void {
    let dropped = 0;
    while (this.rows > this.maxBufferedRows && this.buffer.length > 1) {
      this.rows -= this.buffer.shift()!.rows;
      dropped++;
    }
    if (dropped > 0) {
      this.droppedRecords += dropped;
      this.options.onProblem?.('capture buffer full; oldest records dropped', {
        dropped,
        maxBufferedRows: this.maxBufferedRows,
      });
    }
  }
}
