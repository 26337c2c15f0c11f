import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ModelConfig, PlatformConfig } from '../core/config/schema';
import { endpointUrlOutputKey, outputKey } from '../core/config/stack-outputs';
import { ZONES } from '../core/workflow/layout';
import { BatchScoring } from './batch-scoring';
import { PlatformDashboard } from './dashboard';
import { DataLake } from './data-lake';
import { DriftMonitor } from './drift-monitor';
import { FeatureStore } from './feature-store';
import { InferenceEndpoint } from './inference-endpoint';
import { QualityMonitor } from './quality-monitor';
import { RetrainTrigger } from './retrain-trigger';
import { RetrainingSteps } from './retraining-steps';
import { RetrainingWorkflow } from './retraining-workflow';
import { StreamingScoring } from './streaming-scoring';
import { Training } from './training';
import { TrainingJob } from './training-job';

export interface MlopsStackProps extends StackProps {
  /** The validated platform config (see core/config). */
  readonly config: PlatformConfig;
}

/** What the stack built for one model. */
export interface ModelResources {
  readonly model: ModelConfig;
  readonly steps: RetrainingSteps;
  readonly trainingJob: TrainingJob;
  readonly workflow: RetrainingWorkflow;
  readonly endpoint: InferenceEndpoint;
  readonly driftMonitor: DriftMonitor;
  readonly qualityMonitor: QualityMonitor;
  /** Set when the model's config has `batchScoring`. */
  readonly batchScoring?: BatchScoring;
  /** Set when the model's config has `streaming`. */
  readonly streamingScoring?: StreamingScoring;
}

/**
 * The whole platform for every model of the config: one data lake, one training compute, one
 * retrain trigger and one dashboard shared by all models; per model a training job, the
 * retraining workflow and its steps, an inference endpoint, a drift monitor and a quality monitor.
 * Only composes constructs; construct ids are stable (a model's resources live under its name).
 */
export class MlopsStack extends Stack {
  public readonly dataLake: DataLake;
  public readonly training: Training;
  public readonly trigger: RetrainTrigger;
  /** The online feature store; set when the config has featureViews. */
  public readonly featureStore?: FeatureStore;
  public readonly models: ReadonlyMap<string, ModelResources>;

  constructor(scope: Construct, id: string, props: MlopsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.dataLake = new DataLake(this, 'DataLake');
    this.training = new Training(this, 'Training', { flowLogBucket: this.dataLake.accessLogs });
    const dashboard = new PlatformDashboard(this, 'Dashboard');
    if (config.featureViews.length > 0) {
      this.featureStore = new FeatureStore(this, 'FeatureStore', {
        views: config.featureViews,
        dataLake: this.dataLake,
        jobQueue: this.training.queueFor({ gpu: 0, spot: false }),
        logRetention,
      });
      new CfnOutput(this, 'FeatureTableName', {
        value: this.featureStore.table.tableName,
        description: 'The online feature store (MLOPS_FEATURE_TABLE)',
      });
      new CfnOutput(this, 'FeatureBackfillJobQueue', {
        value: this.training.queueFor({ gpu: 0, spot: false }).jobQueueArn,
        description: 'AWS Batch queue of the feature backfill (MLOPS_FEATURE_JOB_QUEUE)',
      });
      new CfnOutput(this, 'FeatureBackfillJobDefinition', {
        value: this.featureStore.backfillJobDefinition.jobDefinitionArn,
        description: 'The feature backfill job definition (MLOPS_FEATURE_JOB_DEFINITION)',
      });
      new CfnOutput(this, 'FeatureViewAlertTopicArn', {
        value: this.featureStore.alertTopic.topicArn,
        description: 'SNS topic of feature view schema alerts (new or removed columns); subscribe to be told',
      });
    }

    const models = new Map<string, ModelResources>();
    for (const model of config.models) {
      const scope = new Construct(this, model.name);
      const trainingJob = new TrainingJob(scope, 'TrainingJob', {
        model,
        dataLake: this.dataLake,
        jobQueue: this.training.queueFor(model.training),
        logRetention,
      });
      const featureView = config.featureViews.find((view) => view.name === model.featureView);
      const steps = new RetrainingSteps(scope, 'Steps', {
        model,
        dataLake: this.dataLake,
        logRetention,
        ...(featureView ? { featureView } : {}),
      });
      const workflow = new RetrainingWorkflow(scope, 'Retraining', {
        model,
        dataLake: this.dataLake,
        trainingJob,
        validateFunction: steps.validate.function,
        adoptFunction: steps.adopt.function,
        evaluateFunction: steps.evaluate.function,
        registerFunction: steps.register.function,
        recordFailureFunction: steps.recordFailure.function,
        logRetention,
      });
      // A model with a view reads the online store; featureViewReaderFor checks both are given.
      const featureReader = featureView ? { featureTable: this.featureStore?.table, featureView } : {};
      const endpoint = new InferenceEndpoint(scope, 'Endpoint', {
        model,
        dataLake: this.dataLake,
        logRetention,
        ...featureReader,
      });
      const driftMonitor = new DriftMonitor(scope, 'DriftMonitor', {
        model,
        dataLake: this.dataLake,
        workflow: workflow.stateMachine,
        logRetention,
      });
      const qualityMonitor = new QualityMonitor(scope, 'QualityMonitor', {
        model,
        dataLake: this.dataLake,
        workflow: workflow.stateMachine,
        logRetention,
      });
      dashboard.addModel({ name: model.name, endpoint, workflow, driftMonitor, qualityMonitor });
      const batchScoring = model.batchScoring
        ? new BatchScoring(scope, 'BatchScoring', {
            model,
            dataLake: this.dataLake,
            jobQueue: this.training.queueFor({ gpu: 0, spot: model.batchScoring.spot }),
            logRetention,
            ...featureReader,
          })
        : undefined;
      const streamingScoring = model.streaming
        ? new StreamingScoring(scope, 'StreamingScoring', {
            model,
            dataLake: this.dataLake,
            logRetention,
            ...featureReader,
          })
        : undefined;
      models.set(model.name, {
        model,
        steps,
        trainingJob,
        workflow,
        endpoint,
        driftMonitor,
        qualityMonitor,
        batchScoring,
        streamingScoring,
      });

      const key = outputKey(model.name);
      new CfnOutput(this, endpointUrlOutputKey(model.name), {
        value: endpoint.url.url,
        description: `${model.name}: HTTPS endpoint`,
      });
      new CfnOutput(this, `${key}StateMachineArn`, {
        value: workflow.stateMachine.stateMachineArn,
        description: `${model.name}: retraining state machine`,
      });
      new CfnOutput(this, `${key}NotificationTopicArn`, {
        value: workflow.notificationTopic.topicArn,
        description: `${model.name}: retraining outcomes`,
      });
      new CfnOutput(this, `${key}DriftTopicArn`, {
        value: driftMonitor.alertTopic.topicArn,
        description: `${model.name}: drift alerts`,
      });
      new CfnOutput(this, `${key}QualityTopicArn`, {
        value: qualityMonitor.alertTopic.topicArn,
        description: `${model.name}: quality alerts`,
      });
      new CfnOutput(this, `${key}QualityMonitorFunction`, {
        value: qualityMonitor.function.function.functionName,
        description: `${model.name}: quality monitor (mlops quality run ${model.name} --function <this>)`,
      });
      if (batchScoring) {
        new CfnOutput(this, `${key}ScoreJobQueue`, {
          value: batchScoring.jobQueue.jobQueueArn,
          description: `${model.name}: AWS Batch queue of scoring jobs (MLOPS_SCORE_JOB_QUEUE)`,
        });
        new CfnOutput(this, `${key}ScoreJobDefinition`, {
          value: batchScoring.jobDefinition.jobDefinitionArn,
          description: `${model.name}: scoring job definition (MLOPS_SCORE_JOB_DEFINITION)`,
        });
      }
      if (streamingScoring) {
        new CfnOutput(this, `${key}ScoringInputStream`, {
          value: streamingScoring.inputStream.streamName,
          description: `${model.name}: Kinesis stream to put feature records on`,
        });
        new CfnOutput(this, `${key}ScoringOutputStream`, {
          value: streamingScoring.outputStream.streamName,
          description: `${model.name}: Kinesis stream of scores`,
        });
        new CfnOutput(this, `${key}ScoringDeadLetterQueueUrl`, {
          value: streamingScoring.deadLetterQueue.queueUrl,
          description: `${model.name}: bad records and exhausted batches of the stream scorer`,
        });
      }
    }
    dashboard.addAlarmPanel();
    this.models = models;

    this.trigger = new RetrainTrigger(this, 'RetrainTrigger', {
      rawBucket: this.dataLake.raw,
      artifactsBucket: this.dataLake.artifacts,
      workflows: [...models.values()].map(({ model, workflow }) => ({
        model: model.name,
        stateMachine: workflow.stateMachine,
        onUpload: model.retrain.onUpload,
      })),
      logRetention,
    });

    for (const zone of ZONES) {
      new CfnOutput(this, `${outputKey(zone)}BucketName`, {
        value: this.dataLake.bucket(zone).bucketName,
        description: `The ${zone} zone`,
      });
    }
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });
  }
}
