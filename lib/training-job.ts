import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import {
  Action,
  EcsEc2ContainerDefinition,
  EcsFargateContainerDefinition,
  EcsJobDefinition,
  type IJobQueue,
  Reason,
  RetryStrategy,
} from 'aws-cdk-lib/aws-batch';
import { FargatePlatformVersion, LogDriver } from 'aws-cdk-lib/aws-ecs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { modelConfigToEnv, RUNTIME_ENV, trainerParamsFor } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { TRAINER_ENV, TRAINER_EXIT } from '../core/workflow/contract';
import { candidateArtifactKey, ZONE_ENV } from '../core/workflow/layout';
import type { DataLake } from './data-lake';
import { grantObjects } from './grants';
import { acknowledgeWildcardResource } from './nag';
import { trainerContainerImage } from './trainer-image';

export interface TrainingJobProps {
  /** The model this job trains. */
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /** The queue of the capacity the model asks for (see Training.queueFor). */
  readonly jobQueue: IJobQueue;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Attempts in total, counting retries of exit code 75 and Spot interruptions. @default 3 */
  readonly attempts?: number;
}

/** Status reasons AWS Batch reports when Spot capacity is taken back (EC2 Spot and Fargate Spot). */
const SPOT_INTERRUPTION_REASONS = ['Host EC2*', 'Your Spot Task was interrupted*'];

/**
 * One model's AWS Batch job definition: the trainer image (containers/trainer, or the model's own
 * image folder) built from a DockerImageAsset at deploy time, the trainer contract's environment,
 * a job role that reads the model's curated data and writes its run outputs, a timeout, and a
 * retry strategy that retries exit code 75 and Spot interruptions and nothing else.
 */
export class TrainingJob extends Construct {
  public readonly jobDefinition: EcsJobDefinition;
  public readonly jobQueue: IJobQueue;
  public readonly jobRole: Role;
  /** The container environment set on the job definition (run-specific values come from the state machine). */
  public readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    const { model, dataLake } = props;
    const attempts = props.attempts ?? 3;
    if (attempts < 1 || attempts > 10)
      throw new Error(`attempts must be between 1 and 10 (AWS Batch), received ${attempts}`);
    this.jobQueue = props.jobQueue;

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.jobRole = new Role(this, 'JobRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Training job of ${model.name}`,
    });
    grantObjects(
      this.jobRole,
      dataLake.curated,
      `${model.name}/`,
      'read',
      `The trainer reads the curated snapshot a run names; snapshots are content-addressed keys under ${model.name}/.`,
    );
    // IAM cannot know the run id at deploy time: the job may write the trainer output folder of any of
    // its model's runs and nothing else (not run records, not the trigger's objects).
    const outputs = TrainingJob.outputPrefix(model.name, '*');
    grantObjects(
      this.jobRole,
      dataLake.artifacts,
      outputs,
      'write',
      `The trainer writes a run's model, metrics and profile under ${outputs}; the run id is known only at run time.`,
    );
    const executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Pulls the training image and writes the logs of ${model.name}`,
    });
    acknowledgeWildcardResource(
      executionRole,
      '*',
      'ecr:GetAuthorizationToken does not support resource-level permissions: AWS requires Resource "*" to pull the image.',
    );

    this.environment = {
      [TRAINER_ENV.model]: model.name,
      [TRAINER_ENV.target]: model.target,
      ...(model.positiveLabel === undefined ? {} : { [TRAINER_ENV.positiveLabel]: model.positiveLabel }),
      [TRAINER_ENV.params]: JSON.stringify(trainerParamsFor(model)),
      [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
      [ZONE_ENV.curated]: dataLake.curated.bucketName,
      [ZONE_ENV.artifacts]: dataLake.artifacts.bucketName,
    };

    const image = trainerContainerImage(model.training.image);
    const containerProps = {
      image,
      cpu: model.training.vcpu,
      memory: Size.mebibytes(model.training.memoryMiB),
      environment: this.environment,
      jobRole: this.jobRole,
      executionRole,
      logging: LogDriver.awsLogs({ streamPrefix: model.name, logGroup }),
    };
    const container =
      model.training.gpu > 0
        ? new EcsEc2ContainerDefinition(this, 'Container', { ...containerProps, gpu: model.training.gpu })
        : new EcsFargateContainerDefinition(this, 'Container', {
            ...containerProps,
            // Public subnets without a NAT gateway: the task reaches S3 and ECR through its public IP.
            assignPublicIp: true,
            fargatePlatformVersion: FargatePlatformVersion.LATEST,
          });

    this.jobDefinition = new EcsJobDefinition(this, 'JobDefinition', {
      container,
      timeout: Duration.minutes(model.training.timeoutMinutes),
      retryAttempts: attempts,
      retryStrategies: [
        RetryStrategy.of(Action.RETRY, Reason.custom({ onExitCode: String(TRAINER_EXIT.retryable) })),
        ...SPOT_INTERRUPTION_REASONS.map((onStatusReason) =>
          RetryStrategy.of(Action.RETRY, Reason.custom({ onStatusReason })),
        ),
        RetryStrategy.of(Action.EXIT, Reason.custom({ onReason: '*' })),
      ],
    });
  }

  /** Where a run's outputs go: the folder of the candidate artifact (TRAINER_OUTPUTS names the files in it). */
  public static outputPrefix(model: string, runId: string): string {
    const artifactKey = candidateArtifactKey(model, runId);
    return artifactKey.slice(0, artifactKey.lastIndexOf('/') + 1);
  }
}
