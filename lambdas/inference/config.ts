import * as z from 'zod';
import { ConfigError } from '../../core/config/parse';
import { modelConfigFromEnv, RUNTIME_ENV } from '../../core/config/runtime-env';
import type { ModelConfig } from '../../core/config/schema';
import { type ServingFeatureView, servingFeatureViewFromEnv } from '../../core/feature-views/serving-env';
import { trainsOnFeedback } from '../../core/ground-truth/prediction-log';
import { ZONE_ENV } from '../../core/workflow/layout';

/**
 * The inference function's configuration. The model and its `endpoint` settings come from
 * MLOPS_MODEL_CONFIG (RUNTIME_ENV.modelConfig, read with modelConfigFromEnv like every per-model
 * function; its defaults live in core/config/schema.ts). Beside it, only what is decided where the
 * function runs, not in mlops.config: the zone buckets and the request and capture limits below.
 */
export const INFERENCE_ENV = {
  /** Required. Bucket of the artifacts zone (the registry). Same name as ZONE_ENV.artifacts. */
  artifactsBucket: ZONE_ENV.artifacts,
  /** Required. Bucket of the monitoring zone (captured traffic). Same name as ZONE_ENV.monitoring. */
  monitoringBucket: ZONE_ENV.monitoring,
  /** Largest request body in bytes; larger -> 413. @default 6291456 (6 MiB, Lambda's synchronous payload limit) */
  maxBodyBytes: 'MLOPS_MAX_BODY_BYTES',
  /** Captured rows buffered before a capture object is written. @default 1000 */
  captureMaxRows: 'MLOPS_CAPTURE_MAX_ROWS',
  /** Seconds a captured request may wait in the buffer before a capture object is written; 0 writes each sampled request at once (the local platform). @default 60 */
  captureMaxAgeSeconds: 'MLOPS_CAPTURE_MAX_AGE_SECONDS',
} as const;

/** Defaults of the runtime variables (the model's settings have theirs in the config schema). */
export const INFERENCE_RUNTIME_DEFAULTS = {
  maxBodyBytes: 6 * 1024 * 1024,
  captureMaxRows: 1000,
  captureMaxAgeSeconds: 60,
} as const;

export interface InferenceConfig {
  readonly modelName: string;
  readonly artifactsBucket: string;
  readonly monitoringBucket: string;
  readonly maxInstances: number;
  readonly maxBodyBytes: number;
  readonly unknownFeatures: 'warn' | 'reject';
  readonly missingFeatures: 'impute' | 'reject';
  readonly captureSampleRate: number;
  readonly captureMaxRows: number;
  readonly captureMaxAgeSeconds: number;
  /** Record every prediction for the ground-truth join (predictions.log). */
  readonly logPredictions: boolean;
  /** The instance field carrying the caller's own prediction id (predictions.idField). */
  readonly predictionIdField?: string;
  /** Prediction records carry the scored feature values (the model trains on its feedback). @default false */
  readonly recordFeatures?: boolean;
  readonly sagemakerEndpoint?: string;
  readonly modelRefreshSeconds: number;
  /** The model's feature view and the online store's table (MLOPS_FEATURE_VIEW, MLOPS_FEATURE_TABLE). @default none: the model has no featureView */
  readonly featureLookup?: ServingFeatureView;
}

/** A required or malformed environment variable; names the variable, the value and the fix. */
export class InferenceConfigError extends Error {
  override readonly name = 'InferenceConfigError';
}

const integer = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const runtimeFields = {
  artifactsBucket: z.string({ message: 'is required' }).min(3, 'must be a bucket name'),
  monitoringBucket: z.string({ message: 'is required' }).min(3, 'must be a bucket name'),
  maxBodyBytes: integer(1024, 64 * 1024 * 1024).default(INFERENCE_RUNTIME_DEFAULTS.maxBodyBytes),
  captureMaxRows: integer(1, 1_000_000).default(INFERENCE_RUNTIME_DEFAULTS.captureMaxRows),
  captureMaxAgeSeconds: integer(0, 900).default(INFERENCE_RUNTIME_DEFAULTS.captureMaxAgeSeconds),
} satisfies Record<keyof typeof INFERENCE_ENV, z.ZodType>;

type RuntimeSettings = { -readonly [K in keyof typeof runtimeFields]: z.output<(typeof runtimeFields)[K]> };

/** The inference config of a model, given the runtime settings. */
export function inferenceConfigFor(model: ModelConfig, runtime: RuntimeSettings): InferenceConfig {
  const { endpoint } = model;
  return {
    modelName: model.name,
    ...runtime,
    maxInstances: endpoint.maxInstances,
    unknownFeatures: endpoint.unknownFeatures,
    missingFeatures: endpoint.missingFeatures,
    captureSampleRate: endpoint.captureSampleRate,
    modelRefreshSeconds: endpoint.modelRefreshSeconds,
    logPredictions: model.predictions.log,
    ...(trainsOnFeedback(model) ? { recordFeatures: true } : {}),
    ...(model.predictions.idField === undefined ? {} : { predictionIdField: model.predictions.idField }),
    ...(endpoint.sagemakerEndpointName ? { sagemakerEndpoint: endpoint.sagemakerEndpointName } : {}),
  };
}

/**
 * Reads and validates the function's configuration; throws InferenceConfigError naming every
 * bad variable. Call once per container (the handler memoises it), never at import time.
 */
export function inferenceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): InferenceConfig {
  const problems: string[] = [];
  let model: ModelConfig | undefined;
  try {
    model = modelConfigFromEnv(env);
  } catch (error) {
    problems.push(`${RUNTIME_ENV.modelConfig}: ${(error as Error).message}`);
  }
  const runtime: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(runtimeFields) as [keyof typeof INFERENCE_ENV, z.ZodType][]) {
    const name = INFERENCE_ENV[field];
    const text = env[name];
    const result = schema.safeParse(text === undefined || text.trim() === '' ? undefined : text.trim());
    if (result.success) runtime[field] = result.data;
    else {
      const received = text === undefined ? 'it is not set' : `received ${JSON.stringify(text)}`;
      problems.push(`${name}: ${result.error.issues[0]?.message ?? 'is invalid'} (${received})`);
    }
  }
  let featureLookup: ServingFeatureView | undefined;
  try {
    featureLookup = model && servingFeatureViewFromEnv(model.featureView, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`));
  }
  if (problems.length > 0 || !model) {
    throw new InferenceConfigError(
      `inference function misconfigured: ${problems.join('; ')}. The CDK app sets MLOPS_MODEL_CONFIG from mlops.config and the buckets; see INFERENCE_ENV in lambdas/inference/config.ts`,
    );
  }
  const config = inferenceConfigFor(model, runtime as RuntimeSettings);
  return featureLookup ? { ...config, featureLookup } : config;
}
