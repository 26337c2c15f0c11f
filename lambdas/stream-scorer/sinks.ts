import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ObjectStore } from '../../core/storage/object-store';
import type { DeadLetter, DeadLetterSink, ResultSink, StreamResult } from './score-stream';

/** PutRecords takes at most 500 records (and 5 MiB) per call. */
const PUT_RECORDS_MAX = 500;
const PUT_RECORDS_MAX_BYTES = 4 * 1024 * 1024;
/** SendMessageBatch takes at most 10 messages (and 256 KiB) per call. */
const SEND_BATCH_MAX = 10;
const SEND_BATCH_MAX_BYTES = 240 * 1024;

/** Results to a Kinesis stream, keyed by the input's partition key. Per-record failures are returned for retry. */
export function kinesisResultSink(client: Pick<KinesisClient, 'send'>, streamName: string): ResultSink {
  return {
    async put(results) {
      const failed: string[] = [];
      for (const batch of batches(results, PUT_RECORDS_MAX, PUT_RECORDS_MAX_BYTES, (r) => JSON.stringify(r))) {
        try {
          const response = await client.send(
            new PutRecordsCommand({
              StreamName: streamName,
              Records: batch.map(({ item, text }) => ({ Data: Buffer.from(text), PartitionKey: item.partitionKey })),
            }),
          );
          response.Records?.forEach((entry, index) => {
            if (entry.ErrorCode) failed.push(batch[index]!.item.sequenceNumber);
          });
        } catch {
          failed.push(...batch.map(({ item }) => item.sequenceNumber));
        }
      }
      return failed;
    },
  };
}

/** Bad records to an SQS queue (the event source mapping's on-failure queue). */
export function sqsDeadLetterSink(client: Pick<SQSClient, 'send'>, queueUrl: string): DeadLetterSink {
  return {
    async send(letters) {
      const failed: string[] = [];
      for (const batch of batches(letters, SEND_BATCH_MAX, SEND_BATCH_MAX_BYTES, (l) => JSON.stringify(l))) {
        try {
          const response = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map(({ text }, index) => ({ Id: String(index), MessageBody: text })),
            }),
          );
          for (const entry of response.Failed ?? []) failed.push(batch[Number(entry.Id)]!.item.sequenceNumber);
        } catch {
          failed.push(...batch.map(({ item }) => item.sequenceNumber));
        }
      }
      return failed;
    },
  };
}

/**
 * The local platform's sinks: JSON lines in an S3 bucket (the local monitoring zone), one object
 * per batch, named by the batch's first sequence number so a retried batch overwrites its object.
 */
export function objectStoreSinks(
  store: ObjectStore,
  prefix: string,
): { results: ResultSink; deadLetters: DeadLetterSink } {
  const write = async <T extends { sequenceNumber: string }>(folder: string, items: readonly T[]) => {
    try {
      await store.put(`${prefix}${folder}/${items[0]!.sequenceNumber}.jsonl`, lines(items), {
        contentType: 'application/x-ndjson',
      });
      return [];
    } catch {
      return items.map((item) => item.sequenceNumber);
    }
  };
  return {
    results: { put: (results: readonly StreamResult[]) => write('results', results) },
    deadLetters: { send: (letters: readonly DeadLetter[]) => write('dead-letters', letters) },
  };
}

function lines(items: readonly unknown[]): string {
  return items.map((item) => `${JSON.stringify(item)}\n`).join('');
}

function batches<T>(items: readonly T[], maxCount: number, maxBytes: number, serialize: (item: T) => string) {
  const out: { item: T; text: string }[][] = [];
  let current: { item: T; text: string }[] = [];
  let bytes = 0;
  for (const item of items) {
    const text = serialize(item);
    const size = Buffer.byteLength(text);
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ item, text });
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
