import { Duration } from 'aws-cdk-lib';
import type { EcsJobDefinition, IJobQueue } from 'aws-cdk-lib/aws-batch';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { modelConfigToEnv, RUNTIME_ENV, trainerParamsFor } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { TRAINER_ENV } from '../core/workflow/contract';
import { candidateArtifactKey, ZONE_ENV } from '../core/workflow/layout';
import { ContainerJobDefinition } from './batch-job-definition';
import type { DataLake } from './data-lake';
import { grantObjects } from './grants';
import { trainerContainerImage } from './trainer-image';

export interface TrainingJobProps {
  /** The model this job trains. */
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /** The queue of the capacity the model asks for (see Training.queueFor). */
  readonly jobQueue: IJobQueue;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Attempts in total, counting retries of exit code 75 and Spot or host interruptions. @default 3 */
  readonly attempts?: number;
}

/**
 * One model's AWS Batch training job: the trainer image (containers/trainer, or the model's own
 * image folder) built from a DockerImageAsset at deploy time, the trainer contract's environment,
 * a job role that reads the model's curated data and writes its run outputs, a timeout, and the
 * platform's retry policy (ContainerJobDefinition).
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
    this.jobQueue = props.jobQueue;
    this.environment = {
      [TRAINER_ENV.model]: model.name,
      [TRAINER_ENV.target]: model.target,
      ...(model.positiveLabel === undefined ? {} : { [TRAINER_ENV.positiveLabel]: model.positiveLabel }),
      [TRAINER_ENV.params]: JSON.stringify(trainerParamsFor(model)),
      [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
      [ZONE_ENV.curated]: dataLake.curated.bucketName,
      [ZONE_ENV.artifacts]: dataLake.artifacts.bucketName,
    };

    // 'Default' keeps the logical ids of the roles, log group and job definition this construct
    // created itself before ContainerJobDefinition existed (docs/deploy.md, "Updating a deployed stack").
    const job = new ContainerJobDefinition(this, 'Default', {
      image: trainerContainerImage(model.training.image),
      vcpu: model.training.vcpu,
      memoryMiB: model.training.memoryMiB,
      gpu: model.training.gpu,
      timeout: Duration.minutes(model.training.timeoutMinutes),
      attempts: props.attempts,
      environment: this.environment,
      logStreamPrefix: model.name,
      logRetention: props.logRetention,
      jobRoleDescription: `Training job of ${model.name}`,
      executionRoleDescription: `Pulls the training image and writes the logs of ${model.name}`,
    });
    this.jobDefinition = job.jobDefinition;
    this.jobRole = job.jobRole;
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
  }

  /** Where a run's outputs go: the folder of the candidate artifact (TRAINER_OUTPUTS names the files in it). */
  public static outputPrefix(model: string, runId: string): string {
    const artifactKey = candidateArtifactKey(model, runId);
    return artifactKey.slice(0, artifactKey.lastIndexOf('/') + 1);
  }
}
