import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { createDynamoDbClient, DynamoDbOnlineFeatureStore } from '../../adapters/dynamodb-feature-store';
import { createS3Client } from '../../adapters/s3-object-store';
import { FEATURE_TABLE_ENV } from '../../core/feature-views/layout';
import { featureViewsFromEnv, objectCreatedEventSchema } from '../../core/feature-views/runtime';
import { once, requiredEnv, zoneBucketFromEnv, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger, logContext, logFailures } from '../shared/observability';
import { materializeUpload, type UploadDeps, type UploadOutcome } from './materialize-upload';

/**
 * The feature materializer: an EventBridge S3 "Object Created" event of a file under
 * `features/<view>/` in the curated zone in, its newest rows per entity into the online store
 * out (materialize-upload.ts). Environment: MLOPS_CURATED_BUCKET, MLOPS_FEATURE_TABLE,
 * MLOPS_FEATURE_VIEWS (the views as JSON); on the local platform AWS_ENDPOINT_URL_S3 / _DYNAMODB.
 * A backfill of a whole view is the Batch job (`mlops features materialize`), not this function.
 */
export function uploadDepsFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): UploadDeps {
  const table = requiredEnv(FEATURE_TABLE_ENV, "the online feature store's DynamoDB table (the CDK app sets it)", env);
  const { curated } = zoneStoresFromEnv(['curated'], createS3Client(), env);
  return {
    views: featureViewsFromEnv(env),
    curatedBucket: zoneBucketFromEnv('curated', env),
    curated,
    online: new DynamoDbOnlineFeatureStore(createDynamoDbClient(), table),
    log: (level, message, details) => logger[level](message, details ?? {}),
  };
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
export const handler = createMaterializeHandler({ deps: once(() => uploadDepsFromEnv(logger)), logger });
