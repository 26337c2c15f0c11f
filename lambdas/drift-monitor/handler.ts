import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import middy, { type MiddlewareObj } from '@middy/core';
import { createS3Client } from '../../adapters/s3-object-store';
import { SnsPublisher } from '../../adapters/sns-publisher';
import { StepFunctionsExecutions } from '../../adapters/step-functions';
import { MODEL_DIMENSION, modelConfigFromEnv, RUNTIME_ENV } from '../../core/config/runtime-env';
import { once, requiredEnv, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger, functionMetrics, logContext, logFailures } from '../shared/observability';
import { type DriftCheckSummary, type DriftMonitorDeps, runDriftCheck } from './check';
import { parseDriftCheckEvent } from './event';
import { COLUMN_DIMENSION, type DriftMetric } from './metrics';

/**
 * The scheduled drift monitor of one model (README.md beside this file: behaviour and metrics).
 * Event: an EventBridge "Scheduled Event" (its time ends the window), or `{ "windowHours"?: n,
 * "force"?: bool }` on demand. Result: DriftCheckSummary.
 * Environment: MLOPS_MODEL_CONFIG, MLOPS_ARTIFACTS_BUCKET, MLOPS_MONITORING_BUCKET,
 * MLOPS_STATE_MACHINE_ARN (only when retrain.onDrift is on), MLOPS_TOPIC_ARN, POWERTOOLS_METRICS_NAMESPACE (default Mlops),
 * POWERTOOLS_SERVICE_NAME; on the local platform AWS_ENDPOINT_URL_S3 / _SFN / _SNS.
 */

/** CloudWatch takes ASCII dimension values of 1 to 1024 characters; column names may be anything. */
export function dimensionValue(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '_').slice(0, 1024);
  return ascii.trim() === '' ? '_' : ascii;
}

/**
 * Adds the check's metrics to the Powertools Metrics instance (flushed as EMF by logMetrics).
 * The only dimension is Model, as the CDK alarm on DatasetDrift expects: Powertools' own
 * `service` dimension would make a different metric. Per-column scores need their own dimension
 * set, so each goes out as a single metric with Model and Column.
 */
export function publishDriftMetrics(metrics: Metrics, model: string, list: readonly DriftMetric[]): void {
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [MODEL_DIMENSION]: model });
  for (const metric of list) {
    if (metric.column === undefined) {
      metrics.addMetric(metric.name, metric.unit, metric.value);
      continue;
    }
    const single = metrics.singleMetric();
    single.clearDefaultDimensions();
    single.setDefaultDimensions({ [MODEL_DIMENSION]: model });
    single.addDimension(COLUMN_DIMENSION, dimensionValue(metric.column));
    single.addMetric(metric.name, metric.unit, metric.value);
  }
}

export interface DriftMonitorClients {
  readonly s3?: S3Client;
  readonly sfn?: SFNClient;
  readonly sns?: SNSClient;
}

export function driftMonitorDepsFromEnv(
  logger: Logger,
  metrics: Metrics,
  env: NodeJS.ProcessEnv = process.env,
  clients: DriftMonitorClients = {},
): DriftMonitorDeps {
  const model = modelConfigFromEnv(env);
  // Set by the CDK app only when retrain.onDrift is on: without it the monitor never starts a run.
  const stateMachineArn = env[RUNTIME_ENV.stateMachineArn]?.trim() || undefined;
  const topicArn = requiredEnv(RUNTIME_ENV.topicArn, 'the SNS topic ARN for drift alerts (the CDK app sets it)', env);
  const stores = zoneStoresFromEnv(['artifacts', 'monitoring'], clients.s3 ?? createS3Client(), env);
  const executions = stateMachineArn
    ? new StepFunctionsExecutions(clients.sfn ?? new SFNClient({}), { [model.name]: stateMachineArn })
    : undefined;
  const alerts = new SnsPublisher(clients.sns ?? new SNSClient({}), topicArn);
  return {
    model,
    ...stores,
    publishMetrics: (list) => publishDriftMetrics(metrics, model.name, list),
    publishAlert: async (alert) => {
      const messageId = await alerts.publish(alert);
      logger.info('drift alert published', { topicArn, messageId, subject: alert.subject });
    },
    ...(executions ? { startRetrain: (name, input) => executions.startExecution(model.name, name, input) } : {}),
    log: (level, message, details) => logger[level](message, details ?? {}),
  };
}

export interface DriftMonitorHandlerOptions {
  readonly deps: () => DriftMonitorDeps;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createDriftMonitorHandler(options: DriftMonitorHandlerOptions) {
  const { logger, metrics } = options;
  return middy<unknown, DriftCheckSummary>()
    .use(logContext<unknown, DriftCheckSummary>(logger))
    .use(logMetrics(metrics) as MiddlewareObj<unknown, DriftCheckSummary>)
    .use(logFailures<unknown, DriftCheckSummary>(logger, 'drift check failed'))
    .handler(async (event: unknown): Promise<DriftCheckSummary> => {
      const request = parseDriftCheckEvent(event);
      const deps = options.deps();
      logger.appendKeys({ model: deps.model.name });
      const summary = await runDriftCheck(request, deps);
      logger.info('drift check done', { ...summary });
      return summary;
    });
}

const logger = functionLogger('drift-monitor');
const metrics = functionMetrics('drift-monitor');
export const handler = createDriftMonitorHandler({
  deps: once(() => driftMonitorDepsFromEnv(logger, metrics)),
  logger,
  metrics,
});
