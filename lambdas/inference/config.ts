import { z } from 'zod';
import { modelConfigFromEnv, RUNTIME_ENV } from '../../core/config/runtime-env';
import type { ModelConfig } from '../../core/config/schema';
import { MODEL_NAME_PATTERN, ZONE_ENV } from '../../core/workflow/layout';

/**
 * Every environment variable the inference function reads, in one place.
 *
 * Two ways to configure it, combinable: MLOPS_MODEL_CONFIG (RUNTIME_ENV.modelConfig, the model's
 * resolved config as JSON, which the CDK app sets on every per-model function) supplies the model
 * name and its `endpoint` settings; each variable below, when set, overrides it. The zone buckets
 * always come from ZONE_ENV. `inferenceEnvironment` builds the explicit set from a model's config
 * for a deploying side that prefers it.
 */
export const INFERENCE_ENV = {
  /** Required. The model this function serves (its registry name). */
  modelName: 'MLOPS_MODEL_NAME',
  /** Required. Bucket of the artifacts zone (the registry). Same name as ZONE_ENV.artifacts. */
  artifactsBucket: ZONE_ENV.artifacts,
  /** Required. Bucket of the monitoring zone (captured traffic). Same name as ZONE_ENV.monitoring. */
  monitoringBucket: ZONE_ENV.monitoring,
  /** Most rows in one POST /predict. @default 1000 */
  maxInstances: 'MLOPS_MAX_INSTANCES',
  /** Largest request body in bytes; larger -> 413. @default 6291456 (6 MiB, Lambda's synchronous payload limit) */
  maxBodyBytes: 'MLOPS_MAX_BODY_BYTES',
  /** `warn` (ignore with a warning) or `reject` (400) fields the model does not know. @default warn */
  unknownFeatures: 'MLOPS_UNKNOWN_FEATURES',
  /** `impute` (as in training, with a warning) or `reject` (400) absent or null features. @default impute */
  missingFeatures: 'MLOPS_MISSING_FEATURES',
  /** Share of requests captured to the monitoring zone, 0 to 1. @default 0.1 */
  captureSampleRate: 'MLOPS_CAPTURE_SAMPLE_RATE',
  /** Captured rows buffered before a capture object is written. @default 1000 */
  captureMaxRows: 'MLOPS_CAPTURE_MAX_ROWS',
  /** Seconds a captured request may wait in the buffer before a capture object is written; 0 writes each sampled request at once. @default 60 */
  captureMaxAgeSeconds: 'MLOPS_CAPTURE_MAX_AGE_SECONDS',
  /** Optional. Score with this SageMaker endpoint instead of in the function. @default - score in the function */
  sagemakerEndpoint: 'MLOPS_SAGEMAKER_ENDPOINT',
  /** Seconds between checks of the production alias; a promotion is served within this time. @default 60 */
  modelRefreshSeconds: 'MLOPS_MODEL_REFRESH_SECONDS',
} as const;

export const INFERENCE_DEFAULTS = {
  maxInstances: 1000,
  maxBodyBytes: 6 * 1024 * 1024,
  unknownFeatures: 'warn',
  missingFeatures: 'impute',
  captureSampleRate: 0.1,
  captureMaxRows: 1000,
  captureMaxAgeSeconds: 60,
  modelRefreshSeconds: 60,
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
  readonly sagemakerEndpoint?: string;
  readonly modelRefreshSeconds: number;
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

const fields = {
  modelName: z
    .string({ message: 'is required' })
    .regex(MODEL_NAME_PATTERN, 'must be a model name: lower-case letters, digits, hyphens'),
  artifactsBucket: z.string({ message: 'is required' }).min(3, 'must be a bucket name'),
  monitoringBucket: z.string({ message: 'is required' }).min(3, 'must be a bucket name'),
  maxInstances: integer(1, 100_000).default(INFERENCE_DEFAULTS.maxInstances),
  maxBodyBytes: integer(1024, 64 * 1024 * 1024).default(INFERENCE_DEFAULTS.maxBodyBytes),
  unknownFeatures: z
    .enum(['warn', 'reject'], { message: 'must be "warn" or "reject"' })
    .default(INFERENCE_DEFAULTS.unknownFeatures),
  missingFeatures: z
    .enum(['impute', 'reject'], { message: 'must be "impute" or "reject"' })
    .default(INFERENCE_DEFAULTS.missingFeatures),
  captureSampleRate: z.coerce
    .number({ message: 'must be a number' })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1')
    .default(INFERENCE_DEFAULTS.captureSampleRate),
  captureMaxRows: integer(1, 1_000_000).default(INFERENCE_DEFAULTS.captureMaxRows),
  captureMaxAgeSeconds: integer(0, 900).default(INFERENCE_DEFAULTS.captureMaxAgeSeconds),
  sagemakerEndpoint: z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be a SageMaker endpoint name')
    .optional(),
  modelRefreshSeconds: integer(1, 3600).default(INFERENCE_DEFAULTS.modelRefreshSeconds),
} satisfies Record<keyof typeof INFERENCE_ENV, z.ZodType>;

/**
 * Reads and validates the function's configuration; throws InferenceConfigError naming every
 * bad variable. Call once per container (the handler memoises it), never at import time.
 */
export function inferenceConfigFromEnv(processEnv: NodeJS.ProcessEnv = process.env): InferenceConfig {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  let env = processEnv;
  if (processEnv[RUNTIME_ENV.modelConfig]) {
    try {
      const model = modelConfigFromEnv(processEnv);
      const fromModel = inferenceEnvironment(model, { artifacts: '', monitoring: '' });
      delete fromModel[INFERENCE_ENV.artifactsBucket];
      delete fromModel[INFERENCE_ENV.monitoringBucket];
      env = { ...fromModel, ...definedOnly(processEnv) };
    } catch (error) {
      problems.push(`${RUNTIME_ENV.modelConfig}: ${(error as Error).message}`);
    }
  }
  for (const [field, schema] of Object.entries(fields) as [keyof typeof INFERENCE_ENV, z.ZodType][]) {
    const name = INFERENCE_ENV[field];
    const text = env[name];
    const result = schema.safeParse(text === undefined || text.trim() === '' ? undefined : text.trim());
    if (result.success) {
      if (result.data !== undefined) config[field] = result.data;
    } else {
      const received = text === undefined ? 'it is not set' : `received ${JSON.stringify(text)}`;
      problems.push(`${name}: ${result.error.issues[0]?.message ?? 'is invalid'} (${received})`);
    }
  }
  if (problems.length > 0) {
    throw new InferenceConfigError(
      `inference function misconfigured: ${problems.join('; ')}. The CDK app sets these from mlops.config; see INFERENCE_ENV in lambdas/inference/config.ts`,
    );
  }
  return config as unknown as InferenceConfig;
}

/**
 * The environment the deploying side gives the function for one model: every variable of
 * INFERENCE_ENV from the model's `endpoint` settings and the zone buckets.
 */
export function inferenceEnvironment(
  model: Pick<ModelConfig, 'name' | 'endpoint'>,
  buckets: { readonly artifacts: string; readonly monitoring: string },
  options: { readonly modelRefreshSeconds?: number } = {},
): Record<string, string> {
  const { endpoint } = model;
  return {
    [INFERENCE_ENV.modelName]: model.name,
    [INFERENCE_ENV.artifactsBucket]: buckets.artifacts,
    [INFERENCE_ENV.monitoringBucket]: buckets.monitoring,
    [INFERENCE_ENV.maxInstances]: String(endpoint.maxInstances),
    [INFERENCE_ENV.unknownFeatures]: endpoint.unknownFeatures,
    [INFERENCE_ENV.missingFeatures]: endpoint.missingFeatures,
    [INFERENCE_ENV.captureSampleRate]: String(endpoint.captureSampleRate),
    ...(endpoint.sagemakerEndpointName ? { [INFERENCE_ENV.sagemakerEndpoint]: endpoint.sagemakerEndpointName } : {}),
    [INFERENCE_ENV.modelRefreshSeconds]: String(options.modelRefreshSeconds ?? endpoint.modelRefreshSeconds),
  };
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value.trim() !== '') out[name] = value;
  return out;
}
