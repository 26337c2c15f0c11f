import { Duration, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RUNTIME_ENV } from '../core/config/runtime-env';
import { rawPrefix, triggerPrefix, ZONE_ENV } from '../core/workflow/layout';
import { MlopsFunction } from './mlops-function';

/** One model the trigger starts. */
export interface TriggeredWorkflow {
  readonly model: string;
  readonly stateMachine: IStateMachine;
  /** Uploads under the model's raw prefix start a run. */
  readonly onUpload: boolean;
}

export interface RetrainTriggerProps {
  readonly rawBucket: IBucket;
  /** The retrain trigger keeps its pending-upload markers, manifests and per-model lease under `triggers/<model>/` here. */
  readonly artifactsBucket: IBucket;
  readonly workflows: readonly TriggeredWorkflow[];
  /** Messages are gathered this long before the trigger runs, so a burst becomes one batch. @default Duration.seconds(60) */
  readonly maxBatchingWindow?: Duration;
  /** @default 100 */
  readonly batchSize?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Reserved concurrency of the trigger function. Not needed for correctness: a per-model lease in S3
   * serializes invocations. A new account's Lambda quota is often 10 (or 50) and Lambda keeps a minimum
   * unreserved pool, so any reservation can fail the first deploy; set it only where the quota allows.
   * @default - none (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
}

/**
 * Turns uploads into retraining runs, one run per burst: S3 "Object Created" events of the raw
 * bucket (under each model's prefix) and the workflows' "Execution Status Change" events go
 * through EventBridge into one encrypted, TLS-only SQS queue (with a dead-letter queue); the
 * retrain-trigger function reads it in batches of up to 100 gathered for up to 60 s, starts a
 * run per model, and starts a follow-up run when uploads arrived during a run.
 */
export class RetrainTrigger extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly function: MlopsFunction;

  constructor(scope: Construct, id: string, props: RetrainTriggerProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? 100;
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(60);
    if (batchSize < 1 || batchSize > 10000) throw new Error(`batchSize must be 1 to 10000, received ${batchSize}`);
    if (props.workflows.length === 0)
      throw new Error('RetrainTrigger needs at least one workflow: pass the models it starts');
    const functionTimeout = Duration.seconds(60);

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Events', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance: at least six times the function timeout plus the batching window.
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6 + maxBatchingWindow.toSeconds()),
      // Batches whose model is leased by another invocation come back after the visibility timeout: allow several receives.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 10 },
    });

    const uploading = props.workflows.filter((workflow) => workflow.onUpload);
    if (uploading.length > 0) {
      new Rule(this, 'UploadRule', {
        description: 'Uploads under a model prefix of the raw zone',
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [props.rawBucket.bucketName] },
            object: { key: uploading.map((workflow) => ({ prefix: rawPrefix(workflow.model) })) },
          },
        },
        targets: [new SqsQueue(this.queue)],
      });
    }
    new Rule(this, 'RunEndedRule', {
      description: 'A retraining run ended: uploads that arrived meanwhile start a follow-up run',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: props.workflows.map((workflow) => workflow.stateMachine.stateMachineArn),
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      targets: [new SqsQueue(this.queue)],
    });

    this.function = new MlopsFunction(this, 'Function', {
      kind: 'retrain-trigger',
      description: 'Starts one retraining run per burst of uploads',
      timeout: functionTimeout,
      memorySize: 256,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logRetention: props.logRetention,
      environment: {
        [RUNTIME_ENV.stateMachines]: Stack.of(this).toJsonString(
          Object.fromEntries(
            props.workflows.map((workflow) => [workflow.model, workflow.stateMachine.stateMachineArn]),
          ),
        ),
      },
    });
    for (const workflow of props.workflows) {
      const own = triggerPrefix(workflow.model);
      this.function.useZone(
        'artifacts',
        props.artifactsBucket,
        own,
        'read-write-delete',
        `Keeps its per-model lease, pending-upload markers and trigger manifests under ${own}; deletes a marker once a follow-up run consumed it.`,
      );
    }
    // Only to ignore events of other buckets: the trigger never reads the raw zone.
    this.function.addEnvironment(ZONE_ENV.raw, props.rawBucket.bucketName);
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution', 'states:ListExecutions'],
        resources: props.workflows.map((workflow) => workflow.stateMachine.stateMachineArn),
      }),
    );
    this.function.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow,
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );
  }
}
