import { type FeatureViewConfig, featureViewSchema } from './feature-view-schema';
import { ConfigError, defaultsFor } from './parse';
import type { ModelConfig } from './schema';
import { type TrainerParams, TUNABLE_LEARNERS, trainerParamsSchema } from './trainer-params';

/**
 * Environment variables the CDK app (and the local platform) give the Lambda functions, beside
 * the zone buckets of `ZONE_ENV`. One definition for the side that sets them and the side that reads them.
 */
export const RUNTIME_ENV = {
  /** Per-model functions: the model's resolved config as JSON (read it with `modelConfigFromEnv`). */
  modelConfig: 'MLOPS_MODEL_CONFIG',
  /** Functions of a model with a featureView: the view's resolved config as JSON (read it with `featureViewConfigFromEnv`). */
  featureViewConfig: 'MLOPS_FEATURE_VIEW',
  /** Drift and quality monitors: ARN of its model's retraining state machine. */
  stateMachineArn: 'MLOPS_STATE_MACHINE_ARN',
  /** Retrain trigger: JSON object `{ "<model>": "<state machine ARN>" }` of every model. */
  stateMachines: 'MLOPS_STATE_MACHINES',
  /** Drift and quality monitors: ARN of the SNS topic that receives their alerts. */
  topicArn: 'MLOPS_TOPIC_ARN',
  /** Quality monitor: seconds a log batch is given to be written before the join reads it (the local platform shortens it). */
  joinSettleSeconds: 'MLOPS_JOIN_SETTLE_SECONDS',
  /** Register step: the EventBridge bus that receives registry events. */
  eventBusName: 'MLOPS_EVENT_BUS_NAME',
  /** Powertools metrics namespace (set to METRICS_NAMESPACE). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** Powertools service name: the function's role, e.g. `inference`. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
} as const;

/** CloudWatch namespace of every custom metric; the drift monitor may only write here. */
export const METRICS_NAMESPACE = 'Mlops';

/**
 * MLOPS_TRAIN_PARAMS (TRAINER_ENV.params) for a model, in the shape of `trainerParamsSchema`
 * (core/config/trainer-params.ts), which the trainer parses. The one place the config's
 * `validationShare` becomes the trainer's `validationFraction`.
 */
export function trainerParamsFor(model: ModelConfig): TrainerParams {
  const learnerParams = Object.fromEntries(
    TUNABLE_LEARNERS.flatMap((learner) => (model.params[learner] ? [[learner, model.params[learner]]] : [])),
  );
  return trainerParamsSchema.parse({
    task: model.problemType,
    ...(Array.isArray(model.features) ? { features: model.features } : {}),
    learner: model.learner,
    seed: model.params.seed,
    validationFraction: model.params.validationShare,
    timeBudgetSeconds: model.params.timeBudgetSeconds,
    refit: model.params.refit,
    ...(Object.keys(learnerParams).length > 0 ? { learnerParams } : {}),
  });
}

export function modelConfigToEnv(model: ModelConfig): string {
  return JSON.stringify(model);
}

/** Reads the model config a function was deployed with; fails fast when it is missing or invalid. */
export function modelConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ModelConfig {
  const text = env[RUNTIME_ENV.modelConfig];
  if (!text) {
    throw new ConfigError(RUNTIME_ENV.modelConfig, [
      { path: '', message: 'is not set: the function must be deployed by the CDK app or run by the local platform' },
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(RUNTIME_ENV.modelConfig, [{ path: '', message: `is not JSON: ${(error as Error).message}` }]);
  }
  return defaultsFor(raw as never);
}

export function featureViewConfigToEnv(view: FeatureViewConfig): string {
  return JSON.stringify(view);
}

/**
 * The feature view a model's function was deployed with: undefined for a model without one; for a
 * model with one, the view it names, or a ConfigError (the variable is missing, invalid, or names
 * another view).
 */
export function featureViewConfigFromEnv(
  model: ModelConfig,
  env: NodeJS.ProcessEnv = process.env,
): FeatureViewConfig | undefined {
  if (model.featureView === undefined) return undefined;
  const name = RUNTIME_ENV.featureViewConfig;
  const text = env[name];
  const fail = (message: string): never => {
    throw new ConfigError(name, [{ path: '', message }]);
  };
  if (!text)
    return fail(
      `is not set, and model ${model.name} reads feature view "${model.featureView}": deploy with the CDK app or the local platform`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`is not JSON: ${(error as Error).message}`);
  }
  const parsed = featureViewSchema.safeParse(raw);
  if (!parsed.success) return fail(`is not a feature view: ${parsed.error.issues[0]?.message}`);
  if (parsed.data.name !== model.featureView) {
    return fail(`holds view "${parsed.data.name}", but model ${model.name} reads "${model.featureView}"`);
  }
  return parsed.data;
}

/** Reads the trigger's model -> state machine ARN map. */
export function stateMachinesFromEnv(env: NodeJS.ProcessEnv = process.env): Readonly<Record<string, string>> {
  const text = env[RUNTIME_ENV.stateMachines];
  let raw: unknown;
  try {
    raw = text ? JSON.parse(text) : undefined;
  } catch {
    raw = undefined;
  }
  const valid =
    typeof raw === 'object' &&
    raw !== null &&
    !Array.isArray(raw) &&
    Object.values(raw).every((arn) => typeof arn === 'string');
  if (!valid) {
    throw new ConfigError(RUNTIME_ENV.stateMachines, [
      {
        path: '',
        message: `must be a JSON object of model name to state machine ARN, received ${JSON.stringify(text)}`,
      },
    ]);
  }
  return raw as Record<string, string>;
}

/**
 * Custom metrics in METRICS_NAMESPACE, each with the dimension `Model` = the model's name.
 * The drift monitor publishes them; the CDK app alarms and charts them.
 */
export const METRICS = {
  /** 1 when the latest drift check found dataset drift, else 0. */
  datasetDrift: 'DatasetDrift',
  /** Share of checked columns that drifted (0..1). */
  driftedColumnShare: 'DriftedColumnShare',
  /** Rows of captured traffic the drift check compared. */
  driftRowsChecked: 'DriftRowsChecked',
  /** Quality monitor: outcomes joined to the production version's predictions in the window. */
  qualityLabeled: 'QualityLabeled',
  /** Quality monitor: live AUC of the production version (binary). */
  qualityAuc: 'QualityAuc',
  /** Quality monitor: live RMSE of the production version (regression). */
  qualityRmse: 'QualityRmse',
  /** Quality monitor: 1 when a floor or drop check was breached, else 0 (only with enough outcomes). */
  qualityDegraded: 'QualityDegraded',
  /** Quality monitor: 1 when it rolled production back, else 0. */
  qualityRollback: 'QualityRollback',
} as const;
export const MODEL_DIMENSION = 'Model';
