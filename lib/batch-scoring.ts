import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import {
  Action,
  EcsFargateContainerDefinition,
  EcsJobDefinition,
  type IJobQueue,
  Reason,
  RetryStrategy,
} from 'aws-cdk-lib/aws-batch';
import { FargatePlatformVersion, LogDriver } from 'aws-cdk-lib/aws-ecs';
import { EventField, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { BatchJob } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { modelConfigToEnv, RUNTIME_ENV } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { scoreInputPrefix, scoreOutputPrefix } from '../core/score/shards';
import { TRAINER_EXIT } from '../core/workflow/contract';
import { registryPrefix, ZONE_ENV } from '../core/workflow/layout';
import type { DataLake } from './data-lake';
import { grantObjects } from './grants';
import { acknowledgeWildcardResource } from './nag';
import { trainerContainerImage } from './trainer-image';

export interface BatchScoringProps {
  /** The model to score with; its `batchScoring` section must be set. */
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /** A Fargate queue of the shared training compute (Training.queueFor). */
  readonly jobQueue: IJobQueue;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Attempts per shard in total, counting retries of exit code 75 and Spot interruptions. @default 3 */
  readonly attempts?: number;
}

/** Status reasons AWS Batch reports when Fargate Spot capacity is taken back. */
const SPOT_INTERRUPTION_REASON = 'Your Spot Task was interrupted*';

/**
 * One model's batch-scoring job on AWS Batch: `mlops score` in the trainer image, reading files
 * under `<model>/score/input/` of the curated zone and writing scored files, error files and
 * per-shard manifests under `<model>/score/output/` (core/score/shards.ts). Started on the
 * config's schedule (an array job of `shards` children), for each upload under the input prefix
 * (one plain job over the uploaded object), or by hand (`mlops score submit`). Job parameters
 * `input`, `out` and `shards` default to the prefixes above and the configured shard count.
 */
export class BatchScoring extends Construct {
  public readonly jobDefinition: EcsJobDefinition;
  public readonly jobQueue: IJobQueue;
  public readonly jobRole: Role;
  public readonly scheduleRule?: Rule;
  public readonly uploadRule?: Rule;
  private readonly modelName: string;

  constructor(scope: Construct, id: string, props: BatchScoringProps) {
    super(scope, id);
    const { model, dataLake } = props;
    const settings = model.batchScoring;
    if (!settings) {
      throw new Error(`BatchScoring needs models[${model.name}].batchScoring in the config; received none`);
    }
    const attempts = props.attempts ?? 3;
    if (attempts < 1 || attempts > 10)
      throw new Error(`attempts must be between 1 and 10 (AWS Batch), received ${attempts}`);
    this.jobQueue = props.jobQueue;
    this.modelName = model.name;

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.jobRole = new Role(this, 'JobRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Batch scoring job of ${model.name}`,
    });
    grantObjects(
      this.jobRole,
      dataLake.curated,
      `${model.name}/score/`,
      'read-write',
      `The scorer reads any file uploaded under ${scoreInputPrefix(model.name)} and writes outputs named after them under ${scoreOutputPrefix(model.name)}.`,
    );
    grantObjects(
      this.jobRole,
      dataLake.artifacts,
      registryPrefix(model.name),
      'read',
      `The scorer resolves the production alias of ${model.name} and reads that version's artifact under ${registryPrefix(model.name)}.`,
    );
    const executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Pulls the scoring image and writes the logs of ${model.name}`,
    });
    acknowledgeWildcardResource(
      executionRole,
      '*',
      'ecr:GetAuthorizationToken does not support resource-level permissions: AWS requires Resource "*" to pull the image.',
    );

    const image = trainerContainerImage(model.training.image);
    const container = new EcsFargateContainerDefinition(this, 'Container', {
      image,
      cpu: settings.vcpu,
      memory: Size.mebibytes(settings.memoryMiB),
      // Arguments of the image's entry point (containers/trainer/main.ts); Ref:: values are the job parameters.
      command: [
        'score',
        '--model',
        model.name,
        '--input',
        'Ref::input',
        '--out',
        'Ref::out',
        '--shards',
        'Ref::shards',
        // Each upload rescores the whole input prefix and a retried shard rewrites its outputs.
        '--force',
      ],
      environment: {
        [ZONE_ENV.curated]: dataLake.curated.bucketName,
        [ZONE_ENV.artifacts]: dataLake.artifacts.bucketName,
        [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
      },
      jobRole: this.jobRole,
      executionRole,
      logging: LogDriver.awsLogs({ streamPrefix: `${model.name}-score`, logGroup }),
      assignPublicIp: true,
      fargatePlatformVersion: FargatePlatformVersion.LATEST,
    });
    this.jobDefinition = new EcsJobDefinition(this, 'JobDefinition', {
      container,
      timeout: Duration.minutes(settings.timeoutMinutes),
      retryAttempts: attempts,
      parameters: {
        input: `s3://${dataLake.curated.bucketName}/${scoreInputPrefix(model.name)}`,
        out: `s3://${dataLake.curated.bucketName}/${scoreOutputPrefix(model.name)}`,
        shards: String(settings.shards),
      },
      retryStrategies: [
        RetryStrategy.of(Action.RETRY, Reason.custom({ onExitCode: String(TRAINER_EXIT.retryable) })),
        RetryStrategy.of(Action.RETRY, Reason.custom({ onStatusReason: SPOT_INTERRUPTION_REASON })),
        RetryStrategy.of(Action.EXIT, Reason.custom({ onReason: '*' })),
      ],
    });

    if (settings.schedule) {
      this.scheduleRule = new Rule(this, 'Schedule', {
        description: `Batch scoring of ${model.name} over ${scoreInputPrefix(model.name)}`,
        schedule: Schedule.expression(settings.schedule),
        targets: [this.target(settings.shards > 1 ? settings.shards : undefined)],
      });
    }
    if (settings.onUpload) {
      // Turns on EventBridge notifications of the curated bucket (the raw bucket's handler already exists).
      dataLake.curated.enableEventBridgeNotification();
      this.uploadRule = new Rule(this, 'Upload', {
        description: `Scores each file uploaded under ${scoreInputPrefix(model.name)}`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [dataLake.curated.bucketName] },
            object: { key: [{ prefix: scoreInputPrefix(model.name) }] },
          },
        },
        targets: [
          this.target(undefined, {
            input: `s3://${EventField.fromPath('$.detail.bucket.name')}/${EventField.fromPath('$.detail.object.key')}`,
            shards: '1',
          }),
        ],
      });
    }
  }

  /** A Batch target; EventBridge passes the input object's fields as the job's parameters. */
  private target(size: number | undefined, parameters?: Record<string, string>): BatchJob {
    return new BatchJob(
      this.jobQueue.jobQueueArn,
      this.jobQueue,
      this.jobDefinition.jobDefinitionArn,
      this.jobDefinition,
      {
        jobName: `score-${this.modelName}`,
        size,
        ...(parameters ? { event: RuleTargetInput.fromObject(parameters) } : {}),
        retryAttempts: 2,
      },
    );
  }
}
