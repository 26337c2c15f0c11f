import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { EcsJobDefinition, IJobQueue } from 'aws-cdk-lib/aws-batch';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type IRole, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { FeatureViewConfig } from '../core/config/feature-view-schema';
import {
  FEATURE_TABLE_ENV,
  featureViewMetaPrefix,
  featureViewPrefix,
  ONLINE_KEY_ATTRIBUTE,
} from '../core/feature-views/layout';
import { FEATURE_VIEWS_ENV, featureViewsToEnv } from '../core/feature-views/runtime';
import { FEATURE_ALERT_TOPIC_ENV } from '../core/feature-views/version-alert';
import { ZONE_ENV } from '../core/workflow/layout';
import { ContainerJobDefinition } from './batch-job-definition';
import type { DataLake } from './data-lake';
import { grantObjects } from './grants';
import { MlopsFunction } from './mlops-function';
import { monitorAlertTopic } from './monitor-parts';
import { trainerContainerImage } from './trainer-image';

export interface FeatureStoreProps {
  /** The platform's feature views; at least one (the stack creates no store without views). */
  readonly views: readonly FeatureViewConfig[];
  readonly dataLake: DataLake;
  /** A Fargate queue of the shared training compute (Training.queueFor), for the backfill job. */
  readonly jobQueue: IJobQueue;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** vCPUs of each backfill child. @default 1 */
  readonly backfillVcpu?: number;
  /** Memory of each backfill child in MiB: a shard's files and entities are held in memory. @default 4096 */
  readonly backfillMemoryMiB?: number;
  /** How long one backfill child may run. @default Duration.hours(2) */
  readonly backfillTimeout?: Duration;
}

/** The backfill job's parameter defaults (a submission overrides them). */
export const BACKFILL_PARAMETERS = { view: 'view', shards: 'shards' } as const;

/**
 * The online feature store (issue 15): one DynamoDB table per deployment, items keyed
 * `<view>#<entity>` in `pk`; the materializer function, started by EventBridge for each file
 * uploaded under `features/<view>/` of the curated zone (views with materialize.onUpload); and the
 * backfill job (`mlops features materialize <view>` on AWS), an AWS Batch array job whose child i
 * materializes files i, i+n, ... of the view, so a large history is not bound to one Lambda's 15
 * minutes. The compare-and-swap of each write (adapters/dynamodb-feature-store.ts) makes children
 * that share entities, retries and re-runs safe. A file that starts a view version with schema
 * findings (new or removed columns) is announced once on the alert topic, encrypted and TLS-only
 * like the drift monitor's.
 */
export class FeatureStore extends Construct {
  public readonly table: Table;
  public readonly materializer: MlopsFunction;
  public readonly uploadRule?: Rule;
  public readonly backfillJobDefinition: EcsJobDefinition;
  public readonly backfillJobRole: Role;
  /** Schema alerts of new view versions; only the materializer and the backfill job may publish. */
  public readonly alertTopic: Topic;

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    const { views, dataLake } = props;
    if (views.length === 0) {
      throw new Error('FeatureStore needs at least one feature view; received none: add featureViews to the config');
    }

    this.table = new Table(this, 'Table', {
      partitionKey: { name: ONLINE_KEY_ATTRIBUTE, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Kept when the stack is deleted: the online store is rebuilt only by a full backfill, and
      // serving reads it; delete the table by hand once nothing serves from it.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.alertTopic = monitorAlertTopic(this, 'Feature view schema alerts');

    const environment = {
      [FEATURE_TABLE_ENV]: this.table.tableName,
      [FEATURE_VIEWS_ENV]: featureViewsToEnv(views),
      [FEATURE_ALERT_TOPIC_ENV]: this.alertTopic.topicArn,
    };
    this.materializer = new MlopsFunction(this, 'Materializer', {
      kind: 'materialize-features',
      description: 'Loads each feature view file uploaded to the curated zone into the online store',
      memorySize: 1024,
      // One file per invocation; a history too large for this is the backfill job's.
      timeout: Duration.minutes(15),
      environment,
      logRetention: props.logRetention,
    });
    this.grantMaterialize(this.materializer.role, views, dataLake);
    this.materializer.addEnvironment(ZONE_ENV.curated, dataLake.curated.bucketName);

    const uploading = views.filter((view) => view.materialize.onUpload);
    if (uploading.length > 0) {
      dataLake.curated.enableEventBridgeNotification();
      this.uploadRule = new Rule(this, 'UploadRule', {
        description: 'Materializes each file uploaded under features/<view>/ of the curated zone',
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [dataLake.curated.bucketName] },
            object: { key: uploading.map((view) => ({ prefix: featureViewPrefix(view.name) })) },
          },
        },
        targets: [new LambdaFunction(this.materializer.function, { retryAttempts: 2 })],
      });
    }

    const job = new ContainerJobDefinition(this, 'Backfill', {
      image: trainerContainerImage(),
      vcpu: props.backfillVcpu ?? 1,
      memoryMiB: props.backfillMemoryMiB ?? 4096,
      timeout: props.backfillTimeout ?? Duration.hours(2),
      // The image's entry (containers/trainer/main.ts); the shard index is AWS_BATCH_JOB_ARRAY_INDEX.
      command: [
        'features',
        'materialize',
        `Ref::${BACKFILL_PARAMETERS.view}`,
        '--shards',
        `Ref::${BACKFILL_PARAMETERS.shards}`,
        '--here',
      ],
      parameters: { [BACKFILL_PARAMETERS.view]: views[0].name, [BACKFILL_PARAMETERS.shards]: '1' },
      environment: { ...environment, [ZONE_ENV.curated]: dataLake.curated.bucketName },
      logStreamPrefix: 'materialize-features',
      logRetention: props.logRetention,
      jobRoleDescription: 'Backfill of the online feature store from the curated zone',
      executionRoleDescription: 'Pulls the backfill image and writes its logs',
    });
    this.backfillJobDefinition = job.jobDefinition;
    this.backfillJobRole = job.jobRole;
    this.grantMaterialize(job.jobRole, views, dataLake);
  }

  /**
   * Reads every view's files, records new view versions under `_meta/`, writes the table
   * (conditional puts only) and announces new versions on the alert topic.
   */
  private grantMaterialize(role: IRole, views: readonly FeatureViewConfig[], dataLake: DataLake): void {
    grantObjects(
      role,
      dataLake.curated,
      'features/',
      'read',
      'The materializer reads any file uploaded under features/<view>/ of the curated zone, named by the uploader.',
    );
    for (const view of views) {
      grantObjects(
        role,
        dataLake.curated,
        featureViewMetaPrefix(view.name),
        'write',
        `The materializer records each new version of view ${view.name} under ${featureViewMetaPrefix(view.name)}versions/<id>.json, named by its columns.`,
      );
    }
    this.table.grant(role, 'dynamodb:PutItem');
    // The topic uses the AWS-managed SNS key, whose key policy lets SNS encrypt for any publisher: no KMS grant.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertTopic.topicArn] }));
  }
}
