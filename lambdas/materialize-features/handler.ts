import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import { createDynamoDbClient, DynamoDbOnlineFeatureStore } from '../../adapters/dynamodb-feature-store';
import { createS3Client } from '../../adapters/s3-object-store';
import { SnsPublisher } from '../../adapters/sns-publisher';
import { FEATURE_TABLE_ENV } from '../../core/feature-views/layout';
import { featureViewsFromEnv, objectCreatedEventSchema } from '../../core/feature-views/runtime';
import {
  announceNewVersion,
  FEATURE_ALERT_TOPIC_ENV,
  VIEW_DIMENSION,
  VIEW_SCHEMA_FINDINGS_METRIC,
} from '../../core/feature-views/version-alert';
import { once, requiredEnv, zoneBucketFromEnv, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger, functionMetrics, logContext, logFailures } from '../shared/observability';
import { materializeUpload, type UploadDeps, type UploadOutcome } from './materialize-upload';

/**
 * The feature materializer: an EventBridge S3 "Object Created" event of a file under
 * `features/<view>/` in the curated zone in, its newest rows per entity into the online store
 * out (materialize-upload.ts). A new view version with schema findings is published once to the
 * feature store's alert topic, with the ViewSchemaFindings metric (EMF, dimension View).
 * Environment: MLOPS_CURATED_BUCKET, MLOPS_FEATURE_TABLE, MLOPS_FEATURE_VIEWS (the views as JSON),
 * MLOPS_FEATURE_ALERT_TOPIC_ARN; on the local platform AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SNS.
 * A backfill of a whole view is the Batch job (`mlops features materialize`), not this function.
 */
export function uploadDepsFromEnv(
  logger: Logger,
  metrics: Metrics,
  env: NodeJS.ProcessEnv = process.env,
  sns: SNSClient = new SNSClient({}),
): UploadDeps {
  const table = requiredEnv(FEATURE_TABLE_ENV, "the online feature store's DynamoDB table (the CDK app sets it)", env);
  const topicArn = requiredEnv(
    FEATURE_ALERT_TOPIC_ENV,
    "the feature store's SNS topic for view schema alerts (the CDK app sets it)",
    env,
  );
  const { curated } = zoneStoresFromEnv(['curated'], createS3Client(), env);
  const alerts = new SnsPublisher(sns, topicArn);
  const log: UploadDeps['log'] = (level, message, details) => logger[level](message, details ?? {});
  return {
    views: featureViewsFromEnv(env),
    curatedBucket: zoneBucketFromEnv('curated', env),
    curated,
    online: new DynamoDbOnlineFeatureStore(createDynamoDbClient(), table),
    log,
    onNewVersion: (record, file) =>
      announceNewVersion(record, file, {
        publish: (alert) => alerts.publish(alert),
        countFindings: (view, findings) => publishViewFindingsMetric(metrics, view, findings),
        log,
      }),
  };
}

/**
 * One EMF metric with exactly the dimension View (not Powertools' `service`), flushed at once so
 * it leaves even when the materialization fails later.
 */
export function publishViewFindingsMetric(metrics: Metrics, view: string, findings: number): void {
  const single = metrics.singleMetric();
  single.clearDefaultDimensions();
  // View names are lower-case ASCII (the config's schema), valid dimension values as they are.
  single.addDimension(VIEW_DIMENSION, view);
  single.addMetric(VIEW_SCHEMA_FINDINGS_METRIC, 'Count', findings);
}

export function createMaterializeHandler(options: { readonly deps: () => UploadDeps; readonly logger: Logger }) {
  const { logger } = options;
  return middy<unknown, UploadOutcome>()
    .use(logContext<unknown, UploadOutcome>(logger))
    .use(logFailures<unknown, UploadOutcome>(logger, 'materialization failed'))
    .handler(async (event: unknown): Promise<UploadOutcome> => {
      const outcome = await materializeUpload(objectCreatedEventSchema.parse(event), options.deps());
      if (outcome.status === 'ignored') logger.info('upload ignored', { ...outcome });
      else {
        const { files: _files, ...counts } = outcome.summary;
        logger.info('materialized', { key: outcome.key, ...counts });
      }
      return outcome;
    });
}

const logger = functionLogger('materialize-features');
const metrics = functionMetrics('materialize-features');
export const handler = createMaterializeHandler({ deps: once(() => uploadDepsFromEnv(logger, metrics)), logger });
