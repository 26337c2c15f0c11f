import { Duration } from 'aws-cdk-lib';
import type { EcsJobDefinition, IJobQueue } from 'aws-cdk-lib/aws-batch';
import { EventField, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { BatchJob } from 'aws-cdk-lib/aws-events-targets';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FeatureViewConfig } from '../core/config/feature-view-schema';
import { modelConfigToEnv, RUNTIME_ENV } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { predictionsPrefix } from '../core/ground-truth/layout';
import { registryPrefix, scoreInputPrefix, scoreOutputPrefix, ZONE_ENV } from '../core/workflow/layout';
import { ContainerJobDefinition } from './batch-job-definition';
import type { DataLake } from './data-lake';
import {
  type FeatureTable,
  featureViewEnvironment,
  featureViewReaderFor,
  grantFeatureViewRead,
} from './feature-view-access';
import { grantObjects } from './grants';
import { trainerContainerImage } from './trainer-image';

export interface BatchScoringProps {
  /** The model to score with; its `batchScoring` section must be set. */
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /** A Fargate queue of the shared training compute (Training.queueFor). */
  readonly jobQueue: IJobQueue;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Attempts per shard in total, counting retries of exit code 75 and Spot or host interruptions. @default 3 */
  readonly attempts?: number;
  /** The online feature store's table, used for a model with a featureView (BatchGetItem on its view's keys only). @default - none; required for a model with a featureView */
  readonly featureTable?: FeatureTable;
  /** The model's feature view (featureViewOf(config, model)). @default - none; required for a model with a featureView */
  readonly featureView?: FeatureViewConfig;
}

/**
 * One model's batch-scoring job on AWS Batch: `mlops score` in the trainer image, reading files
 * under `<model>/score/input/` of the curated zone and writing scored files, error files and
 * per-shard manifests under `<model>/score/output/` (core/score/shards.ts), and, with the
 * model's `predictions.log` on, recording every scored row under `predictions/<model>/` of the
 * monitoring zone for the ground-truth join (core/score/job.ts). Started on the
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
    this.jobQueue = props.jobQueue;
    this.modelName = model.name;
    const reader = featureViewReaderFor(model, props.featureTable, props.featureView);

    // 'Default' keeps the logical ids of the roles, log group and job definition this construct
    // created itself before ContainerJobDefinition existed (docs/deploy.md, "Updating a deployed stack").
    const job = new ContainerJobDefinition(this, 'Default', {
      image: trainerContainerImage(model.training.image),
      vcpu: settings.vcpu,
      memoryMiB: settings.memoryMiB,
      timeout: Duration.minutes(settings.timeoutMinutes),
      attempts: props.attempts,
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
      parameters: {
        input: `s3://${dataLake.curated.bucketName}/${scoreInputPrefix(model.name)}`,
        out: `s3://${dataLake.curated.bucketName}/${scoreOutputPrefix(model.name)}`,
        shards: String(settings.shards),
      },
      environment: {
        [ZONE_ENV.curated]: dataLake.curated.bucketName,
        [ZONE_ENV.artifacts]: dataLake.artifacts.bucketName,
        // The job reads predictions.log and predictions.idField from here.
        [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
        ...(model.predictions.log ? { [ZONE_ENV.monitoring]: dataLake.monitoring.bucketName } : {}),
        ...(reader ? featureViewEnvironment(reader.table, reader.view) : {}),
      },
      logStreamPrefix: `${model.name}-score`,
      logRetention: props.logRetention,
      jobRoleDescription: `Batch scoring job of ${model.name}`,
      executionRoleDescription: `Pulls the scoring image and writes the logs of ${model.name}`,
    });
    this.jobDefinition = job.jobDefinition;
    this.jobRole = job.jobRole;
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
    if (reader) grantFeatureViewRead(this.jobRole, reader.table, reader.view.name);
    if (model.predictions.log) {
      grantObjects(
        this.jobRole,
        dataLake.monitoring,
        predictionsPrefix(model.name),
        'write',
        `The scorer records the scored rows as new objects under ${predictionsPrefix(model.name)}dt=<day>/hour=<hour>/, named at run time.`,
      );
    }

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
