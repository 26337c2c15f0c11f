import type { KinesisStreamRecord } from 'aws-lambda';

/**
 * Kinesis-shaped events built in memory, for tests and benchmarks that invoke the stream scorer
 * directly. The local platform does not use them: records reach the function through the local
 * Kinesis and its event source mapping (local/streaming.ts).
 */

/** The stream scorer's `s3` sinks (results and dead letters as JSON lines in the monitoring zone), for a function hosted without Kinesis. */
export const STREAM_SCORER_LOCAL_ENVIRONMENT: Readonly<Record<string, string>> = { MLOPS_STREAM_SINK: 's3' };

export interface KinesisRecordOptions {
  readonly model: string;
  /** @default 'shardId-000000000000' */
  readonly shardId?: string;
  /** @default - a fresh key per record (`local-<sequence>`) */
  readonly partitionKey?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
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
export function kinesisRecords(data: readonly string[], options: KinesisRecordOptions): KinesisStreamRecord[] {
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
