import { defaultsFor } from '../../../core/config/parse';
import { modelConfigToEnv, RUNTIME_ENV } from '../../../core/config/runtime-env';
import { INFERENCE_ENV, InferenceConfigError, inferenceConfigFromEnv } from '../../../lambdas/inference/config';
import { parseJsonRequest } from '../../../lambdas/inference/request-formats';
import { HttpError } from '../../../lambdas/shared/http';

function rejection(body: unknown, maxInstances = 3): HttpError {
  try {
    parseJsonRequest(body, maxInstances);
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
}

describe('parseJsonRequest', () => {
  it('returns the instances of a valid request, as sent and as columns', () => {
    const instances = [{ age: 3, plan: 'pro', active: false, note: null }];
    const request = parseJsonRequest({ instances }, 3).tableFor({
      featureNames: [],
      numericFeatures: new Set(),
      knownColumns: new Set(),
    });
    expect(request.records()).toEqual(instances);
    expect(request.table).toEqual({
      columnNames: ['age', 'plan', 'active', 'note'],
      columns: [[3], ['pro'], [false], [null]],
      rowCount: 1,
    });
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
  const churn = { name: 'churn', target: 'churned', positiveLabel: 'yes' };
  const required = {
    [RUNTIME_ENV.modelConfig]: modelConfigToEnv(defaultsFor(churn)),
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
      logPredictions: true,
    });
  });

  it('names every missing or malformed variable with the value received', () => {
    // given a model config with a sample rate above 1, and no monitoring bucket
    const env = {
      ...required,
      [RUNTIME_ENV.modelConfig]: JSON.stringify({ ...churn, endpoint: { captureSampleRate: 1.5 } }),
      [INFERENCE_ENV.monitoringBucket]: undefined,
    };
    // when read, then both are named
    expect(() => inferenceConfigFromEnv(env)).toThrow(InferenceConfigError);
    expect(() => inferenceConfigFromEnv(env)).toThrow(
      /MLOPS_MODEL_CONFIG: [\s\S]*endpoint\.captureSampleRate: endpoint\.captureSampleRate must be between 0 and 1 \(received 1\.5\)[\s\S]*MLOPS_MONITORING_BUCKET: is required \(it is not set\)/,
    );
  });

  it("takes the model name and endpoint settings from the model's config JSON", () => {
    // given the CDK app's MLOPS_MODEL_CONFIG with endpoint settings
    const modelConfig = JSON.stringify({
      name: 'fraud',
      target: 'is_fraud',
      positiveLabel: 'yes',
      endpoint: { maxInstances: 200, unknownFeatures: 'reject', captureSampleRate: 0.25 },
    });
    // when read
    const config = inferenceConfigFromEnv({ ...required, [RUNTIME_ENV.modelConfig]: modelConfig });
    // then the config supplies the model, with the schema's defaults for the rest
    expect(config).toMatchObject({
      modelName: 'fraud',
      maxInstances: 200,
      unknownFeatures: 'reject',
      missingFeatures: 'impute',
      captureSampleRate: 0.25,
    });
  });

  it('records feature values with each prediction only for a model that trains on its feedback', () => {
    // given
    const model = (source: string) =>
      JSON.stringify({ name: 'churn', target: 'churned', positiveLabel: 'yes', training: { data: { source } } });
    // when read, then
    expect(
      inferenceConfigFromEnv({ ...required, [RUNTIME_ENV.modelConfig]: model('window-and-feedback') }).recordFeatures,
    ).toBe(true);
    expect(inferenceConfigFromEnv({ ...required, [RUNTIME_ENV.modelConfig]: model('window') }).recordFeatures).toBe(
      undefined,
    );
  });

  it('reads the endpoint settings from the model config only, not from variables of their own', () => {
    // given variables that once overrode the model config's endpoint settings
    const env = { ...required, MLOPS_MODEL_NAME: 'other', MLOPS_CAPTURE_SAMPLE_RATE: '0.5', MLOPS_MAX_INSTANCES: '7' };
    // when read, then the model config decides
    expect(inferenceConfigFromEnv(env)).toMatchObject({
      modelName: 'churn',
      captureSampleRate: 0.1,
      maxInstances: 1000,
    });
  });

  it("keeps the local platform's capture age override", () => {
    // given MLOPS_CAPTURE_MAX_AGE_SECONDS=0, as local/platform.ts sets it for inference
    const env = { ...required, [INFERENCE_ENV.captureMaxAgeSeconds]: '0' };
    // when read, then each sampled request is written at once
    expect(inferenceConfigFromEnv(env).captureMaxAgeSeconds).toBe(0);
  });

  it('names MLOPS_MODEL_CONFIG when it is not valid JSON', () => {
    const env = { ...required, [RUNTIME_ENV.modelConfig]: '{oops' };
    expect(() => inferenceConfigFromEnv(env)).toThrow(/MLOPS_MODEL_CONFIG: [\s\S]*is not JSON/);
  });

  it('names MLOPS_MODEL_CONFIG when it is not set', () => {
    const env = { ...required, [RUNTIME_ENV.modelConfig]: undefined };
    expect(() => inferenceConfigFromEnv(env)).toThrow(/MLOPS_MODEL_CONFIG: [\s\S]*is not set/);
  });

  it('reads back every endpoint setting the CDK app writes for a model config', () => {
    // given a model's endpoint settings as the CDK app has them
    const model = defaultsFor({
      ...churn,
      endpoint: {
        reservedConcurrency: 10,
        maxInstances: 50,
        unknownFeatures: 'reject',
        missingFeatures: 'reject',
        captureSampleRate: 0.5,
        modelRefreshSeconds: 30,
        sagemakerEndpointName: 'big-model',
      },
    });
    // when turned into the environment lib/inference-endpoint.ts sets and read back
    const config = inferenceConfigFromEnv({ ...required, [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model) });
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
