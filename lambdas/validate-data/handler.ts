import type { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../adapters/s3-object-store';
import { featureViewConfigFromEnv, modelConfigFromEnv } from '../../core/config/runtime-env';
import { trainsOnFeedback } from '../../core/ground-truth/prediction-log';
import { once, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger } from '../shared/observability';
import { createStepHandler } from '../shared/step-handler';
import { type ValidateDeps, validateInputSchema, validateStep } from './validate';

/**
 * Retraining step 1 (state `Validate`). Event: the execution input `{ model, trigger, dataKey? }`
 * (optionally `runId`). Result: ValidationResult, stored by the state machine at `$.validation`.
 * Environment: MLOPS_MODEL_CONFIG, MLOPS_RAW_BUCKET, MLOPS_CURATED_BUCKET, MLOPS_ARTIFACTS_BUCKET,
 * MLOPS_MONITORING_BUCKET for a model that trains on its feedback, MLOPS_FEATURE_VIEW for a model
 * with a featureView (AWS_ENDPOINT_URL_S3 on the local platform).
 */
export function validateDepsFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): ValidateDeps {
  const model = modelConfigFromEnv(env);
  const client = createS3Client();
  const stores = zoneStoresFromEnv(['raw', 'curated', 'artifacts'], client, env);
  // Joined rows are read only by a model that trains on its feedback; no other gets the bucket.
  const feedback = trainsOnFeedback(model) ? zoneStoresFromEnv(['monitoring'], client, env) : {};
  const featureView = featureViewConfigFromEnv(model, env);
  return {
    model,
    ...stores,
    ...feedback,
    ...(featureView ? { featureView } : {}),
    onNote: (note) => logger.info('data note', { note }),
  };
}

export function createValidateHandler(options: { readonly deps: () => ValidateDeps; readonly logger: Logger }) {
  return createStepHandler({
    step: 'validate-data',
    schema: validateInputSchema,
    logger: options.logger,
    run: async (input) => {
      const result = await validateStep(input, options.deps());
      options.logger.appendKeys({ runId: result.runId });
      options.logger.info('data validated', { ...result });
      return result;
    },
  });
}

const logger = functionLogger('validate-data');
export const handler = createValidateHandler({ deps: once(() => validateDepsFromEnv(logger)), logger });
