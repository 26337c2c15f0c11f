import type { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeSink } from '../../adapters/eventbridge-sink';
import { createS3Client } from '../../adapters/s3-object-store';
import { modelConfigFromEnv, RUNTIME_ENV } from '../../core/config/runtime-env';
import { once, requiredEnv, zoneStoresFromEnv } from '../shared/environment';
import { functionLogger } from '../shared/observability';
import { createStepHandler } from '../shared/step-handler';
import { BestEffortEventSink, type RegisterDeps, registerInputSchema, registerStep } from './register';

/**
 * Retraining step 4 (state `Register`, after the `Gate` choice). Event: the state after
 * evaluation (`{ model, ..., validation, evaluation }`). Result: RegistrationResult, stored at
 * `$.registration`. Environment: MLOPS_MODEL_CONFIG, MLOPS_ARTIFACTS_BUCKET, MLOPS_EVENT_BUS_NAME
 * (AWS_ENDPOINT_URL_EVENTBRIDGE points the events at a local stand-in).
 */
export function registerDepsFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): RegisterDeps {
  const model = modelConfigFromEnv(env);
  const bus = requiredEnv(
    RUNTIME_ENV.eventBusName,
    'the EventBridge bus that receives registry events (for example "default")',
    env,
  );
  const events = new BestEffortEventSink(new EventBridgeSink(new EventBridgeClient({}), bus), (event, error) =>
    logger.error('registry event not published', { detailType: event.detailType, detail: event.detail, error }),
  );
  return { model, events, ...zoneStoresFromEnv(['artifacts'], createS3Client(), env) };
}

export function createRegisterHandler(options: { readonly deps: () => RegisterDeps; readonly logger: Logger }) {
  return createStepHandler({
    step: 'register-model',
    schema: registerInputSchema,
    logger: options.logger,
    run: async (input) => {
      options.logger.appendKeys({ runId: input.validation.runId });
      const result = await registerStep(input, options.deps());
      options.logger.info('candidate registered', { ...result, decision: input.evaluation.decision });
      return result;
    },
  });
}

const logger = functionLogger('register-model');
export const handler = createRegisterHandler({ deps: once(() => registerDepsFromEnv(logger)), logger });
