import { RUNTIME_ENV } from '../../../core/config/runtime-env';
import {
  INFERENCE_ENV,
  InferenceConfigError,
  inferenceConfigFromEnv,
  inferenceEnvironment,
} from '../../../lambdas/inference/config';
import { parsePredictRequest } from '../../../lambdas/inference/request';
import { HttpError } from '../../../lambdas/shared/http';

function rejection(body: unknown, maxInstances = 3): HttpError {
  try {
    parsePredictRequest(body, maxInstances);
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
}

describe('parsePredictRequest', () => {
  it('returns the instances of a valid request', () => {
    const instances = [{ age: 3, plan: 'pro', active: false, note: null }];
    expect(parsePredictRequest({ instances }, 3)).toEqual(instances);
  });

  it.each([
    ['a list body', [], undefined],
    ['a string body', 'x', undefined],
    ['no instances', {}, 'instances'],
    ['instances not a list', { instances: { age: 1 } }, 'instances'],
    ['no rows', { instances: [] }, 'instances'],
    ['too many rows', { instances: [{}, {}, {}, {}] }, 'instances'],
    ['a row that is a number', { instances: [{}, 7] }, 'instances[1]'],
    ['a row that is a list', { instances: [[1, 2]] }, 'instances[0]'],
    ['a nested object value', { instances: [{ age: { value: 3 } }] }, 'instances[0].age'],
    ['a list value', { instances: [{ age: [3] }] }, 'instances[0].age'],
    ['an unknown top-level field', { instances: [{}], instance: [] }, 'instance'],
  ])('answers 400 for %s, naming the field', (_case, body, field) => {
    const error = rejection(body);
    expect(error.statusCode).toBe(400);
    expect(error.field).toBe(field);
  });

  it('says how many rows were sent and the limit', () => {
    expect(rejection({ instances: [{}, {}, {}, {}] }).message).toMatch(/4 rows; at most 3/);
  });
});

describe('inferenceConfigFromEnv', () => {
  const required = {
    [INFERENCE_ENV.modelName]: 'churn',
    [INFERENCE_ENV.artifactsBucket]: 'artifacts-bucket',
    [INFERENCE_ENV.monitoringBucket]: 'monitoring-bucket',
  };

  it('applies the documented defaults', () => {
    expect(inferenceConfigFromEnv(required)).toEqual({
      modelName: 'churn',
      artifactsBucket: 'artifacts-bucket',
      monitoringBucket: 'monitoring-bucket',
      maxInstances: 1000,
      maxBodyBytes: 6 * 1024 * 1024,
      unknownFeatures: 'warn',
      missingFeatures: 'impute',
      captureSampleRate: 0.1,
      captureMaxRows: 1000,
      captureMaxAgeSeconds: 60,
      modelRefreshSeconds: 60,
    });
  });

  it('names every missing or malformed variable with the value received', () => {
    // given no model name and a sample rate above 1
    const env = { ...required, [INFERENCE_ENV.modelName]: undefined, [INFERENCE_ENV.captureSampleRate]: '1.5' };
    // when read, then both variables are named
    expect(() => inferenceConfigFromEnv(env)).toThrow(InferenceConfigError);
    expect(() => inferenceConfigFromEnv(env)).toThrow(
      /MLOPS_MODEL_NAME: is required \(it is not set\).*MLOPS_CAPTURE_SAMPLE_RATE: must be between 0 and 1 \(received "1.5"\)/,
    );
  });

  it("takes the model name and endpoint settings from the model's config JSON, overridden by explicit variables", () => {
    // given the CDK app's MLOPS_MODEL_CONFIG with endpoint settings, and one explicit override
    const modelConfig = JSON.stringify({
      name: 'fraud',
      target: 'is_fraud',
      positiveLabel: 'yes',
      endpoint: { maxInstances: 200, unknownFeatures: 'reject', captureSampleRate: 0.25 },
    });
    const env = {
      [RUNTIME_ENV.modelConfig]: modelConfig,
      [INFERENCE_ENV.artifactsBucket]: 'artifacts-bucket',
      [INFERENCE_ENV.monitoringBucket]: 'monitoring-bucket',
      [INFERENCE_ENV.captureSampleRate]: '0.5',
    };
    // when read
    const config = inferenceConfigFromEnv(env);
    // then the config supplies the model, and the explicit variable wins
    expect(config).toMatchObject({
      modelName: 'fraud',
      maxInstances: 200,
      unknownFeatures: 'reject',
      missingFeatures: 'impute',
      captureSampleRate: 0.5,
    });
  });

  it('names MLOPS_MODEL_CONFIG when it is not valid JSON', () => {
    const env = { ...required, [RUNTIME_ENV.modelConfig]: '{oops' };
    expect(() => inferenceConfigFromEnv(env)).toThrow(/MLOPS_MODEL_CONFIG: [\s\S]*is not JSON/);
  });

  it('reads back what inferenceEnvironment writes for a model config', () => {
    // given a model's endpoint settings as the CDK app has them
    const endpoint = {
      auth: 'AWS_IAM' as const,
      acknowledgePublicAccess: false,
      reservedConcurrency: 10,
      maxInstances: 50,
      unknownFeatures: 'reject' as const,
      missingFeatures: 'reject' as const,
      captureSampleRate: 0.5,
      modelRefreshSeconds: 30,
      sagemakerEndpointName: 'big-model',
    };
    // when turned into an environment and read back
    const env = inferenceEnvironment({ name: 'churn', endpoint }, { artifacts: 'a-bucket', monitoring: 'm-bucket' });
    const config = inferenceConfigFromEnv(env);
    // then the settings survive the round trip
    expect(config).toMatchObject({
      modelName: 'churn',
      maxInstances: 50,
      unknownFeatures: 'reject',
      missingFeatures: 'reject',
      captureSampleRate: 0.5,
      sagemakerEndpoint: 'big-model',
      modelRefreshSeconds: 30,
    });
  });
});
