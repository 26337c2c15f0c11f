import type { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../adapters/s3-object-store';
import { modelConfigFromEnv } from '../../core/config/runtime-env';
import { once, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger } from '../shared/observability';
import { createStepHandler } from '../shared/step-handler';
import { type AdoptDeps, adoptInputSchema, adoptStep } from './adopt';

/**
 * Retraining step 2 of a registration run (state `Adopt`, taken instead of `Train` when the
 * execution input has a candidateKey). Event: the state after validation
 * (`{ model, trigger, candidateKey, validation }`). Result: `{ imported: AdoptionResult }`, stored
 * at `$.training`. Environment: MLOPS_MODEL_CONFIG, MLOPS_CURATED_BUCKET, MLOPS_ARTIFACTS_BUCKET.
 */
export function adoptDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AdoptDeps {
  return { model: modelConfigFromEnv(env), ...zoneStoresFromEnv(['curated', 'artifacts'], createS3Client(), env) };
}

export function createAdoptHandler(options: { readonly deps: () => AdoptDeps; readonly logger: Logger }) {
  return createStepHandler({
    step: 'adopt-artifact',
    schema: adoptInputSchema,
    logger: options.logger,
    run: async (input) => {
      options.logger.appendKeys({ runId: input.validation.runId });
      const result = await adoptStep(input, options.deps());
      options.logger.info('imported artifact adopted', { ...result.imported });
      return result;
    },
  });
}

const logger = functionLogger('adopt-artifact');
export const handler = createAdoptHandler({ deps: once(() => adoptDepsFromEnv()), logger });
