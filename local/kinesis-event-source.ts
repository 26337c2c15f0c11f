import { randomUUID } from 'node:crypto';
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import {
  batchesOf,
  type InvokeOutcome,
  type KinesisEventSourceMapping,
  type KinesisFailureRecord,
  kinesisFailureRecord,
  type PendingBatch,
  planAfterInvoke,
} from '../core/local/event-source-mapping';

/**
 * A Kinesis event source mapping run locally: one poll loop per shard with GetShardIterator and
 * GetRecords, batches of the mapping's size gathered for at most its batching window, the event
 * Lambda delivers, and the retry rules of core/local/event-source-mapping.ts (partial batch
 * responses, bisect on function error, retry limit, the on-failure destination).
 * Checkpoints are held in memory, as the local streams are.
 */
export interface EventSourceFunction {
  invoke<T = unknown>(event: unknown): Promise<T>;
}

export interface KinesisEventSourceOptions {
  readonly client: KinesisClient;
  readonly mapping: KinesisEventSourceMapping;
  readonly streamName: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly region: string;
  readonly fn: EventSourceFunction;
  /** Receives the failure record of a batch whose retries ran out (the mapping's on-failure destination). */
  readonly onFailure: (record: KinesisFailureRecord) => Promise<void>;
  readonly log?: (line: string) => void;
  /** Wait between polls of an empty shard (Lambda polls each shard about once a second). @default 200 */
  readonly idlePollMs?: number;
}

export interface KinesisEventSource {
  /** Resolves once every shard's poller has its iterator (records put after this are delivered). */
  readonly ready: Promise<void>;
  /** Resolves when no fetched record is waiting for delivery or a retry. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startKinesisEventSource(options: KinesisEventSourceOptions): KinesisEventSource {
  const { client, mapping } = options;
  const idlePollMs = options.idlePollMs ?? 200;
  const log = options.log ?? (() => undefined);
  let stopped = false;
  let busy = 0;

  const deliver = async (shardId: string, records: readonly KinesisRecord[]): Promise<void> => {
    const bySequence = new Map(records.map((record) => [record.SequenceNumber!, record]));
    const queue: PendingBatch[] = batchesOf([...bySequence.keys()], mapping.batchSize);
    while (queue.length > 0 && !stopped) {
      const batch = queue.shift()!;
      const batchRecords = batch.sequenceNumbers.map((sequence) => bySequence.get(sequence)!);
      const event: KinesisStreamEvent = {
        Records: batchRecords.map((record) => lambdaRecord(record, shardId, options)),
      };
      let outcome: InvokeOutcome;
      try {
        const response = await options.fn.invoke<KinesisStreamBatchResponse | undefined | null>(event);
        outcome = { kind: 'ok', batchItemFailures: response?.batchItemFailures ?? [] };
      } catch (error) {
        log(
          `kinesis ${options.streamName} ${shardId}: function error on ${batch.sequenceNumbers.length} record(s): ${(error as Error).message}`,
        );
        outcome = { kind: 'function-error' };
      }
      const plan = planAfterInvoke(batch, outcome, mapping);
      queue.unshift(...plan.retry);
      if (plan.discarded) {
        const failure = kinesisFailureRecord({
          requestId: randomUUID(),
          functionArn: options.functionArn,
          streamArn: options.streamArn,
          shardId,
          discarded: plan.discarded,
          lastOutcome: outcome,
          arrivals: plan.discarded.sequenceNumbers.map(
            (sequence) => bySequence.get(sequence)!.ApproximateArrivalTimestamp ?? new Date(),
          ),
          now: new Date(),
        });
        log(
          `kinesis ${options.streamName} ${shardId}: ${plan.discarded.sequenceNumbers.length} record(s) sent to the on-failure destination after ${failure.requestContext.approximateInvokeCount} invocation(s)`,
        );
        await options.onFailure(failure);
      }
    }
  };

  const pollShard = async (shardId: string, started: () => void): Promise<void> => {
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: options.streamName,
        ShardId: shardId,
        ShardIteratorType: mapping.startingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
      }),
    );
    started();
    let iterator = ShardIterator;
    while (!stopped && iterator) {
      const gathered: KinesisRecord[] = [];
      let windowEnds: number | undefined;
      // Gather until the batch is full or the window since the first record has passed.
      for (;;) {
        const response: GetRecordsCommandOutput = await client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: mapping.batchSize - gathered.length }),
        );
        iterator = response.NextShardIterator;
        gathered.push(...(response.Records ?? []));
        if (gathered.length > 0 && windowEnds === undefined)
          windowEnds = Date.now() + mapping.maxBatchingWindowSeconds * 1000;
        if (stopped || !iterator || gathered.length >= mapping.batchSize) break;
        if (windowEnds !== undefined && Date.now() >= windowEnds) break;
        if ((response.Records ?? []).length === 0) await sleep(idlePollMs);
      }
      if (gathered.length === 0) continue;
      busy++;
      try {
        await deliver(shardId, gathered);
      } finally {
        busy--;
      }
    }
  };

  const loops: Promise<void>[] = [];
  const ready = (async () => {
    const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: options.streamName }));
    await Promise.all(
      Shards.map(
        (shard) =>
          new Promise<void>((resolve, reject) => {
            const loop = pollShard(shard.ShardId!, resolve).catch((error: unknown) => {
              if (!stopped)
                log(`kinesis ${options.streamName} ${shard.ShardId}: poller stopped: ${(error as Error).message}`);
              reject(error);
            });
            loops.push(loop.catch(() => undefined));
          }),
      ),
    );
  })();

  return {
    ready,
    idle: async () => {
      while (busy > 0) await sleep(20);
    },
    close: async () => {
      stopped = true;
      await ready.catch(() => undefined);
      await Promise.all(loops);
    },
  };
}

/** One record as Lambda delivers it from Kinesis (data base64, the shard in eventID). */
function lambdaRecord(
  record: KinesisRecord,
  shardId: string,
  options: Pick<KinesisEventSourceOptions, 'streamArn' | 'region' | 'functionArn'>,
): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber!;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey!,
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: options.functionArn.replace(
      /:lambda:[^:]+:(\d+):function:.*/,
      ':iam::$1:role/local-stream-scorer',
    ),
    awsRegion: options.region,
    eventSourceARN: options.streamArn,
  };
}
