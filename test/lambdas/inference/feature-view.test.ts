import type { ModelArtifact } from '../../../core/artifact/format';
import { type FeatureViewInput, featureViewSchema } from '../../../core/config/feature-view-schema';
import { tableFromRecords } from '../../../core/data/table';
import { MemoryOnlineFeatureStore, type OnlineFeatureStore } from '../../../core/feature-views/online-store';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { trainModel } from '../../../core/train/train';
import { classifyInferenceError, InferenceApp } from '../../../lambdas/inference/app';
import type { InferenceConfig } from '../../../lambdas/inference/config';
import { inProcessBackend } from '../../../lambdas/inference/predict';
import { toHttpResponse } from '../../../lambdas/shared/error-middleware';
import type { HttpResponse } from '../../../lambdas/shared/http';
import { churnRecords, publish, testConfig, trainChurnArtifact, urlEvent } from './fixtures';

/** POST /predict of a model with a feature view (issue 15), over the in-memory online store. */
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const artifact = trainChurnArtifact();
const NOW_MS = Date.parse('2026-11-29T10:15:00.000Z');
const CUSTOMERS = {
  c1: { age: 22, plan: 'basic', active: false },
  c2: { age: 60, plan: 'team', active: true },
} as const;

async function setup(
  options: {
    view?: Partial<FeatureViewInput>;
    config?: Partial<InferenceConfig>;
    store?: OnlineFeatureStore;
    ageHours?: number;
    artifact?: ModelArtifact;
  } = {},
) {
  const artifacts = new MemoryObjectStore('artifacts');
  const monitoring = new MemoryObjectStore('monitoring');
  await publish(artifacts, options.artifact ?? artifact);
  const memory = new MemoryOnlineFeatureStore();
  await memory.write(
    'customer',
    Object.entries(CUSTOMERS).map(([entityKey, values]) => ({
      entityKey,
      eventTimeMicros: (NOW_MS - (options.ageHours ?? 1) * 3_600_000) * 1000,
      viewVersion: 'v1',
      // The store holds numbers and text; a boolean feature is stored as its text.
      values: { ...values, active: String(values.active) },
    })),
  );
  const view = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', ...options.view });
  const app = new InferenceApp({
    config: testConfig({ featureLookup: { view, table: 'mlops-features' }, ...options.config }),
    artifacts,
    monitoring,
    backend: inProcessBackend,
    featureStore: options.store ?? memory,
    now: () => NOW_MS,
    logger: silent,
  });
  const call = async (body: unknown, query = ''): Promise<HttpResponse> => {
    const event = { ...urlEvent('POST', '/predict', JSON.stringify(body)), rawQueryString: query };
    const withQuery = query
      ? { ...event, queryStringParameters: Object.fromEntries(new URLSearchParams(query)) }
      : event;
    try {
      return (await app.handle(withQuery, 'request-1')).response;
    } catch (error) {
      return toHttpResponse(error, { classify: classifyInferenceError, logger: silent });
    }
  };
  return { app, call, monitoring, memory };
}

const json = (response: HttpResponse) => JSON.parse(response.body);
const withoutIds = (predictions: Array<Record<string, unknown>>) => predictions.map(({ id: _id, ...rest }) => rest);

async function linesUnder(store: MemoryObjectStore, prefix: string): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (const key of store.keys().filter((k) => k.startsWith(prefix))) {
    const text = new TextDecoder().decode((await store.get(key))!.body);
    for (const line of text.trim().split('\n')) lines.push(JSON.parse(line));
  }
  return lines;
}

describe('POST /predict with a feature view', () => {
  it('scores an entity-only request the same as a full request with the same values', async () => {
    // Given two stored customers
    const { call } = await setup();
    // When one request sends only the keys and another every feature
    const byKey = json(await call({ instances: [{ customer_id: 'c1' }, { customer_id: 'c2' }] }));
    const full = json(await call({ instances: [CUSTOMERS.c1, CUSTOMERS.c2] }));
    // Then the scores and labels are the same, and the first says its features came from the store
    expect(byKey.predictions.map((p: { score: number }) => p.score)).toEqual(
      full.predictions.map((p: { score: number }) => p.score),
    );
    expect(byKey.predictions.map((p: { label: string }) => p.label)).toEqual(
      full.predictions.map((p: { label: string }) => p.label),
    );
    expect(byKey.predictions[0].from_store).toEqual(['age', 'plan', 'active']);
    expect(full.predictions[0].from_store).toEqual([]);
    expect(byKey.warnings).toEqual([]);
  });

  it('keeps the entity key as the prediction id when it is also predictions.idField', async () => {
    const { call } = await setup({ config: { predictionIdField: 'customer_id' } });
    const byKey = json(await call({ instances: [{ customer_id: 'c2' }] }));
    const full = json(await call({ instances: [CUSTOMERS.c2] }));
    expect(byKey.predictions[0]).toMatchObject({ id: 'c2', score: full.predictions[0].score });
  });

  it('lets the values a request sends win over the stored ones', async () => {
    const { call } = await setup();
    const mixed = json(await call({ instances: [{ customer_id: 'c1', age: 60 }] }));
    const full = json(await call({ instances: [{ ...CUSTOMERS.c1, age: 60 }] }));
    expect(withoutIds(mixed.predictions)).toEqual([
      { ...withoutIds(full.predictions)[0], from_store: ['plan', 'active'] },
    ]);
  });

  it('says which features came from the store in the MLflow response form too, and for every request format', async () => {
    const { call } = await setup();
    const mlflow = json(
      await call({ dataframe_split: { columns: ['customer_id'], data: [['c2']] } }, 'response=mlflow'),
    );
    expect(Object.keys(mlflow)).toEqual(['predictions']);
    expect(mlflow.predictions[0].from_store).toEqual(['age', 'plan', 'active']);
    const inputs = json(await call({ inputs: { customer_id: ['c2'], age: [61] } }));
    expect(inputs.predictions[0].from_store).toEqual(['plan', 'active']);
  });

  it('imputes an unknown entity and warns, by default', async () => {
    const { call } = await setup();
    const body = json(await call({ instances: [{ customer_id: 'c1' }, { customer_id: 'nobody' }] }));
    expect(body.predictions[1].from_store).toEqual([]);
    expect(body.warnings).toContainEqual(
      'feature view "customer": 1 entity not in the online store, features imputed: "nobody" (instances[1].customer_id)',
    );
  });

  it('rejects a request with an unknown entity under onMissingEntity reject (400 naming the field)', async () => {
    const { call } = await setup({ view: { onMissingEntity: 'reject' } });
    const response = await call({ instances: [{ customer_id: 'c1' }, { customer_id: 'nobody' }] });
    expect(response.statusCode).toBe(400);
    expect(json(response).error.message).toMatch(
      /instances\[1\]\.customer_id: entity "nobody" is not in feature view "customer"/,
    );
  });

  it('treats stored values older than the TTL as missing', async () => {
    // Given rows 2 hours old and a TTL of one hour
    const { call } = await setup({ view: { ttlSeconds: 3600 }, ageHours: 2 });
    const body = json(await call({ instances: [{ customer_id: 'c1' }] }));
    const imputed = json(await call({ instances: [{}] }));
    expect(body.predictions[0].from_store).toEqual([]);
    expect(body.predictions[0].score).toBe(imputed.predictions[0].score);
    expect(body.warnings.join(' ')).toMatch(/older than ttlSeconds 3600/);
  });

  it('answers 503 naming the table when the store cannot be read, never imputing everything', async () => {
    const failing: OnlineFeatureStore = {
      read: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4567')),
      write: () => Promise.reject(new Error('unused')),
    };
    const { call } = await setup({ store: failing });
    const response = await call({ instances: [{ customer_id: 'c1' }] });
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('5');
    expect(json(response).error.message).toMatch(
      /DynamoDB table mlops-features.*feature view "customer".*ECONNREFUSED/,
    );
  });

  it('captures and logs the merged features, without the entity key', async () => {
    const { app, call, monitoring } = await setup({
      config: { captureSampleRate: 1, captureMaxAgeSeconds: 0, recordFeatures: true },
    });
    await call({ instances: [{ customer_id: 'c1' }] });
    app.startDueFlush();
    await app.settled();
    const [captured] = await linesUnder(monitoring, 'capture/');
    expect(captured!.instances).toEqual([{ age: 22, plan: 'basic', active: 'false' }]);
    const [logged] = await linesUnder(monitoring, 'predictions/');
    expect(logged!.features).toEqual({ age: 22, plan: 'basic', active: 'false' });
  });

  it('explains the merged features', async () => {
    // Given a tree model (explanations are TreeSHAP)
    const gbdt = trainModel(tableFromRecords(churnRecords(300, 5)), {
      target: 'churned',
      positiveLabel: 'yes',
      learner: 'gbdt',
      learnerParams: { gbdt: { nEstimators: 10, maxDepth: 3 } },
      seed: 42,
      dataSha256: 'd'.repeat(64),
      createdAt: '2026-11-29T10:00:00.000Z',
    });
    const { call } = await setup({ artifact: gbdt });
    const byKey = json(await call({ instances: [{ customer_id: 'c2' }] }, 'explain=true'));
    const full = json(await call({ instances: [CUSTOMERS.c2] }, 'explain=true'));
    expect(byKey.predictions[0].explanation).toEqual(full.predictions[0].explanation);
    expect(byKey.predictions[0].from_store).toEqual(['age', 'plan', 'active']);
    expect(byKey.fromStore).toBeUndefined();
  });
});
