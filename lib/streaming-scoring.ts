import { Duration, Validations } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FeatureViewConfig } from '../core/config/feature-view-schema';
import { modelConfigToEnv, RUNTIME_ENV } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { predictionsPrefix } from '../core/ground-truth/layout';
import { registryPrefix } from '../core/workflow/layout';
import { STREAM_SCORER_ENV } from '../lambdas/stream-scorer/config';
import type { DataLake } from './data-lake';
import {
  type FeatureTable,
  featureViewEnvironment,
  featureViewReaderFor,
  grantFeatureViewRead,
} from './feature-view-access';
import { MlopsFunction } from './mlops-function';

export interface StreamingScoringProps {
  /** The model to score with; its `streaming` section must be set. */
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default Duration.seconds(60) */
  readonly functionTimeout?: Duration;
  /** The online feature store's table, used for a model with a featureView (BatchGetItem on its view's keys only). @default - none; required for a model with a featureView */
  readonly featureTable?: FeatureTable;
  /** The model's feature view (featureViewOf(config, model)). @default - none; required for a model with a featureView */
  readonly featureView?: FeatureViewConfig;
}

/**
 * Streaming scoring for one model: an encrypted Kinesis input stream, the stream-scorer function
 * on an event source mapping (partial batch responses, bisect on error, bounded retries, an SQS
 * on-failure destination), an encrypted output stream that receives one result per scored record,
 * and the SQS dead-letter queue that also receives bad records from the function itself.
 */
export class StreamingScoring extends Construct {
  public readonly inputStream: Stream;
  public readonly outputStream: Stream;
  public readonly deadLetterQueue: Queue;
  public readonly function: MlopsFunction;

  constructor(scope: Construct, id: string, props: StreamingScoringProps) {
    super(scope, id);
    const { model, dataLake } = props;
    const settings = model.streaming;
    if (!settings)
      throw new Error(`StreamingScoring needs models[${model.name}].streaming in the config; received none`);
    const timeout = props.functionTimeout ?? Duration.seconds(60);
    const reader = featureViewReaderFor(model, props.featureTable, props.featureView);

    const streamProps = {
      streamMode: StreamMode.PROVISIONED,
      shardCount: settings.shardCount,
      retentionPeriod: Duration.hours(settings.retentionHours),
      encryption: StreamEncryption.MANAGED,
    };
    this.inputStream = new Stream(this, 'Input', streamProps);
    this.outputStream = new Stream(this, 'Output', streamProps);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the stream scorer (bad records, and batches that ran out of retries); a queue behind it would only move the same messages.',
    });

    this.function = new MlopsFunction(this, 'Function', {
      kind: 'stream-scorer',
      description: `Scores ${model.name} records from its Kinesis stream`,
      memorySize: 1024,
      timeout,
      logRetention: props.logRetention,
      environment: {
        [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
        [STREAM_SCORER_ENV.outputStream]: this.outputStream.streamName,
        [STREAM_SCORER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        ...(reader ? featureViewEnvironment(reader.table, reader.view) : {}),
      },
    });
    if (reader) grantFeatureViewRead(this.function.role, reader.table, reader.view.name);
    this.function.useZone(
      'artifacts',
      dataLake.artifacts,
      registryPrefix(model.name),
      'read',
      `The stream scorer resolves the production alias of ${model.name} and loads that version's artifact under ${registryPrefix(model.name)}.`,
    );
    if (model.predictions.log) {
      this.function.useZone(
        'monitoring',
        dataLake.monitoring,
        predictionsPrefix(model.name),
        'write',
        `Records each scored batch's predictions as a new object under ${predictionsPrefix(model.name)}dt=<day>/hour=<hour>/, named at run time.`,
      );
    }
    this.outputStream.grantWrite(this.function.role);
    this.deadLetterQueue.grantSendMessages(this.function.role);
    this.function.function.addEventSource(
      new KinesisEventSource(this.inputStream, {
        startingPosition: StartingPosition.LATEST,
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: settings.maxRetries,
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );
  }
}
