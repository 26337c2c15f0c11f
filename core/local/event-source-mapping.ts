import * as z from 'zod';

/**
 * The Kinesis event source mappings of a synthesized template, and the retry rules a local poller
 * follows for them. Pure: no clients, no clock; local/kinesis-event-source.ts does the I/O.
 *
 * Retry rules (Lambda's, as documented for Kinesis with these settings):
 * - A batch the function handles without error is checkpointed past its last record.
 * - With ReportBatchItemFailures, a response naming records checkpoints before the lowest one named
 *   and retries from there; a response naming a record the batch does not hold counts as a
 *   failure of the whole batch.
 * - A function error retries the batch; with BisectBatchOnFunctionError a batch of two or more
 *   records is split in two halves first, retried in order.
 * - Every retry counts one attempt against the records it carries. AWS does not document whether
 *   a bisection also counts; here it does, so a poison record reaches the on-failure destination
 *   after at most MaximumRetryAttempts + 1 invocations that hold it.
 * - Past MaximumRetryAttempts (-1: never) the batch's metadata goes to the on-failure
 *   destination and the shard moves on.
 */

/** Reference to another resource of the template (Ref or Fn::GetAtt), by logical id. */
const referenceSchema = z.union([
  z.object({ Ref: z.string() }).transform((value) => value.Ref),
  z.object({ 'Fn::GetAtt': z.union([z.tuple([z.string(), z.string()]), z.string()]) }).transform((value) => {
    const target = value['Fn::GetAtt'];
    return Array.isArray(target) ? target[0] : target.split('.')[0]!;
  }),
]);

const mappingPropertiesSchema = z.object({
  EventSourceArn: referenceSchema,
  FunctionName: referenceSchema,
  BatchSize: z.number().int().min(1).default(100),
  MaximumBatchingWindowInSeconds: z.number().int().min(0).default(0),
  BisectBatchOnFunctionError: z.boolean().default(false),
  MaximumRetryAttempts: z.number().int().min(-1).default(-1),
  StartingPosition: z.enum(['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP']),
  FunctionResponseTypes: z.array(z.string()).default([]),
  DestinationConfig: z.object({ OnFailure: z.object({ Destination: referenceSchema }).optional() }).optional(),
});

export const KinesisEventSourceMappingSchema = z.object({
  logicalId: z.string(),
  streamLogicalId: z.string(),
  functionLogicalId: z.string(),
  batchSize: z.number().int().min(1),
  maxBatchingWindowSeconds: z.number().int().min(0),
  bisectOnFunctionError: z.boolean(),
  /** -1: retry until the records expire. */
  maxRetryAttempts: z.number().int().min(-1),
  startingPosition: z.enum(['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP']),
  reportBatchItemFailures: z.boolean(),
  onFailure: z.object({ logicalId: z.string(), type: z.enum(['AWS::SQS::Queue', 'AWS::SNS::Topic']) }).optional(),
});
export type KinesisEventSourceMapping = z.infer<typeof KinesisEventSourceMappingSchema>;

export interface KinesisStreamResource {
  readonly logicalId: string;
  readonly shardCount: number;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function resourcesOf(template: Record<string, unknown>): Resources {
  return (template.Resources ?? {}) as Resources;
}

/** The template's Kinesis streams with their shard counts (on-demand streams count as one shard locally). */
export function kinesisStreams(template: Record<string, unknown>): KinesisStreamResource[] {
  return Object.entries(resourcesOf(template))
    .filter(([, resource]) => resource.Type === 'AWS::Kinesis::Stream')
    .map(([logicalId, resource]) => ({
      logicalId,
      shardCount: typeof resource.Properties?.ShardCount === 'number' ? resource.Properties.ShardCount : 1,
    }));
}

/** Every event source mapping whose source is one of the template's Kinesis streams. */
export function kinesisEventSourceMappings(template: Record<string, unknown>): KinesisEventSourceMapping[] {
  const resources = resourcesOf(template);
  const mappings: KinesisEventSourceMapping[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const source = referenceSchema.safeParse(resource.Properties?.EventSourceArn);
    if (!source.success || resources[source.data]?.Type !== 'AWS::Kinesis::Stream') continue;
    const parsed = mappingPropertiesSchema.safeParse(resource.Properties ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`event source mapping ${logicalId}: ${issue.path.join('.')} ${issue.message}`);
    }
    const properties = parsed.data;
    const destination = properties.DestinationConfig?.OnFailure?.Destination;
    const destinationType = destination === undefined ? undefined : resources[destination]?.Type;
    if (destination !== undefined && destinationType !== 'AWS::SQS::Queue' && destinationType !== 'AWS::SNS::Topic') {
      throw new Error(
        `event source mapping ${logicalId}: on-failure destination ${destination} is a ${destinationType ?? 'missing resource'}; an SQS queue or SNS topic is expected`,
      );
    }
    mappings.push({
      logicalId,
      streamLogicalId: properties.EventSourceArn,
      functionLogicalId: properties.FunctionName,
      batchSize: properties.BatchSize,
      maxBatchingWindowSeconds: properties.MaximumBatchingWindowInSeconds,
      bisectOnFunctionError: properties.BisectBatchOnFunctionError,
      maxRetryAttempts: properties.MaximumRetryAttempts,
      startingPosition: properties.StartingPosition,
      reportBatchItemFailures: properties.FunctionResponseTypes.includes('ReportBatchItemFailures'),
      ...(destination !== undefined
        ? { onFailure: { logicalId: destination, type: destinationType as 'AWS::SQS::Queue' | 'AWS::SNS::Topic' } }
        : {}),
    });
  }
  return mappings;
}

/** A batch waiting to be delivered: its records (by sequence number, in shard order) and the attempts spent on them. */
export interface PendingBatch {
  readonly sequenceNumbers: readonly string[];
  readonly attempts: number;
}

/** What the function did with a batch. */
export type InvokeOutcome =
  | { readonly kind: 'function-error' }
  | { readonly kind: 'ok'; readonly batchItemFailures?: ReadonlyArray<{ readonly itemIdentifier?: string }> };

/** What the poller does next with the records of one delivered batch. */
export interface BatchPlan {
  /** Records done with: the shard's checkpoint moves past the last of these. */
  readonly completed: readonly string[];
  /** Batches to deliver next, in order, before any newer record of the shard. */
  readonly retry: readonly PendingBatch[];
  /** A batch whose retries are exhausted: its metadata goes to the on-failure destination. */
  readonly discarded?: PendingBatch;
}

type RetrySettings = Pick<
  KinesisEventSourceMapping,
  'bisectOnFunctionError' | 'maxRetryAttempts' | 'reportBatchItemFailures'
>;

/** Splits fetched records into batches of at most `batchSize`, in order. */
export function batchesOf(sequenceNumbers: readonly string[], batchSize: number): PendingBatch[] {
  const batches: PendingBatch[] = [];
  for (let start = 0; start < sequenceNumbers.length; start += batchSize)
    batches.push({ sequenceNumbers: sequenceNumbers.slice(start, start + batchSize), attempts: 0 });
  return batches;
}

/** Applies the retry rules above to one delivered batch and what the function did with it. */
export function planAfterInvoke(batch: PendingBatch, outcome: InvokeOutcome, settings: RetrySettings): BatchPlan {
  const records = batch.sequenceNumbers;
  let failedFrom = -1;
  let functionError = outcome.kind === 'function-error';
  if (outcome.kind === 'ok' && settings.reportBatchItemFailures) {
    const named = (outcome.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    if (named.length > 0) {
      const positions = named.map((identifier) => (identifier ? records.indexOf(identifier) : -1));
      // A failure naming no record of the batch fails the whole batch, as Lambda treats it.
      if (positions.includes(-1)) functionError = true;
      else failedFrom = Math.min(...positions);
    }
  }
  if (!functionError && failedFrom === -1) return { completed: records, retry: [] };
  const completed = functionError ? [] : records.slice(0, failedFrom);
  const remaining = functionError ? records : records.slice(failedFrom);
  const attempts = batch.attempts + 1;
  const exhausted = settings.maxRetryAttempts !== -1 && attempts > settings.maxRetryAttempts;
  if (exhausted) return { completed, retry: [], discarded: { sequenceNumbers: remaining, attempts: batch.attempts } };
  if (functionError && settings.bisectOnFunctionError && remaining.length > 1) {
    const half = Math.ceil(remaining.length / 2);
    return {
      completed,
      retry: [
        { sequenceNumbers: remaining.slice(0, half), attempts },
        { sequenceNumbers: remaining.slice(half), attempts },
      ],
    };
  }
  return { completed, retry: [{ sequenceNumbers: remaining, attempts }] };
}

/** The message Lambda sends to a Kinesis mapping's on-failure destination (no record data: positions only). */
export interface KinesisFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

export function kinesisFailureRecord(input: {
  requestId: string;
  functionArn: string;
  streamArn: string;
  shardId: string;
  discarded: PendingBatch;
  lastOutcome: InvokeOutcome;
  arrivals: readonly Date[];
  now: Date;
}): KinesisFailureRecord {
  const { discarded, arrivals } = input;
  return {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: discarded.attempts + 1,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.lastOutcome.kind === 'function-error' ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: input.now.toISOString(),
    KinesisBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: discarded.sequenceNumbers[0]!,
      endSequenceNumber: discarded.sequenceNumbers[discarded.sequenceNumbers.length - 1]!,
      approximateArrivalOfFirstRecord: (arrivals[0] ?? input.now).toISOString(),
      approximateArrivalOfLastRecord: (arrivals[arrivals.length - 1] ?? input.now).toISOString(),
      batchSize: discarded.sequenceNumbers.length,
      streamArn: input.streamArn,
    },
  };
}
