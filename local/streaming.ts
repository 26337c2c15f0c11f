import { join } from 'node:path';
import {
  type KinesisEventSourceMapping,
  kinesisEventSourceMappings,
  kinesisStreams,
} from '../core/local/event-source-mapping';
import { STREAM_SCORER_ENV } from '../lambdas/stream-scorer/config';
import type { SynthesizedPlatform } from '../lib/synthesize';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './event-routing';
import { type EventSourceFunction, type KinesisEventSource, startKinesisEventSource } from './kinesis-event-source';
import { type LocalKinesis, startLocalKinesis } from './kinesis-server';
import { createLocalQueues, type LocalQueues } from './sqs-queues';

/**
 * Streaming scoring on the local platform, as the synthesized template wires it: every
 * AWS::Kinesis::Stream created in the local Kinesis (named as the local resolver names them: by
 * logical id; shard counts from the template), every Kinesis event source mapping polled by
 * local/kinesis-event-source.ts, and the SQS queues that are on-failure destinations served by
 * local/sqs-queues.ts. A stream scorer then runs with its `aws` sinks: results to the output
 * stream, bad records to the dead-letter queue.
 */
export interface LocalStreamInfo {
  readonly functionLogicalId: string;
  readonly inputStream: string;
  /** The stream the function writes results to (its MLOPS_OUTPUT_STREAM_NAME). */
  readonly outputStream?: string;
  readonly onFailureQueueUrl?: string;
  /** Where the on-failure queue's messages are appended (JSON lines). */
  readonly onFailureFile?: string;
}

export interface LocalStreaming {
  /** Absent when the template has no Kinesis stream (no model has a `streaming` section). */
  readonly kinesis?: LocalKinesis;
  readonly queues: LocalQueues;
  readonly streams: readonly LocalStreamInfo[];
  /** What a function's environment needs on top of the synthesized one to reach the local streams and queues. */
  functionEnvironment(functionLogicalId: string, environment: Readonly<Record<string, string>>): Record<string, string>;
  /** Starts polling each mapping's shards into its function; resolves once every shard has its iterator. */
  connect(functionOf: (logicalId: string) => EventSourceFunction | undefined): Promise<void>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

const streamArn = (name: string) => `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stream/${name}`;
const functionArn = (logicalId: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

export async function startLocalStreaming(options: {
  synth: Pick<SynthesizedPlatform, 'template' | 'functions'>;
  /** The local AWS endpoint's URL (it serves the queues). */
  awsEndpoint: string;
  dataDir: string;
  /** @default 4567 */
  port?: number;
  /** An on-failure destination that is an SNS topic publishes here. */
  publish: (message: { topicArn: string; subject?: string; message: string }) => void;
  log: (line: string) => void;
}): Promise<LocalStreaming> {
  const { template } = options.synth;
  const mappings = kinesisEventSourceMappings(template);
  const streamResources = kinesisStreams(template);
  // No streaming model, no Kinesis: its port stays free.
  const kinesis =
    streamResources.length === 0
      ? undefined
      : await startLocalKinesis({
          port: options.port ?? 4567,
          region: LOCAL_REGION,
          account: LOCAL_ACCOUNT,
          streams: streamResources.map((stream) => ({ name: stream.logicalId, shardCount: stream.shardCount })),
        });
  const queueNames = mappings.flatMap((mapping) =>
    mapping.onFailure?.type === 'AWS::SQS::Queue' ? [mapping.onFailure.logicalId] : [],
  );
  const queues = createLocalQueues({
    endpoint: options.awsEndpoint,
    account: LOCAL_ACCOUNT,
    folder: join(options.dataDir, 'sqs'),
    queues: queueNames,
  });
  const environmentOf = new Map(options.synth.functions.map((fn) => [fn.logicalId, fn.environment]));
  const streams = mappings.map((mapping): LocalStreamInfo => {
    const queue = mapping.onFailure?.type === 'AWS::SQS::Queue' ? mapping.onFailure.logicalId : undefined;
    const output = environmentOf.get(mapping.functionLogicalId)?.[STREAM_SCORER_ENV.outputStream];
    return {
      functionLogicalId: mapping.functionLogicalId,
      inputStream: mapping.streamLogicalId,
      ...(output ? { outputStream: output } : {}),
      ...(queue ? { onFailureQueueUrl: queues.url(queue), onFailureFile: queues.file(queue) } : {}),
    };
  });
  const sources: KinesisEventSource[] = [];
  let closing: Promise<void> | undefined;

  const onFailure = (mapping: KinesisEventSourceMapping) => async (record: unknown) => {
    const body = JSON.stringify(record);
    if (mapping.onFailure?.type === 'AWS::SQS::Queue') queues.send(mapping.onFailure.logicalId, body);
    else if (mapping.onFailure?.type === 'AWS::SNS::Topic')
      options.publish({ topicArn: mapping.onFailure.logicalId, subject: 'Lambda on-failure', message: body });
    else options.log(`kinesis ${mapping.streamLogicalId}: batch discarded (the mapping has no on-failure destination)`);
  };

  return {
    kinesis,
    queues,
    streams,
    functionEnvironment(functionLogicalId, environment) {
      if (!kinesis) return {};
      const local: Record<string, string> = {
        AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
        AWS_ENDPOINT_URL_SQS: options.awsEndpoint,
      };
      // The synthesized queue URL is a placeholder (the queue's logical id): point it at the local queue.
      const queueUrl = environment[STREAM_SCORER_ENV.deadLetterQueueUrl];
      if (queueUrl && queueNames.includes(queueUrl.split('/').pop()!))
        local[STREAM_SCORER_ENV.deadLetterQueueUrl] = queues.url(queueUrl.split('/').pop()!);
      return streams.some((stream) => stream.functionLogicalId === functionLogicalId) ? local : {};
    },
    async connect(functionOf) {
      if (!kinesis) return;
      for (const mapping of mappings) {
        const fn = functionOf(mapping.functionLogicalId);
        if (!fn)
          throw new Error(`event source mapping ${mapping.logicalId}: no local function ${mapping.functionLogicalId}`);
        sources.push(
          startKinesisEventSource({
            client: kinesis.client,
            mapping,
            streamName: mapping.streamLogicalId,
            streamArn: streamArn(mapping.streamLogicalId),
            functionArn: functionArn(mapping.functionLogicalId),
            region: LOCAL_REGION,
            fn,
            onFailure: onFailure(mapping),
            log: options.log,
          }),
        );
      }
      await Promise.all(sources.map((source) => source.ready));
    },
    idle: async () => {
      await Promise.all(sources.map((source) => source.idle()));
    },
    close: () => {
      closing ??= (async () => {
        await Promise.all(sources.map((source) => source.close()));
        await kinesis?.close();
      })();
      return closing;
    },
  };
}
