import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type AwsEndpoint, startAwsEndpoint } from '../../local/aws-endpoint';
import { type LocalStreaming, startLocalStreaming } from '../../local/streaming';

/** A template of the shape lib/streaming-scoring.ts synthesizes, trimmed to what the local streaming reads. */
const template = {
  Resources: {
    Input: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2 } },
    Output: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
    DeadLetters: { Type: 'AWS::SQS::Queue', Properties: {} },
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        BatchSize: 10,
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] } } },
        EventSourceArn: { 'Fn::GetAtt': ['Input', 'Arn'] },
        FunctionName: { Ref: 'Fn' },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumBatchingWindowInSeconds: 0,
        MaximumRetryAttempts: 1,
        StartingPosition: 'LATEST',
      },
    },
  },
};
const functions = [
  {
    kind: 'stream-scorer' as const,
    logicalId: 'Fn',
    environment: { MLOPS_OUTPUT_STREAM_NAME: 'Output', MLOPS_DEAD_LETTER_QUEUE_URL: 'DeadLetters' },
  },
];

let aws: AwsEndpoint;
let streaming: LocalStreaming | undefined;
let sqs: (operation: string, input: Record<string, unknown>) => Promise<unknown>;
let dataDir: string;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'local-streaming-'));
  aws = await startAwsEndpoint({
    port: 0,
    handlers: {
      stepFunctions: {},
      putEvents: async () => undefined,
      publish: async () => undefined,
      sqs: (operation, input) => sqs(operation, input),
    },
  });
});
afterEach(async () => {
  await streaming?.close();
  streaming = undefined;
  await aws.close();
});

async function start(t: Record<string, unknown> = template): Promise<LocalStreaming> {
  streaming = await startLocalStreaming({
    synth: { template: t, functions },
    awsEndpoint: aws.url,
    dataDir,
    port: 0,
    publish: () => undefined,
    log: () => undefined,
  });
  sqs = streaming.queues.handle;
  return streaming;
}

const queueLines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { body: string });

it('creates the template streams with their shard counts and names the stream, output and queue of each mapping', async () => {
  const local = await start();
  const shards = await local.kinesis!.client.send(new ListShardsCommand({ StreamName: 'Input' }));
  expect(shards.Shards).toHaveLength(2);
  expect(local.streams).toEqual([
    {
      functionLogicalId: 'Fn',
      inputStream: 'Input',
      outputStream: 'Output',
      onFailureQueueUrl: `${aws.url}/123456789012/DeadLetters`,
      onFailureFile: join(dataDir, 'sqs', 'DeadLetters.jsonl'),
    },
  ]);
});

it("points the function's Kinesis and SQS calls at the local endpoints, the queue URL included", async () => {
  const local = await start();
  expect(local.functionEnvironment('Fn', functions[0]!.environment)).toEqual({
    AWS_ENDPOINT_URL_KINESIS: local.kinesis!.endpoint,
    AWS_ENDPOINT_URL_SQS: aws.url,
    MLOPS_DEAD_LETTER_QUEUE_URL: `${aws.url}/123456789012/DeadLetters`,
  });
  expect(local.functionEnvironment('Other', {})).toEqual({});
});

it('serves SendMessageBatch to the real SQS client at the local queue URL, appending each message to the queue file', async () => {
  const local = await start();
  // As the function's client is configured: AWS_ENDPOINT_URL_SQS is the local endpoint.
  const client = new SQSClient({
    endpoint: local.functionEnvironment('Fn', functions[0]!.environment).AWS_ENDPOINT_URL_SQS,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const response = await client.send(
    new SendMessageBatchCommand({
      QueueUrl: local.streams[0]!.onFailureQueueUrl,
      Entries: [
        { Id: '0', MessageBody: 'first' },
        { Id: '1', MessageBody: 'second' },
      ],
    }),
  );
  client.destroy();
  expect(response.Successful?.map((entry) => entry.Id)).toEqual(['0', '1']);
  expect(queueLines(local.streams[0]!.onFailureFile!).map((message) => message.body)).toEqual(['first', 'second']);
});

it("sends a batch that fails past the mapping's retries to its on-failure queue", async () => {
  const local = await start();
  let invocations = 0;
  await local.connect(() => ({
    invoke: async () => {
      invocations++;
      throw new Error('down');
    },
  }));
  await local.kinesis!.client.send(
    new PutRecordCommand({ StreamName: 'Input', PartitionKey: 'k', Data: Buffer.from('{}') }),
  );
  const file = local.streams[0]!.onFailureFile!;
  for (let i = 0; i < 250; i++) {
    try {
      if (queueLines(file).length > 0) break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const [message] = queueLines(file);
  expect(JSON.parse(message!.body)).toMatchObject({
    requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
    KinesisBatchInfo: { batchSize: 1, streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/Input' },
  });
  expect(invocations).toBe(2);
});

it('starts no Kinesis when the template has no stream', async () => {
  const local = await start({ Resources: {} });
  expect(local.kinesis).toBeUndefined();
  expect(local.streams).toEqual([]);
});
