import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { DynamoDbOnlineFeatureStore } from '../../../adapters/dynamodb-feature-store';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { RUNTIME_ENV } from '../../../core/config/runtime-env';
import { FEATURE_TABLE_ENV } from '../../../core/feature-views/layout';
import { FEATURE_VIEW_ENV } from '../../../core/feature-views/serving-env';
import type { InferenceApp } from '../../../lambdas/inference/app';
import { INFERENCE_ENV } from '../../../lambdas/inference/config';
import { createInferenceHandler, inferenceAppFromEnv } from '../../../lambdas/inference/handler';
import { type DynaliteTable, startDynaliteTable } from '../../support/dynalite-table';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';
import { churnRecords, MODEL, publish, trainChurnArtifact, urlEvent } from './fixtures';

/**
 * The deployed inference path of a model with a feature view: config from the environment, the
 * registry on the local S3 endpoint, the online store on dynalite, all through the real SDK clients.
 */
const ARTIFACTS = 'artifacts';
const MONITORING = 'monitoring';
const context = { awsRequestId: 'req-fv-1', functionName: 'inference' } as Context;
const VIEW = { name: 'customer', entityKey: 'customer_id', onMissingEntity: 'impute' };
const customers = churnRecords(100, 11).map(({ age, plan, active }, index) => ({
  customer_id: `c${index}`,
  age: age as number,
  plan: plan as string,
  active: active as boolean,
}));

let s3: LocalS3Harness;
let dynamo: DynaliteTable;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3Harness([ARTIFACTS, MONITORING]), startDynaliteTable()]);
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.AWS_REGION = 'us-east-1';
  await publish(new S3ObjectStore(s3.client, ARTIFACTS), trainChurnArtifact({ seed: 1 }));
  // Materialized as the online-store helper's loader writes them: numbers and text.
  await new DynamoDbOnlineFeatureStore(dynamo.client, dynamo.table).write(
    'customer',
    customers.map(({ customer_id, ...values }) => ({
      entityKey: customer_id,
      eventTimeMicros: Date.now() * 1000,
      viewVersion: 'v1',
      values: { ...values, active: String(values.active) },
    })),
  );
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([s3.stop(), dynamo.stop()]);
});

function deployedHandler(env: Record<string, string> = {}) {
  const logger = new Logger({ serviceName: 'inference-test', logLevel: 'SILENT' });
  const fullEnv = {
    [RUNTIME_ENV.modelConfig]: JSON.stringify({
      name: MODEL,
      target: 'churned',
      positiveLabel: 'yes',
      featureView: 'customer',
    }),
    [INFERENCE_ENV.artifactsBucket]: ARTIFACTS,
    [INFERENCE_ENV.monitoringBucket]: MONITORING,
    [FEATURE_VIEW_ENV]: JSON.stringify(VIEW),
    [FEATURE_TABLE_ENV]: dynamo.table,
    AWS_ENDPOINT_URL_S3: s3.server.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    ...env,
  };
  let app: InferenceApp | undefined;
  const handler = createInferenceHandler({
    app: () => {
      app ??= inferenceAppFromEnv(logger, fullEnv);
      return app;
    },
    logger,
  });
  return async (body: unknown) => {
    const response = await handler(urlEvent('POST', '/predict', JSON.stringify(body)), context);
    return { statusCode: response.statusCode, body: JSON.parse(response.body) };
  };
}

const scores = (body: { predictions: Array<{ score: number }> }) => body.predictions.map((p) => p.score);

describe('inference handler with a feature view, over dynalite and the local S3 endpoint', () => {
  it('scores 100 entity-only instances the same as the full instances, with one BatchGetItem', async () => {
    // Given the deployed handler, warmed by one request
    const predict = deployedHandler();
    await predict({ instances: [{ customer_id: 'c0' }] });
    dynamo.operations.clear();
    // When 100 instances send only their key
    const byKey = await predict({ instances: customers.map(({ customer_id }) => ({ customer_id })) });
    // Then one BatchGetItem read them all
    expect(Object.fromEntries(dynamo.operations)).toEqual({ BatchGetItem: 1 });
    // And the scores equal those of the full instances
    const full = await predict({ instances: customers.map(({ customer_id: _key, ...features }) => features) });
    expect(byKey.statusCode).toBe(200);
    expect(scores(byKey.body)).toEqual(scores(full.body));
    expect(byKey.body.predictions[0].from_store).toEqual(['age', 'plan', 'active']);
    expect(byKey.body.warnings).toEqual([]);
  });

  it('imputes an unknown entity with a warning', async () => {
    const predict = deployedHandler();
    const response = await predict({ instances: [{ customer_id: 'c1' }, { customer_id: 'stranger' }] });
    expect(response.statusCode).toBe(200);
    expect(response.body.warnings).toContainEqual(expect.stringMatching(/not in the online store.*"stranger"/));
  });

  it('answers 503 naming the table when the table does not exist', async () => {
    const predict = deployedHandler({ [FEATURE_TABLE_ENV]: 'no-such-table' });
    const response = await predict({ instances: [{ customer_id: 'c1' }] });
    expect(response.statusCode).toBe(503);
    expect(response.body.error.message).toMatch(/DynamoDB table no-such-table.*feature view "customer"/);
  });

  it('answers 500 naming the variables when a model with a view is deployed without them', async () => {
    const predict = deployedHandler({ [FEATURE_TABLE_ENV]: '', [FEATURE_VIEW_ENV]: '' });
    const response = await predict({ instances: [{ customer_id: 'c1' }] });
    expect(response.statusCode).toBe(500);
    expect(response.body.error.message).toMatch(/MLOPS_FEATURE_TABLE: is not set.*MLOPS_FEATURE_VIEW: is not set/);
  });
});
