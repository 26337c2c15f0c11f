/** The stream scorer's own environment variables (beside MLOPS_MODEL_CONFIG and the zone buckets). No imports: the CDK app reads it. */
export const STREAM_SCORER_ENV = {
  /** Kinesis stream that receives one result record per scored input record. */
  outputStream: 'MLOPS_OUTPUT_STREAM_NAME',
  /** SQS queue URL for bad records (the event source mapping's on-failure queue). */
  deadLetterQueueUrl: 'MLOPS_DEAD_LETTER_QUEUE_URL',
  /** `aws` (Kinesis + SQS; on AWS and on the local platform) or `s3`: JSON lines under stream/<model>/ in the monitoring zone (a function hosted without Kinesis, as in tests). @default aws */
  sink: 'MLOPS_STREAM_SINK',
} as const;

/** The monitoring-zone prefix of the `s3` sink: results/ and dead-letters/ below it. */
export const streamSinkPrefix = (model: string): string => `stream/${model}/`;
