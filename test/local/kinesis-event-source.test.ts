import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { KinesisEventSourceMapping, KinesisFailureRecord } from '../../core/local/event-source-mapping';
import { type KinesisEventSource, startKinesisEventSource } from '../../local/kinesis-event-source';
import { createStream, type LocalKinesis, startLocalKinesis } from '../../local/kinesis-server';

/** The local Kinesis (kinesalite) with the poller and an in-process function; the real SDK client in between. */
let kinesis: LocalKinesis;
let source: KinesisEventSource | undefined;
let streamCounter = 0;

const MAPPING: KinesisEventSourceMapping = {
  logicalId: 'Mapping',
  streamLogicalId: 'Input',
  functionLogicalId: 'Fn',
  batchSize: 4,
  maxBatchingWindowSeconds: 0,
  bisectOnFunctionError: true,
  maxRetryAttempts: 2,
  startingPosition: 'LATEST',
  reportBatchItemFailures: true,
};

beforeAll(async () => {
  kinesis = await startLocalKinesis({ port: 0, region: 'us-east-1', account: '123456789012', streams: [] });
});
afterEach(async () => {
  await source?.close();
  source = undefined;
});
afterAll(async () => {
  await kinesis.close();
});

type Handler = (event: KinesisStreamEvent) => KinesisStreamBatchResponse | undefined;

/** A fresh stream of one shard, polled into `handler`; returns what it saw and what reached the on-failure destination. */
async function pollInto(handler: Handler, mapping: Partial<KinesisEventSourceMapping> = {}) {
  const streamName = `stream-${++streamCounter}`;
  await createStream(kinesis.client, streamName, 1);
  const events: KinesisStreamEvent[] = [];
  const failures: KinesisFailureRecord[] = [];
  source = startKinesisEventSource({
    client: kinesis.client,
    mapping: { ...MAPPING, ...mapping },
    streamName,
    streamArn: `arn:aws:kinesis:us-east-1:123456789012:stream/${streamName}`,
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Fn',
    region: 'us-east-1',
    fn: {
      invoke: async <T>(event: unknown) => {
        events.push(event as KinesisStreamEvent);
        return handler(event as KinesisStreamEvent) as T;
      },
    },
    onFailure: async (record) => {
      failures.push(record);
    },
    idlePollMs: 20,
  });
  await source.ready;
  return { streamName, events, failures };
}

async function put(streamName: string, data: string[]): Promise<string[]> {
  const response = await kinesis.client.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: data.map((text) => ({ Data: Buffer.from(text), PartitionKey: 'key' })),
    }),
  );
  return response.Records!.map((record) => record.SequenceNumber!);
}

const dataOf = (event: KinesisStreamEvent) =>
  event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString('utf8'));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(check()).toBe(true);
}

it('delivers records put after it starts in batches of the mapping size, in the shape Lambda delivers', async () => {
  // given a function that handles everything
  const { streamName, events } = await pollInto(() => ({ batchItemFailures: [] }));
  // when six records are put in one call
  const sequences = await put(streamName, ['a', 'b', 'c', 'd', 'e', 'f']);
  // then they arrive once each, in order, at most four a batch, with base64 data, key, sequence and source ARN
  await until(() => events.flatMap(dataOf).length === 6);
  expect(events.flatMap(dataOf)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  expect(events.every((event) => event.Records.length <= 4)).toBe(true);
  expect(events[0]!.Records[0]).toMatchObject({
    eventSource: 'aws:kinesis',
    eventName: 'aws:kinesis:record',
    eventID: `shardId-000000000000:${sequences[0]}`,
    eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${streamName}`,
    kinesis: { partitionKey: 'key', sequenceNumber: sequences[0], data: Buffer.from('a').toString('base64') },
  });
});

it('retries from the lowest record a partial batch response names, and not the records before it', async () => {
  // given a function that reports record "c" failed the first time it sees it
  let failedOnce = false;
  const { streamName, events } = await pollInto((event) => {
    const c = event.Records.find((record) => Buffer.from(record.kinesis.data, 'base64').toString() === 'c');
    if (c && !failedOnce) {
      failedOnce = true;
      return { batchItemFailures: [{ itemIdentifier: c.kinesis.sequenceNumber }] };
    }
    return { batchItemFailures: [] };
  });
  // when four records are put
  await put(streamName, ['a', 'b', 'c', 'd']);
  // then the retry carries c and d only
  await until(() => events.length === 2);
  expect(events.map(dataOf)).toEqual([
    ['a', 'b', 'c', 'd'],
    ['c', 'd'],
  ]);
});

it('bisects around a poison record, delivers the others, and sends its batch to the on-failure destination', async () => {
  // given a function that throws on any batch holding "poison"
  const handled: string[] = [];
  const { streamName, events, failures } = await pollInto((event) => {
    const data = dataOf(event);
    if (data.includes('poison')) throw new Error('cannot handle poison');
    handled.push(...data);
    return { batchItemFailures: [] };
  });
  // when four records are put, the third poisonous
  const sequences = await put(streamName, ['a', 'b', 'poison', 'd']);
  // then the batch is split until the poison record is alone, retried to the limit, and recorded as a failure
  await until(() => failures.length === 1 && handled.length === 3);
  expect(handled).toEqual(['a', 'b', 'd']);
  expect(events.map(dataOf)).toEqual([['a', 'b', 'poison', 'd'], ['a', 'b'], ['poison', 'd'], ['poison'], ['d']]);
  expect(failures[0]!.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
  expect(failures[0]!.responseContext.functionError).toBe('Unhandled');
  expect(failures[0]!.KinesisBatchInfo).toMatchObject({
    shardId: 'shardId-000000000000',
    startSequenceNumber: sequences[2],
    endSequenceNumber: sequences[2],
    batchSize: 1,
    streamArn: `arn:aws:kinesis:us-east-1:123456789012:stream/${streamName}`,
  });
});

it('retries a failing batch whole, without bisecting, when the mapping does not bisect', async () => {
  // given a function that always throws and a mapping with one retry and no bisection
  const { streamName, events, failures } = await pollInto(
    () => {
      throw new Error('down');
    },
    { bisectOnFunctionError: false, maxRetryAttempts: 1 },
  );
  // when two records are put
  await put(streamName, ['a', 'b']);
  // then the batch is invoked twice whole, then sent to the on-failure destination
  await until(() => failures.length === 1);
  expect(events.map(dataOf)).toEqual([
    ['a', 'b'],
    ['a', 'b'],
  ]);
  expect(failures[0]!.KinesisBatchInfo.batchSize).toBe(2);
});
