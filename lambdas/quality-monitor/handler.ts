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
import { ConfigError } from '../../core/config/parse';
import { MODEL_DIMENSION, modelConfigFromEnv, RUNTIME_ENV } from '../../core/config/runtime-env';
import { once, requiredEnv, zoneStoresFromEnv } from '../shared/environment';
import { parseMonitorEvent } from '../shared/monitor-event';
import { functionLogger, functionMetrics, logContext, logFailures } from '../shared/observability';
import { type QualityCheckSummary, type QualityMonitorDeps, runQualityCheck } from './check';
import type { QualityMetric } from './metrics';

/**
 * The scheduled quality monitor of one model (README.md beside this file: behaviour and metrics).
 * Event: an EventBridge "Scheduled Event" (its time ends the window), or `{ "windowHours"?: n,
 * "force"?: bool }` on demand. Result: QualityCheckSummary.
 * Environment: MLOPS_MODEL_CONFIG, MLOPS_ARTIFACTS_BUCKET, MLOPS_MONITORING_BUCKET, MLOPS_RAW_BUCKET,
 * MLOPS_STATE_MACHINE_ARN (only when quality.retrain is on), MLOPS_TOPIC_ARN,
 * MLOPS_JOIN_SETTLE_SECONDS (optional), POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME.
 */

/** Every metric with exactly the Model dimension, as the CDK alarms watch (Powertools' service dimension removed). */
export function publishQualityMetrics(metrics: Metrics, model: string, list: readonly QualityMetric[]): void {
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [MODEL_DIMENSION]: model });
  for (const metric of list) metrics.addMetric(metric.name, metric.unit, metric.value);
}

export interface QualityMonitorClients {
  readonly s3?: S3Client;
  readonly sfn?: SFNClient;
  readonly sns?: SNSClient;
}

function settleSecondsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env[RUNTIME_ENV.joinSettleSeconds]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new ConfigError(RUNTIME_ENV.joinSettleSeconds, [
      { path: '', message: `must be a number of seconds, 0 or more; got "${text}"` },
    ]);
  }
  return value;
}

export function qualityMonitorDepsFromEnv(
  logger: Logger,
  metrics: Metrics,
  env: NodeJS.ProcessEnv = process.env,
  clients: QualityMonitorClients = {},
): QualityMonitorDeps {
  const model = modelConfigFromEnv(env);
  // Set by the CDK app only when quality.retrain is on: without it the monitor never starts a run.
  const stateMachineArn = env[RUNTIME_ENV.stateMachineArn]?.trim() || undefined;
  const topicArn = requiredEnv(RUNTIME_ENV.topicArn, 'the SNS topic ARN for quality alerts (the CDK app sets it)', env);
  const stores = zoneStoresFromEnv(['artifacts', 'monitoring', 'raw'], clients.s3 ?? createS3Client(), env);
  const executions = stateMachineArn
    ? new StepFunctionsExecutions(clients.sfn ?? new SFNClient({}), { [model.name]: stateMachineArn })
    : undefined;
  const alerts = new SnsPublisher(clients.sns ?? new SNSClient({}), topicArn);
  const joinSettleSeconds = settleSecondsFromEnv(env);
  return {
    model,
    ...stores,
    publishMetrics: (list) => publishQualityMetrics(metrics, model.name, list),
    publishAlert: async (alert) => {
      const messageId = await alerts.publish(alert);
      logger.info('quality alert published', { topicArn, messageId, subject: alert.subject });
    },
    ...(executions ? { startRetrain: (name, input) => executions.startExecution(model.name, name, input) } : {}),
    ...(joinSettleSeconds === undefined ? {} : { joinSettleSeconds }),
    log: (level, message, details) => logger[level](message, details ?? {}),
  };
}

export interface QualityMonitorHandlerOptions {
  readonly deps: () => QualityMonitorDeps;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createQualityMonitorHandler(options: QualityMonitorHandlerOptions) {
  const { logger, metrics } = options;
  return middy<unknown, QualityCheckSummary>()
    .use(logContext<unknown, QualityCheckSummary>(logger))
    .use(logMetrics(metrics) as MiddlewareObj<unknown, QualityCheckSummary>)
    .use(logFailures<unknown, QualityCheckSummary>(logger, 'quality check failed'))
    .handler(async (event: unknown): Promise<QualityCheckSummary> => {
      const request = parseMonitorEvent(event, 'quality-monitor');
      const deps = options.deps();
      logger.appendKeys({ model: deps.model.name });
      const summary = await runQualityCheck(request, deps);
      logger.info('quality check done', { ...summary });
      return summary;
    });
}

const logger = functionLogger('quality-monitor');
const metrics = functionMetrics('quality-monitor');
export const handler = createQualityMonitorHandler({
  deps: once(() => qualityMonitorDepsFromEnv(logger, metrics)),
  logger,
  metrics,
});
