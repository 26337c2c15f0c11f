import {
  type InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  ServiceUnavailable,
} from '@aws-sdk/client-sagemaker-runtime';
import { Scorer } from '../../../core/score/scorer';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { classifyInferenceError, InferenceApp } from '../../../lambdas/inference/app';
import { inProcessBackend } from '../../../lambdas/inference/predict';
import { sageMakerBackend } from '../../../lambdas/inference/sagemaker';
import { sageMakerInvoker } from '../../../lambdas/inference/sagemaker-client';
import { toHttpResponse } from '../../../lambdas/shared/error-middleware';
import { publish, testConfig, trainChurnArtifact, urlEvent } from './fixtures';

/**
 * There is no local SageMaker: the real SDK client is used with its `send` replaced, playing an
 * endpoint that scores the CSV rows with the same model. Only a deployed endpoint shows the real
 * network round trip and the container's own CSV handling.
 */
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const artifact = trainChurnArtifact();
/** The fitted learner alone, as a SageMaker container would hold it (features in, score out). */
const model = new Scorer(artifact).model;
const instances = [
  { age: 22, plan: 'basic', active: false },
  { age: 60, plan: 'team', active: true },
  { plan: 'pro', zip: '12345' },
];

async function appWith(send: (command: InvokeEndpointCommand) => Promise<unknown>) {
  const artifacts = new MemoryObjectStore('artifacts');
  await publish(artifacts, artifact);
  const client = new SageMakerRuntimeClient({ region: 'us-east-1' });
  const sent: InvokeEndpointCommand[] = [];
  client.send = (async (command: InvokeEndpointCommand) => {
    sent.push(command);
    return send(command);
  }) as typeof client.send;
  const options = { config: testConfig(), artifacts, monitoring: new MemoryObjectStore('m'), logger: silent };
  const sagemaker = new InferenceApp({
    ...options,
    backend: sageMakerBackend(sageMakerInvoker(client, 'churn-endpoint')),
  });
  const local = new InferenceApp({ ...options, backend: inProcessBackend });
  const call = async (app: InferenceApp) => {
    try {
      return (await app.handle(urlEvent('POST', '/predict', JSON.stringify({ instances })), 'r')).response;
    } catch (error) {
      return toHttpResponse(error, { classify: classifyInferenceError, logger: silent });
    }
  };
  return { sagemaker, local, sent, call };
}

/** An endpoint that applies the model to the CSV feature rows it receives. */
async function scoringEndpoint(command: InvokeEndpointCommand) {
  const scores = String(command.input.Body)
    .split('\n')
    .map((row) => model.predictRow(Float64Array.from(row.split(','), Number)));
  return { Body: new TextEncoder().encode(scores.join('\n')), ContentType: 'text/csv' };
}

describe('SageMaker backend', () => {
  it('sends the transformed features as CSV and answers what in-process scoring answers', async () => {
    // given the same model behind a (simulated) SageMaker endpoint and in the function
    const { sagemaker, local, sent, call } = await appWith(scoringEndpoint);
    await local.cache.get();
    // when the same request is scored both ways
    const viaSageMaker = JSON.parse((await call(sagemaker)).body);
    const inProcess = JSON.parse((await call(local)).body);
    // then the endpoint got one CSV row per instance, and the answers agree
    expect(sent).toHaveLength(1);
    expect(sent[0]!.input).toMatchObject({
      EndpointName: 'churn-endpoint',
      ContentType: 'text/csv',
      Accept: 'text/csv',
    });
    const rows = String(sent[0]!.input.Body).split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]!.split(',')).toHaveLength(local.cache.current!.scorer.pipeline.features.length);
    const withoutIds = (body: { predictions: { id: string }[] }) => ({
      ...body,
      predictions: body.predictions.map(({ id: _id, ...prediction }) => prediction),
    });
    expect(withoutIds(viaSageMaker)).toEqual(withoutIds(inProcess));
  });

  it('rejects invalid input before calling the endpoint', async () => {
    const { sagemaker, sent } = await appWith(scoringEndpoint);
    await expect(
      sagemaker.handle(urlEvent('POST', '/predict', JSON.stringify({ instances: [{ age: 'old' }] })), 'r'),
    ).rejects.toThrow(/must be a number/);
    expect(sent).toHaveLength(0);
  });

  it("answers 502 with SageMaker's message when the model container fails", async () => {
    const { sagemaker, call } = await appWith(async () => {
      throw new ModelError({ message: 'Received server error (500) from primary', $metadata: {} });
    });
    const response = await call(sagemaker);
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(response.body).error.message).toMatch(
      /churn-endpoint failed \(ModelError\): Received server error/,
    );
  });

  it('answers 503 with Retry-After when the endpoint is unavailable', async () => {
    const { sagemaker, call } = await appWith(async () => {
      throw new ServiceUnavailable({ message: 'try later', $metadata: {} });
    });
    const response = await call(sagemaker);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
  });

  it('answers 502 when the endpoint returns the wrong number of scores', async () => {
    const { sagemaker, call } = await appWith(async () => ({
      Body: new TextEncoder().encode('0.5'),
      ContentType: 'text/csv',
    }));
    expect((await call(sagemaker)).statusCode).toBe(502);
  });
});
