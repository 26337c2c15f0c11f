import { type Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import {
  Action,
  EcsEc2ContainerDefinition,
  EcsFargateContainerDefinition,
  EcsJobDefinition,
  type IEcsContainerDefinition,
  Reason,
  RetryStrategy,
} from 'aws-cdk-lib/aws-batch';
import { type ContainerImage, FargatePlatformVersion, LogDriver } from 'aws-cdk-lib/aws-ecs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TRAINER_EXIT } from '../core/workflow/contract';
import { acknowledgeWildcardResource } from './nag';

export interface ContainerJobDefinitionProps {
  /** The container image (lib/trainer-image.ts gives the trainer image both platform jobs share). */
  readonly image: ContainerImage;
  /** vCPUs of the container. */
  readonly vcpu: number;
  /** Memory of the container in MiB. */
  readonly memoryMiB: number;
  /** GPUs of the container. @default 0 - the job runs on Fargate with a public IP; more runs on EC2 */
  readonly gpu?: number;
  /** How long one attempt may run before Batch stops it (at least 1 minute). */
  readonly timeout: Duration;
  /** Attempts in total, counting retries of exit code 75 and Spot or host interruptions. @default 3 */
  readonly attempts?: number;
  /** Environment variables of the container. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Arguments of the image's entry point; `Ref::name` reads job parameter `name`. @default - the image's CMD */
  readonly command?: readonly string[];
  /** Defaults of the job parameters a submission may override. @default - none */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Prefix of the container's log streams in the log group. */
  readonly logStreamPrefix: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Description of the job role (what the job's own code may do). */
  readonly jobRoleDescription: string;
  /** Description of the execution role (what ECS does to start the container). */
  readonly executionRoleDescription: string;
}

/** The most attempts AWS Batch allows a job (RetryStrategy.Attempts is 1 to 10). */
const MAX_ATTEMPTS = 10;
/** AWS Batch stops no job attempt sooner than after 60 seconds. */
const MIN_TIMEOUT_SECONDS = 60;

/**
 * Status reasons AWS Batch reports when capacity is taken back under a job: an EC2 host
 * terminated (EC2 Spot or GPU instances) and a Fargate Spot task interrupted.
 */
const INTERRUPTION_STATUS_REASONS = ['Host EC2*', 'Your Spot Task was interrupted*'];

/**
 * One AWS Batch job definition of a container, with what it needs to run: a job role (callers
 * grant it the data the job reads and writes), an execution role that pulls the image and writes
 * the logs, a log group, and the platform's retry policy: retry exit code 75 (TRAINER_EXIT.retryable)
 * and Spot or host interruptions, exit on anything else. The training and batch-scoring jobs both
 * use it, so their retry policies cannot drift apart.
 *
 * Give it the id `Default` to keep the logical ids its parent had when the parent created these
 * resources itself: CDK leaves a `Default` path segment out of logical ids.
 */
export class ContainerJobDefinition extends Construct {
  public readonly jobDefinition: EcsJobDefinition;
  public readonly container: IEcsContainerDefinition;
  public readonly jobRole: Role;
  public readonly executionRole: Role;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ContainerJobDefinitionProps) {
    super(scope, id);
    const attempts = props.attempts ?? 3;
    const gpu = props.gpu ?? 0;
    if (!Number.isInteger(attempts)) {
      throw new Error(`attempts must be a whole number, received ${attempts}: pass 1 to ${MAX_ATTEMPTS} (default 3)`);
    }
    if (attempts < 1 || attempts > MAX_ATTEMPTS) {
      throw new Error(
        `attempts must be between 1 and ${MAX_ATTEMPTS} (AWS Batch), received ${attempts}: pass 1 to ${MAX_ATTEMPTS} (default 3)`,
      );
    }
    const timeoutSeconds = props.timeout.toSeconds();
    if (timeoutSeconds < MIN_TIMEOUT_SECONDS) {
      throw new Error(
        `timeout must be at least 60 seconds (AWS Batch), received ${timeoutSeconds} seconds: pass Duration.minutes(1) or more`,
      );
    }
    if (!Number.isInteger(gpu) || gpu < 0) {
      throw new Error(
        `gpu must be a whole number of 0 or more, received ${gpu}: pass 0 for Fargate or 1 or more for EC2`,
      );
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.jobRole = new Role(this, 'JobRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: props.jobRoleDescription,
    });
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: props.executionRoleDescription,
    });
    acknowledgeWildcardResource(
      this.executionRole,
      '*',
      'ecr:GetAuthorizationToken does not support resource-level permissions: AWS requires Resource "*" to pull the image.',
    );

    const containerProps = {
      image: props.image,
      cpu: props.vcpu,
      memory: Size.mebibytes(props.memoryMiB),
      ...(props.command ? { command: [...props.command] } : {}),
      environment: { ...props.environment },
      jobRole: this.jobRole,
      executionRole: this.executionRole,
      logging: LogDriver.awsLogs({ streamPrefix: props.logStreamPrefix, logGroup: this.logGroup }),
    };
    this.container =
      gpu > 0
        ? new EcsEc2ContainerDefinition(this, 'Container', { ...containerProps, gpu })
        : new EcsFargateContainerDefinition(this, 'Container', {
            ...containerProps,
            // Public subnets without a NAT gateway: the task reaches S3 and ECR through its public IP.
            assignPublicIp: true,
            fargatePlatformVersion: FargatePlatformVersion.LATEST,
          });

    this.jobDefinition = new EcsJobDefinition(this, 'JobDefinition', {
      container: this.container,
      timeout: props.timeout,
      retryAttempts: attempts,
      ...(props.parameters ? { parameters: { ...props.parameters } } : {}),
      retryStrategies: [
        RetryStrategy.of(Action.RETRY, Reason.custom({ onExitCode: String(TRAINER_EXIT.retryable) })),
        ...INTERRUPTION_STATUS_REASONS.map((onStatusReason) =>
          RetryStrategy.of(Action.RETRY, Reason.custom({ onStatusReason })),
        ),
        RetryStrategy.of(Action.EXIT, Reason.custom({ onReason: '*' })),
      ],
    });
  }
}
