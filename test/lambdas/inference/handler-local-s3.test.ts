import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { RUNTIME_ENV } from '../../../core/config/runtime-env';
import { ModelRegistry } from '../../../core/registry/registry';
import type { InferenceApp } from '../../../lambdas/inference/app';
import { INFERENCE_ENV } from '../../../lambdas/inference/config';
import { createInferenceHandler, inferenceAppFromEnv } from '../../../lambdas/inference/handler';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';
import { MODEL, publish, trainChurnArtifact, urlEvent } from './fixtures';

/**
 * The deployed path end to end, against the local S3 endpoint with the real @aws-sdk/client-s3:
 * config from the environment, the registry read through S3ObjectStore, capture written to the
 * monitoring bucket.
 */
const ARTIFACTS = 'artifacts';
const MONITORING = 'monitoring';
const context = {
  awsRequestId: 'req-local-1',
  functionName: 'inference',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:inference',
  memoryLimitInMB: '512',
} as Context;

let harness: LocalS3Harness;
const savedEnv = { ...process.env };

beforeAll(async () => {
  harness = await startLocalS3Harness([ARTIFACTS, MONITORING]);
  // The SDK's default credential chain reads these; the local endpoint accepts any key.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.AWS_REGION = 'us-east-1';
});

afterAll(async () => {
  process.env = savedEnv;
  await harness.stop();
});

function deployedHandler(extraEnv: Record<string, string> = {}, endpoint: Record<string, unknown> = {}) {
  const logger = new Logger({ serviceName: 'inference-test', logLevel: 'SILENT' });
  const env = {
    // As lib/inference-endpoint.ts sets it: the model's config as JSON.
    [RUNTIME_ENV.modelConfig]: JSON.stringify({ name: MODEL, target: 'churned', positiveLabel: 'yes', endpoint }),
    [INFERENCE_ENV.artifactsBucket]: ARTIFACTS,
    [INFERENCE_ENV.monitoringBucket]: MONITORING,
    AWS_ENDPOINT_URL_S3: harness.server.endpoint,
    ...extraEnv,
  };
  let app: InferenceApp | undefined;
  const handler = createInferenceHandler({
    app: () => {
      app ??= inferenceAppFromEnv(logger, env);
      return app;
    },
    logger,
  });
  return { handler, app: () => app! };
}

const invoke = async (handler: ReturnType<typeof deployedHandler>['handler'], event: unknown) => {
  const response = await handler(event, context);
  return { statusCode: response.statusCode, body: JSON.parse(response.body) };
};

describe('inference handler over the local S3 endpoint', () => {
  const artifacts = () => new S3ObjectStore(harness.client, ARTIFACTS);

  it('answers 503 before any model is promoted, then serves the promoted one', async () => {
    // given an empty registry
    const { handler, app } = deployedHandler();
    const predictEvent = urlEvent(
      'POST',
      '/predict',
      JSON.stringify({ instances: [{ age: 30, plan: 'pro', active: true }] }),
    );
    // when a request arrives, then it is a 503 naming the problem
    const before = await invoke(handler, predictEvent);
    expect(before.statusCode).toBe(503);
    expect(before.body.error.message).toMatch(/no production version yet/);
    // when version 1 is registered and promoted and the interval has passed
    await publish(artifacts(), trainChurnArtifact({ seed: 1 }));
    app().cache.invalidate();
    const after = await invoke(handler, predictEvent);
    // then it is served
    expect(after.statusCode).toBe(200);
    expect(after.body.model).toEqual({ name: MODEL, version: 1 });
  });

  it('describes the model on GET / and writes captured requests to the monitoring bucket', async () => {
    // given every request captured and a flush due at the first request
    const { handler, app } = deployedHandler({ [INFERENCE_ENV.captureMaxRows]: '1' }, { captureSampleRate: 1 });
    // when the model is described and one prediction is made
    const described = await invoke(handler, urlEvent('GET', '/'));
    const predicted = await invoke(
      handler,
      urlEvent(
        'POST',
        '/predict',
        Buffer.from(JSON.stringify({ instances: [{ age: 61, plan: 'team' }] })).toString('base64'),
        true,
      ),
    );
    await app().settled();
    // then the description names the version served, and the capture object holds the request
    expect(described.body.model.name).toBe(MODEL);
    expect(predicted.body.warnings).toEqual(['feature "active" missing in 1 instance(s); imputed as in training']);
    const captured = await new S3ObjectStore(harness.client, MONITORING).list(`capture/${MODEL}/`);
    expect(captured).toHaveLength(1);
    const object = await new S3ObjectStore(harness.client, MONITORING).get(captured[0]!.key);
    const line = JSON.parse(new TextDecoder().decode(object!.body).trim());
    expect(line).toMatchObject({ requestId: 'req-local-1', model: MODEL, instances: [{ age: 61, plan: 'team' }] });
    expect(line.version).toBe(described.body.model.version);
  });

  it('serves a promotion made through S3 after the refresh interval', async () => {
    // given a handler serving the current production version
    const { handler, app } = deployedHandler();
    const servedBefore = (await invoke(handler, urlEvent('GET', '/'))).body.model.version;
    // when a new version is promoted and the interval passes
    const promoted = await publish(artifacts(), trainChurnArtifact({ seed: 3 }));
    app().cache.invalidate();
    const servedAfter = (await invoke(handler, urlEvent('GET', '/'))).body.model.version;
    // then the new version is served, and a rollback is served the same way
    expect(servedAfter).toBe(promoted);
    expect(servedAfter).not.toBe(servedBefore);
    await new ModelRegistry({ store: artifacts() }).rollback(MODEL);
    app().cache.invalidate();
    expect((await invoke(handler, urlEvent('GET', '/'))).body.model.version).toBe(servedBefore);
  });

  it('answers 500 naming the variable when the function is misconfigured, without crashing', async () => {
    const { handler } = deployedHandler({}, { unknownFeatures: 'ignore' });
    const response = await invoke(handler, urlEvent('GET', '/'));
    expect(response.statusCode).toBe(500);
    expect(response.body.error.message).toMatch(
      /MLOPS_MODEL_CONFIG: [\s\S]*endpoint\.unknownFeatures: [\s\S]*\(received "ignore"\)/,
    );
  });
});
