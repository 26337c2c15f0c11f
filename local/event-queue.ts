import { createHash, randomUUID } from 'node:crypto';

/**
 * The SQS queue between EventBridge and the retrain trigger, locally: events are held for a
 * batching window (the event source mapping's maximumBatchingWindow) and delivered as one SQS
 * event of up to `batchSize` records; records the function reports in `batchItemFailures` are
 * redelivered after the visibility timeout, up to `maxReceives`, then dropped to the
 * dead-letter log as the queue's redrive policy would.
 */
export interface QueueOptions {
  readonly batchingWindowMs: number;
  /** @default 100 */
  readonly batchSize?: number;
  /** @default 5000 */
  readonly visibilityTimeoutMs?: number;
  /** @default 3 */
  readonly maxReceives?: number;
  readonly deliver: (event: {
    Records: SqsRecord[];
  }) => Promise<{ batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined>;
  readonly onDeadLetter?: (record: SqsRecord, reason: string) => void;
}

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: { ApproximateReceiveCount: string; SentTimestamp: string };
  messageAttributes: Record<string, never>;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

interface Message {
  id: string;
  body: string;
  sent: number;
  receives: number;
}

export class BatchingQueue {
  private waiting: Message[] = [];
  private timer?: NodeJS.Timeout;
  private delivering: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: QueueOptions) {}

  send(body: unknown): void {
    if (this.closed) return;
    this.enqueue({
      id: randomUUID(),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      sent: Date.now(),
      receives: 0,
    });
  }

  private enqueue(message: Message): void {
    this.waiting.push(message);
    if (this.waiting.length >= (this.options.batchSize ?? 100)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.batchingWindowMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0, this.options.batchSize ?? 100);
    if (batch.length === 0) return;
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.flush(), this.options.batchingWindowMs);
    // One batch at a time, as with the trigger's reserved concurrency of 1.
    const run = this.delivering.then(() => this.deliver(batch));
    this.delivering = run;
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async deliver(batch: Message[]): Promise<void> {
    for (const message of batch) message.receives++;
    const records = batch.map((message) => toRecord(message));
    let failed: Set<string>;
    try {
      const response = await this.options.deliver({ Records: records });
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch {
      // A failed invocation returns the whole batch to the queue, as with SQS.
      failed = new Set(batch.map((message) => message.id));
    }
    for (const message of batch.filter((m) => failed.has(m.id))) {
      if (message.receives >= (this.options.maxReceives ?? 3)) {
        this.options.onDeadLetter?.(toRecord(message), `not processed after ${message.receives} receives`);
        continue;
      }
      setTimeout(() => !this.closed && this.enqueue(message), this.options.visibilityTimeoutMs ?? 5000).unref();
    }
  }

  /** Delivers what is waiting now and resolves when every delivery has finished. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

function toRecord(message: Message): SqsRecord {
  return {
    messageId: message.id,
    receiptHandle: `${message.id}:${message.receives}`,
    body: message.body,
    attributes: { ApproximateReceiveCount: String(message.receives), SentTimestamp: String(message.sent) },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:mlops-retrain-trigger',
    awsRegion: 'us-east-1',
  };
}
