import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/**
 * Feeds Kinesis-shaped events to the stream-scorer function on the local platform, the way an
 * event source mapping does on AWS: records in batches of `batchSize`, base64 data, partition
 * keys, increasing sequence numbers; a batch whose response reports `batchItemFailures` is
 * retried from the lowest reported record, up to `maxRetries` times, and what is still failing
 * after that is returned as `dropped` (on AWS: the on-failure queue receives the batch's metadata).
 */

/** The function environment the local platform adds for kind `stream-scorer`: sinks in the local monitoring zone. */
export const STREAM_SCORER_LOCAL_ENVIRONMENT: Readonly<Record<string, string>> = { MLOPS_STREAM_SINK: 's3' };

export interface InvokableFunction {
  invoke<T = unknown>(event: unknown): Promise<T>;
}

export interface StreamPutOptions {
  readonly model: string;
  /** Records per invocation (the model's streaming.batchSize). @default 100 */
  readonly batchSize?: number;
  /** Retries of a batch that reports failures. @default 2 */
  readonly maxRetries?: number;
  /** @default 'shardId-000000000000' */
  readonly shardId?: string;
  /** @default - a fresh key per record (`local-<sequence>`) */
  readonly partitionKey?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
}

export interface StreamPutResult {
  readonly records: number;
  readonly invocations: number;
  /** Sequence numbers of the records sent, in order. */
  readonly sequenceNumbers: readonly string[];
  /** Records still reported failed after the retries. */
  readonly dropped: readonly string[];
}

let sequenceCounter = 0n;

/** Sequence numbers grow across calls and restarts (time-based), as Kinesis's do within a shard. */
function nextSequenceNumber(): string {
  sequenceCounter += 1n;
  return (BigInt(Date.now()) * 1_000_000n + (sequenceCounter % 1_000_000n)).toString().padStart(56, '4');
}

/** Kinesis stream name of a model's input stream, as the CDK app names it locally. */
export const localInputStreamArn = (model: string, region = 'us-east-1', account = '123456789012'): string =>
  `arn:aws:kinesis:${region}:${account}:stream/${model}-scoring-input`;

/** Builds Kinesis records from raw data strings (each usually one JSON document). */
export function kinesisRecords(data: readonly string[], options: StreamPutOptions): KinesisStreamRecord[] {
  const shardId = options.shardId ?? 'shardId-000000000000';
  const region = options.region ?? 'us-east-1';
  const arn = localInputStreamArn(options.model, region, options.account);
  return data.map((text) => {
    const sequenceNumber = nextSequenceNumber();
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: options.partitionKey ?? `local-${sequenceNumber.slice(-12)}`,
        sequenceNumber,
        data: Buffer.from(text, 'utf8').toString('base64'),
        approximateArrivalTimestamp: Date.now() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${options.account ?? '123456789012'}:role/local-stream-scorer`,
      awsRegion: region,
      eventSourceARN: arn,
    };
  });
}

/** Sends the data strings through the function in batches, with the event source mapping's retry rule. */
export async function putToStream(
  fn: InvokableFunction,
  data: readonly string[],
  options: StreamPutOptions,
): Promise<StreamPutResult> {
  const batchSize = options.batchSize ?? 100;
  const maxRetries = options.maxRetries ?? 2;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, received ${batchSize}`);
  const records = kinesisRecords(data, options);
  const dropped: string[] = [];
  let invocations = 0;
  for (let start = 0; start < records.length; start += batchSize) {
    let batch = records.slice(start, start + batchSize);
    for (let attempt = 0; batch.length > 0; attempt++) {
      invocations++;
      const response = await fn.invoke<KinesisStreamBatchResponse | undefined>({
        Records: batch,
      } satisfies KinesisStreamEvent);
      const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      if (failed.size === 0) break;
      // As Lambda does: the batch resumes at the lowest failed record; records after it are sent again.
      const from = batch.findIndex((record) => failed.has(record.kinesis.sequenceNumber));
      if (from === -1) break;
      batch = batch.slice(from);
      if (attempt >= maxRetries) {
        dropped.push(...batch.map((record) => record.kinesis.sequenceNumber));
        break;
      }
    }
  }
  return {
    records: records.length,
    invocations,
    sequenceNumbers: records.map((r) => r.kinesis.sequenceNumber),
    dropped,
  };
}

export interface AdminResponse {
  readonly statusCode: number;
  readonly body: string;
}

/**
 * The admin route `POST /_local/stream/<model>`: body `{"lines": ["<record data>", ...]}` (each
 * line is sent as one record's data, as written) with optional `partitionKey`. Answers 200 with
 * a StreamPutResult, 400 for a bad body.
 */
export async function handleStreamPut(
  fn: InvokableFunction,
  body: string | undefined,
  options: StreamPutOptions,
): Promise<AdminResponse> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body || '{}');
  } catch {
    return badRequest('the body must be JSON: {"lines": ["{...}", ...]}');
  }
  const lines = (parsed as { lines?: unknown }).lines;
  if (!Array.isArray(lines) || lines.length === 0 || !lines.every((line) => typeof line === 'string')) {
    return badRequest('"lines" must be a non-empty array of strings, one record\'s data each');
  }
  const partitionKey = (parsed as { partitionKey?: unknown }).partitionKey;
  if (partitionKey !== undefined && (typeof partitionKey !== 'string' || partitionKey === '')) {
    return badRequest('"partitionKey" must be a non-empty string');
  }
  try {
    const result = await putToStream(fn, lines, { ...options, ...(partitionKey ? { partitionKey } : {}) });
    return { statusCode: 200, body: JSON.stringify(result) };
  } catch (error) {
    return { statusCode: 500, body: JSON.stringify({ error: { message: (error as Error).message } }) };
  }
}

function badRequest(message: string): AdminResponse {
  return { statusCode: 400, body: JSON.stringify({ error: { message } }) };
}
