import type { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../adapters/s3-object-store';
import { modelConfigFromEnv } from '../../core/config/runtime-env';
import { once, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger } from '../shared/observability';
import { createStepHandler } from '../shared/step-handler';
import { type EvaluateDeps, evaluateInputSchema, evaluateStep } from './evaluate';

/**
 * Retraining step 3 (state `Evaluate`). Event: the state after training
 * (`{ model, trigger, dataKey?, validation, training }`). Result: EvaluationResult, stored at
 * `$.evaluation`. Environment: MLOPS_MODEL_CONFIG, MLOPS_CURATED_BUCKET, MLOPS_ARTIFACTS_BUCKET.
 */
export function evaluateDepsFromEnv(env: NodeJS.ProcessEnv = process.env): EvaluateDeps {
  return { model: modelConfigFromEnv(env), ...zoneStoresFromEnv(['curated', 'artifacts'], createS3Client(), env) };
}

export function createEvaluateHandler(options: { readonly deps: () => EvaluateDeps; readonly logger: Logger }) {
  return createStepHandler({
    step: 'evaluate-model',
    schema: evaluateInputSchema,
    logger: options.logger,
    run: async (input) => {
      options.logger.appendKeys({ runId: input.validation.runId });
      const result = await evaluateStep(input, options.deps());
      options.logger.info('candidate evaluated', { ...result });
      return result;
    },
  });
}

const logger = functionLogger('evaluate-model');
export const handler = createEvaluateHandler({ deps: once(() => evaluateDepsFromEnv()), logger });
