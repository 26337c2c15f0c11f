import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { MODEL_DIMENSION } from '../../core/config/runtime-env';
import type { OnlineFeatureStore } from '../../core/feature-views/online-store';
import type { HttpResponse } from '../shared/http';
import { functionLogger, functionMetrics, httpMiddlewares } from '../shared/observability';
import { classifyInferenceError, InferenceApp } from './app';
import { inferenceConfigFromEnv } from './config';
import { inProcessBackend } from './predict';
import { isRegistryEvent, movesProduction } from './registry-events';
import { type SageMakerInvoke, sageMakerBackend } from './sagemaker';

/**
 * The HTTPS inference endpoint: a Lambda function behind a Function URL (payload format 2.0).
 *   GET  /         the serving model's name, version, schema and creation time
 *   POST /predict  {"instances": [{...}, ...]} -> {"model", "predictions": [{"id", "score", "label"}], "warnings"}
 *                  (or MLflow's dataframe_split / dataframe_records / inputs, or text/csv; MLflow's
 *                  {"predictions"} with ?response=mlflow: ./request-formats.ts)
 *   POST /feedback {"actuals": [{"id", "label"}, ...]} -> 202 {"model", "accepted", "repeatedIds"}
 *                  A model with a feature view reads the features a row lacks from the online
 *                  store by its entity key; each prediction says which in "from_store".
 * Configuration: INFERENCE_ENV in ./config.ts. Capture and what Lambda's lifecycle loses: ./capture.ts.
 */

export interface InferenceHandlerOptions {
  /** The app for this container; called on every request, so it must memoise. */
  readonly app: () => InferenceApp;
  readonly logger: Logger;
  /** @default - no metrics middleware */
  readonly metrics?: Metrics;
}

export function createInferenceHandler(options: InferenceHandlerOptions) {
  const { logger, metrics } = options;
  return middy<unknown, HttpResponse>()
    .use(httpMiddlewares({ logger, metrics, classify: classifyInferenceError }))
    .handler(async (event: unknown, context: Context): Promise<HttpResponse> => {
      const app = options.app();
      const outcome = await app.handle(event, requestIdOf(event, context));
      app.startDueFlush();
      if (metrics && outcome.rows > 0) {
        metrics.addMetric('PredictedRows', MetricUnit.Count, outcome.rows);
        if (outcome.warnings > 0) metrics.addMetric('PredictWarnings', MetricUnit.Count, outcome.warnings);
      }
      if (metrics && outcome.predictionLog === 'failed') {
        metrics.addMetric('PredictionLogFailures', MetricUnit.Count, outcome.rows);
      }
      if (metrics && outcome.actuals) metrics.addMetric('ActualsReceived', MetricUnit.Count, outcome.actuals);
      return outcome.response;
    });
}

function requestIdOf(event: unknown, context: Context | undefined): string {
  if (context?.awsRequestId) return context.awsRequestId;
  const fromEvent = (event as { requestContext?: { requestId?: unknown } } | null)?.requestContext?.requestId;
  return typeof fromEvent === 'string' ? fromEvent : 'unknown';
}

/**
 * Builds the container's app from the environment, once: config (fail-fast, every bad variable
 * named), SDK clients, stores, the model cache. A misconfiguration answers 500 naming the
 * variable (logged) instead of crashing the runtime; the next request tries again.
 */
export function inferenceAppFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): InferenceApp {
  const config = inferenceConfigFromEnv(env);
  // AWS_ENDPOINT_URL_S3 is set only off AWS (the local platform, tests): the SDK's own variable.
  const s3 = createS3Client({ endpoint: env.AWS_ENDPOINT_URL_S3 });
  const backend = config.sagemakerEndpoint
    ? sageMakerBackend(lazySageMakerInvoke(config.sagemakerEndpoint))
    : inProcessBackend;
  return new InferenceApp({
    config,
    artifacts: new S3ObjectStore(s3, config.artifactsBucket),
    monitoring: new S3ObjectStore(s3, config.monitoringBucket),
    backend,
    ...(config.featureLookup ? { featureStore: onlineStoreFor(config.featureLookup.table, env) } : {}),
    logger,
  });
}

/**
 * The online store of a model with a feature view, one reader per container: BatchGetItem over
 * HTTPS (adapters/dynamodb-http-reader.ts), loaded only for a model with a view.
 */
function onlineStoreFor(table: string, env: NodeJS.ProcessEnv): OnlineFeatureStore {
  const { featureReaderFromEnv } =
    require('../../adapters/dynamodb-http-reader') as typeof import('../../adapters/dynamodb-http-reader');
  return featureReaderFromEnv(table, env);
}

/**
 * The SageMaker SDK client, loaded at the first request that needs it: most functions score in
 * process, and every container paid for loading the client at its cold start.
 */
function lazySageMakerInvoke(endpointName: string): SageMakerInvoke {
  let invoke: SageMakerInvoke | undefined;
  return (request) => {
    if (!invoke) {
      const { sageMakerInvokerFor } = require('./sagemaker-client') as typeof import('./sagemaker-client');
      invoke = sageMakerInvokerFor(endpointName);
    }
    return invoke(request);
  };
}

const logger = functionLogger('inference');
const metrics = functionMetrics('inference');
let app: InferenceApp | undefined;

const httpHandler = createInferenceHandler({
  app: () => appForContainer(),
  logger,
  metrics,
});

/**
 * Function URL requests, plus the registry's alias-move events (EventBridge rule): a production
 * move reloads the model in this container at once.
 */
export const handler = async (event: unknown, context: Context): Promise<HttpResponse | { reloaded: boolean }> => {
  if (!isRegistryEvent(event)) return httpHandler(event, context);
  const app = appForContainer();
  if (!movesProduction(event, app.modelName)) return { reloaded: false };
  app.cache.invalidate();
  const loaded = await app.cache.get().then(
    (model) => model,
    (error: Error) => {
      logger.warn('reload after a production move failed; serving what was loaded', { error: error.message });
      return undefined;
    },
  );
  logger.info('production moved; model reloaded', { version: loaded?.version });
  return { reloaded: loaded !== undefined };
};

function appForContainer(): InferenceApp {
  if (!app) {
    app = inferenceAppFromEnv(logger);
    const built = app;
    metrics.setDefaultDimensions({ [MODEL_DIMENSION]: built.modelName });
    // Lambda sends SIGTERM before shutting a container down only when an extension is attached;
    // then the buffered captures get one last flush. Without one they are lost (see capture.ts).
    process.once('SIGTERM', () => {
      void built
        .settled()
        .then(() => built.capture.flush())
        .finally(() => process.exit(0));
    });
  }
  return app;
}
