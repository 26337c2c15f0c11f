import type { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { StepFunctionsExecutions } from '../../adapters/step-functions';
import { stateMachinesFromEnv } from '../../core/config/runtime-env';
import { ObjectStoreTriggerManifests } from '../../core/trigger/manifests';
import { ObjectStoreModelLeases } from '../../core/trigger/model-lease';
import { ObjectStorePendingMarkers } from '../../core/trigger/pending-markers';
import { ZONE_ENV } from '../../core/workflow/layout';
import { once, zoneBucketFromEnv } from '../shared/environment';
import { functionLogger, logContext } from '../shared/observability';
import { processTriggerRecords, type TriggerDeps } from './queue-batch';

/**
 * The retrain trigger: an SQS event source whose messages are EventBridge events (S3 "Object
 * Created" under a model's raw prefix, and the workflows' "Execution Status Change"). Result: the
 * SQS partial batch response. Environment: MLOPS_STATE_MACHINES (model -> state machine ARN),
 * MLOPS_ARTIFACTS_BUCKET (pending-upload markers), optionally MLOPS_RAW_BUCKET (uploads from
 * other buckets are then ignored). Concurrent invocations are serialized per model by a lease in
 * the artifacts zone (core/trigger/model-lease.ts), not by reserved concurrency.
 */

/** Longer than the function's 60 s timeout, so only a crashed holder's lease ever expires. */
export const TRIGGER_LEASE_TTL_MS = 5 * 60_000;

export function triggerDepsFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): TriggerDeps {
  const stateMachines = stateMachinesFromEnv(env);
  const artifacts = new S3ObjectStore(createS3Client(), zoneBucketFromEnv('artifacts', env));
  const executions = new StepFunctionsExecutions(new SFNClient({}), stateMachines);
  const rawBucket = env[ZONE_ENV.raw]?.trim() || undefined;
  return {
    config: { models: Object.keys(stateMachines), rawBucket },
    ports: {
      listRunningExecutions: (model) => executions.listRunningExecutions(model),
      startExecution: (model, name, input) => executions.startExecution(model, name, input),
      markers: new ObjectStorePendingMarkers(artifacts, (key, reason) =>
        logger.warn('pending marker skipped: not a valid marker', { key, reason }),
      ),
      manifests: new ObjectStoreTriggerManifests(artifacts),
    },
    leases: new ObjectStoreModelLeases(artifacts, { ttlMs: TRIGGER_LEASE_TTL_MS }),
    log: {
      info: (message, extra) => logger.info(message, extra ?? {}),
      error: (message, extra) => logger.error(message, extra ?? {}),
    },
  };
}

export function createTriggerHandler(options: { readonly deps: () => TriggerDeps; readonly logger: Logger }) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(logContext<SQSEvent, SQSBatchResponse>(options.logger))
    .handler(async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const records = (event.Records ?? []).map(({ messageId, body }) => ({ messageId, body }));
      const result = await processTriggerRecords(records, options.deps());
      return { batchItemFailures: result.batchItemFailures };
    });
}

const logger = functionLogger('retrain-trigger');
export const handler = createTriggerHandler({ deps: once(() => triggerDepsFromEnv(logger)), logger });
