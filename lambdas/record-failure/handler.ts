import type { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../adapters/s3-object-store';
import { modelConfigFromEnv } from '../../core/config/runtime-env';
import { once, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger } from '../shared/observability';
import { createStepHandler } from '../shared/step-handler';
import { type RecordFailureDeps, recordFailureInputSchema, recordFailureStep } from './record-failure';

/**
 * The catch path (state `RecordFailure`). Event: the state when a step failed, with
 * `{ Error, Cause }` at `$.error`. Result: FailureSummary (the state machine currently discards it).
 * Environment: MLOPS_MODEL_CONFIG, MLOPS_ARTIFACTS_BUCKET.
 */
export function recordFailureDepsFromEnv(env: NodeJS.ProcessEnv = process.env): RecordFailureDeps {
  return { model: modelConfigFromEnv(env), ...zoneStoresFromEnv(['artifacts'], createS3Client(), env) };
}

export function createRecordFailureHandler(options: {
  readonly deps: () => RecordFailureDeps;
  readonly logger: Logger;
}) {
  return createStepHandler({
    step: 'record-failure',
    schema: recordFailureInputSchema,
    logger: options.logger,
    run: async (input) => {
      const summary = await recordFailureStep(input, options.deps());
      options.logger.appendKeys({ runId: summary.runId });
      options.logger.warn('retraining run failed', { ...summary, error: input.error.Error });
      return summary;
    },
  });
}

const logger = functionLogger('record-failure');
export const handler = createRecordFailureHandler({ deps: once(() => recordFailureDepsFromEnv()), logger });
