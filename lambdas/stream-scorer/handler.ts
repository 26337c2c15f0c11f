import type { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { ConfigError } from '../../core/config/parse';
import { modelConfigFromEnv } from '../../core/config/runtime-env';
import type { OnlineFeatureStore } from '../../core/feature-views/online-store';
import { servingFeatureViewFromEnv } from '../../core/feature-views/serving-env';
import { trainsOnFeedback } from '../../core/ground-truth/prediction-log';
import { ZONE_ENV } from '../../core/workflow/layout';
import { ModelCache } from '../shared/model-cache';
import { functionLogger } from '../shared/observability';
import { STREAM_SCORER_ENV, streamSinkPrefix } from './config';
import { type StreamScoringDeps, scoreStreamBatch } from './score-stream';
import { kinesisResultSink, objectStoreSinks, sqsDeadLetterSink } from './sinks';

export { STREAM_SCORER_ENV, streamSinkPrefix } from './config';

/**
 * Kinesis -> stream scorer -> output stream, with partial batch responses
 * (the event source mapping sets ReportBatchItemFailures). Logic and failure handling: ./score-stream.ts.
 */

/** Reads the environment once; fails naming every missing variable. */
export function streamScorerDepsFromEnv(env: NodeJS.ProcessEnv, logger: Logger): StreamScoringDeps {
  const model = modelConfigFromEnv(env);
  const sinkKind = env[STREAM_SCORER_ENV.sink] || 'aws';
  const required = [
    ZONE_ENV.artifacts,
    ...(sinkKind === 's3' || model.predictions.log ? [ZONE_ENV.monitoring] : []),
    ...(sinkKind === 's3' ? [] : [STREAM_SCORER_ENV.outputStream, STREAM_SCORER_ENV.deadLetterQueueUrl]),
  ];
  const missing = required.filter((name) => !env[name]);
  if (sinkKind !== 'aws' && sinkKind !== 's3') missing.push(`${STREAM_SCORER_ENV.sink} (aws or s3, got "${sinkKind}")`);
  if (missing.length > 0) {
    throw new ConfigError(
      'stream scorer environment',
      missing.map((name) => ({ path: name, message: 'is not set' })),
    );
  }
  const featureView = servingFeatureViewFromEnv(model.featureView, env);
  const s3 = createS3Client();
  const cache = new ModelCache({
    store: new S3ObjectStore(s3, env[ZONE_ENV.artifacts]!),
    model: model.name,
    refreshMs: model.endpoint.modelRefreshSeconds * 1000,
    logger,
  });
  const sinks =
    sinkKind === 's3'
      ? objectStoreSinks(new S3ObjectStore(s3, env[ZONE_ENV.monitoring]!), streamSinkPrefix(model.name))
      : {
          results: kinesisResultSink(new KinesisClient({}), env[STREAM_SCORER_ENV.outputStream]!),
          deadLetters: sqsDeadLetterSink(new SQSClient({}), env[STREAM_SCORER_ENV.deadLetterQueueUrl]!),
        };
  return {
    model: () => cache.get(),
    ...sinks,
    policy: { unknownFeatures: model.endpoint.unknownFeatures, missingFeatures: model.endpoint.missingFeatures },
    maxInstances: model.endpoint.maxInstances,
    ...(model.predictions.idField === undefined ? {} : { idField: model.predictions.idField }),
    ...(model.predictions.log ? { predictionLog: new S3ObjectStore(s3, env[ZONE_ENV.monitoring]!) } : {}),
    ...(trainsOnFeedback(model) ? { recordFeatures: true } : {}),
    ...(featureView
      ? {
          featureLookup: {
            view: featureView.view,
            store: onlineStoreFor(featureView.table, env),
            storeName: `DynamoDB table ${featureView.table}`,
          },
        }
      : {}),
    logger,
  };
}

/** The online store of a model with a feature view (BatchGetItem over HTTPS), loaded only then. */
function onlineStoreFor(table: string, env: NodeJS.ProcessEnv): OnlineFeatureStore {
  const { featureReaderFromEnv } =
    require('../../adapters/dynamodb-http-reader') as typeof import('../../adapters/dynamodb-http-reader');
  return featureReaderFromEnv(table, env);
}

const logger = functionLogger('stream-scorer');
let deps: StreamScoringDeps | undefined;

export async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  deps ??= streamScorerDepsFromEnv(process.env, logger);
  const outcome = await scoreStreamBatch(event, deps);
  logger.info('batch scored', {
    records: event.Records?.length ?? 0,
    scored: outcome.scored,
    deadLettered: outcome.deadLettered,
    retried: outcome.retried,
    ...(outcome.predictionLogFailures > 0 ? { predictionLogFailures: outcome.predictionLogFailures } : {}),
  });
  return { batchItemFailures: outcome.batchItemFailures };
}
