import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import { classifyInferenceError, InferenceApp, type RequestOutcome } from '../../../lambdas/inference/app';
import { CAPTURE_BYTE_DEFAULTS, type CaptureRecord } from '../../../lambdas/inference/capture';
import type { InferenceConfig } from '../../../lambdas/inference/config';
import { inProcessBackend } from '../../../lambdas/inference/predict';
import { toHttpResponse } from '../../../lambdas/shared/error-middleware';
import type { HttpResponse } from '../../../lambdas/shared/http';
import type { CacheLogger } from '../../../lambdas/shared/model-cache';
import { publish, testConfig, trainChurnArtifact, urlEvent } from './fixtures';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const artifact = trainChurnArtifact();

async function setup(
  config: Partial<InferenceConfig> = {},
  options: { publish?: boolean; monitoring?: ObjectStore; logger?: CacheLogger } = {},
) {
  const artifacts = new MemoryObjectStore('artifacts');
  const monitoring = new MemoryObjectStore('monitoring');
  if (options.publish ?? true) await publish(artifacts, artifact);
  const nowMs = Date.parse('2026-11-29T10:15:00.000Z');
  const app = new InferenceApp({
    config: testConfig(config),
    artifacts,
    monitoring: options.monitoring ?? monitoring,
    backend: inProcessBackend,
    now: () => nowMs,
    logger: options.logger ?? silent,
  });
  /** What the handler does: the outcome's response, or the error mapped to one. */
  const call = async (method: string, path: string, body?: unknown): Promise<HttpResponse> => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    try {
      return (await app.handle(urlEvent(method, path, text), 'request-1')).response;
    } catch (error) {
      return toHttpResponse(error, { classify: classifyInferenceError, logger: silent });
    }
  };
  return { app, artifacts, monitoring, call };
}

const json = (response: HttpResponse) => JSON.parse(response.body);

describe('POST /predict', () => {
  it('scores every instance with the production model', async () => {
    // given the production model
    const { call } = await setup();
    // when two complete instances are sent
    const response = await call('POST', '/predict', {
      instances: [
        { age: 22, plan: 'basic', active: false },
        { age: 60, plan: 'team', active: true },
      ],
    });
    // then each gets a probability and a label, from version 1, without warnings
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(body.model).toEqual({ name: 'churn', version: 1 });
    expect(body.warnings).toEqual([]);
    expect(body.predictions).toHaveLength(2);
    for (const prediction of body.predictions) {
      expect(prediction.score).toBeGreaterThanOrEqual(0);
      expect(prediction.score).toBeLessThanOrEqual(1);
      expect(['yes', 'no']).toContain(prediction.label);
    }
    expect(body.predictions[0].score).toBeGreaterThan(body.predictions[1].score);
  });

  it('gives the same scores as the core scorer', async () => {
    const { app, call } = await setup();
    const instance = { age: 40, plan: 'pro', active: true };
    const body = json(await call('POST', '/predict', { instances: [instance] }));
    const { id, ...prediction } = body.predictions[0];
    expect(prediction).toEqual((await app.cache.get()).scorer.scoreRecord(instance));
    expect(id).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('ignores an unknown feature with a warning by default', async () => {
    const { call } = await setup();
    const body = json(
      await call('POST', '/predict', { instances: [{ age: 30, plan: 'pro', active: true, zip: '1' }] }),
    );
    expect(body.warnings).toEqual(['unknown feature "zip" ignored in 1 instance(s)']);
  });

  it('caps the warnings of a request full of unknown fields', async () => {
    // given one instance with 500 made-up fields
    const { call } = await setup();
    const instance = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`field${i}`, i]));
    // when scored, then 20 warnings and a count of the rest come back
    const body = json(await call('POST', '/predict', { instances: [instance] }));
    expect(body.warnings).toHaveLength(21);
    expect(body.warnings[20]).toMatch(/and \d+ more warning/);
  });

  it('rejects an unknown feature when configured to', async () => {
    const { call } = await setup({ unknownFeatures: 'reject' });
    const response = await call('POST', '/predict', { instances: [{ age: 30, plan: 'pro', active: true, zip: '1' }] });
    expect(response.statusCode).toBe(400);
    expect(json(response).error.field).toBe('zip');
  });

  it('imputes a missing feature with a warning by default', async () => {
    const { call } = await setup();
    const body = json(await call('POST', '/predict', { instances: [{ plan: 'pro', active: true }] }));
    expect(body.warnings).toEqual(['feature "age" missing in 1 instance(s); imputed as in training']);
    expect(Number.isFinite(body.predictions[0].score)).toBe(true);
  });

  it('rejects a missing feature naming it when configured to', async () => {
    const { call } = await setup({ missingFeatures: 'reject' });
    const response = await call('POST', '/predict', {
      instances: [{ age: 1, plan: 'pro', active: true }, { plan: 'pro' }],
    });
    expect(response.statusCode).toBe(400);
    expect(json(response).error.field).toBe('instances[1].age');
  });

  it('answers 400 naming the field of a wrongly typed feature', async () => {
    const { call } = await setup();
    const response = await call('POST', '/predict', { instances: [{ age: 'old', plan: 'pro', active: true }] });
    expect(response.statusCode).toBe(400);
    expect(json(response).error).toEqual({
      message: expect.stringMatching(/must be a number/),
      field: 'instances[0].age',
    });
  });

  it('answers 413 for a body over the configured size', async () => {
    const { call } = await setup({ maxBodyBytes: 1024 });
    const response = await call('POST', '/predict', { instances: [{ plan: 'x'.repeat(2000) }] });
    expect(response.statusCode).toBe(413);
  });

  it('answers 400 for more instances than the configured maximum', async () => {
    const { call } = await setup({ maxInstances: 2 });
    const response = await call('POST', '/predict', { instances: [{}, {}, {}] });
    expect(json(response).error.field).toBe('instances');
  });

  it('answers 503 with a clear message while no model is in production', async () => {
    const { call } = await setup({}, { publish: false });
    const response = await call('POST', '/predict', { instances: [{ age: 1 }] });
    expect(response.statusCode).toBe(503);
    expect(json(response).error.message).toMatch(/no production version yet/);
  });

  it('answers 400 for a bad request even while no model is in production', async () => {
    const { call } = await setup({}, { publish: false });
    expect((await call('POST', '/predict', '{not json')).statusCode).toBe(400);
  });
});

describe('GET /', () => {
  it("describes the serving model's name, version, schema and creation time", async () => {
    const { call } = await setup();
    const body = json(await call('GET', '/'));
    expect(body.model).toMatchObject({
      name: 'churn',
      version: 1,
      createdAt: '2026-11-29T10:00:00.000Z',
      alias: 'production',
    });
    expect(body.schema.features).toEqual(
      expect.arrayContaining([
        { name: 'age', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
        { name: 'active', type: 'boolean' },
      ]),
    );
    expect(body.target).toMatchObject({ name: 'churned', task: 'binary', positiveLabel: 'yes' });
  });

  it('answers 404 and 405 as JSON for other routes', async () => {
    const { call } = await setup();
    expect((await call('GET', '/models')).statusCode).toBe(404);
    expect((await call('PUT', '/')).statusCode).toBe(405);
  });
});

describe('echoed names', () => {
  const hugeName = `feature_${'x'.repeat(3 * 1024 * 1024)}`;

  it('answers a small 400 naming the clipped field when a 3 MB unknown field name is rejected', async () => {
    // given unknown features rejected
    const { call } = await setup({ unknownFeatures: 'reject' });
    // when an instance carries a 3 MB field name
    const response = await call('POST', '/predict', {
      instances: [{ age: 30, plan: 'pro', active: true, [hugeName]: 1 }],
    });
    // then the 400 is a few hundred bytes and names the field by its clipped start and length
    expect(response.statusCode).toBe(400);
    expect(response.body.length).toBeLessThan(2048);
    const { error } = json(response);
    expect(error.field).toBe(`${hugeName.slice(0, 100)}…(${hugeName.length} chars)`);
    expect(error.message).toContain(error.field);
  });

  it('answers a small 400 naming the clipped field when a 3 MB field name holds a number too large', async () => {
    const { call } = await setup();
    const response = await call('POST', '/predict', `{"instances":[{"${hugeName}":1e400}]}`);
    expect(response.statusCode).toBe(400);
    expect(response.body.length).toBeLessThan(2048);
    expect(json(response).error.field).toMatch(/^instances\[0\]\.feature_x+…\(\d+ chars\)$/);
  });

  it('warns about a 3 MB unknown field name by its clipped start, in a small response', async () => {
    const { call } = await setup();
    const response = await call('POST', '/predict', {
      instances: [{ age: 30, plan: 'pro', active: true, [hugeName]: 1 }],
    });
    expect(response.statusCode).toBe(200);
    expect(response.body.length).toBeLessThan(2048);
    expect(json(response).warnings).toEqual([
      `unknown feature "${hugeName.slice(0, 100)}…(${hugeName.length} chars)" ignored in 1 instance(s)`,
    ]);
  });
});

describe('capture', () => {
  it('buffers sampled requests and writes them once the buffer is due', async () => {
    // given every request sampled and a flush due after 3 rows
    const { app, call, monitoring } = await setup({ captureSampleRate: 1, captureMaxRows: 3 });
    // when two requests of 2 rows each are answered
    const instances = [
      { age: 30, plan: 'pro', active: true },
      { age: 50, plan: 'basic', active: false },
    ];
    await call('POST', '/predict', { instances });
    expect(app.capture.isDue(0)).toBe(false);
    await call('POST', '/predict', { instances });
    // and the due flush is started and finishes
    app.startDueFlush();
    await app.settled();
    // then one JSON Lines object under the hour partition holds both requests
    const keys = monitoring.keys().filter((key) => key.startsWith('capture/'));
    expect(keys).toEqual([expect.stringMatching(/^capture\/churn\/dt=2026-11-29\/hour=10\/.+\.jsonl$/)]);
    const text = new TextDecoder().decode((await monitoring.get(keys[0]!))!.body);
    const records: CaptureRecord[] = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ requestId: 'request-1', model: 'churn', version: 1, instances });
    expect(records[0]!.predictions).toHaveLength(2);
    expect(records[0]!.time).toBe('2026-11-29T10:15:00.000Z');
  });

  it('captures nothing when the sample rate is 0', async () => {
    const { app, call } = await setup({ captureSampleRate: 0 });
    const outcome: RequestOutcome = await app.handle(
      urlEvent('POST', '/predict', JSON.stringify({ instances: [{ age: 1 }] })),
      'r',
    );
    await call('POST', '/predict', { instances: [{ age: 1 }] });
    expect(outcome.captured).toBe(false);
    expect(app.capture.bufferedRecords).toBe(0);
  });

  it('serialises a sampled request into the buffer only after its response, in startDueFlush', async () => {
    // given every request sampled
    const { app, call } = await setup({ captureSampleRate: 1 });
    const add = jest.spyOn(app.capture, 'add');
    // when a request is answered, nothing is serialised yet
    await call('POST', '/predict', { instances: [{ age: 30, plan: 'pro', active: true }] });
    expect(add).not.toHaveBeenCalled();
    // then the step scheduled after the response buffers it
    app.startDueFlush();
    await app.settled();
    expect(add).toHaveBeenCalledTimes(1);
    expect(app.capture.bufferedRecords).toBe(1);
  });

  it('answers 200 when capture throws', async () => {
    // given every request sampled, and a capture buffer that throws
    const { app, call } = await setup({ captureSampleRate: 1 });
    jest.spyOn(app.capture, 'sample').mockImplementation(() => {
      throw new Error('capture broke');
    });
    // when a request is answered
    const response = await call('POST', '/predict', { instances: [{ age: 30, plan: 'pro', active: true }] });
    // then it is scored as if capture were off
    expect(response.statusCode).toBe(200);
    expect(json(response).predictions).toHaveLength(1);
  });

  it('keeps the capture buffer within its byte bound when multi-MB requests are sampled and S3 fails, and logs the drops', async () => {
    // given every request sampled, a monitoring zone that always fails, and a logger that keeps warnings
    const failing: ObjectStore = Object.assign(Object.create(new MemoryObjectStore('monitoring')), {
      put: async () => {
        throw new Error('S3 unavailable');
      },
    });
    const warnings: string[] = [];
    const logger: CacheLogger = {
      ...silent,
      warn: (message: string) => {
        warnings.push(message);
      },
    };
    const { app, call } = await setup({ captureSampleRate: 1 }, { monitoring: failing, logger });
    // when 8 requests of 1,000 rows and about 5.5 MB each are answered, each followed by its flush
    const instances = Array.from({ length: 1000 }, (_, i) => ({
      age: i % 80,
      plan: 'pro',
      active: true,
      note: 'x'.repeat(5400),
    }));
    const body = JSON.stringify({ instances });
    expect(body.length).toBeGreaterThan(5_400_000);
    let largest = 0;
    for (let i = 0; i < 8; i++) {
      const response = await call('POST', '/predict', body);
      expect(response.statusCode).toBe(200);
      app.startDueFlush();
      await app.settled();
      largest = Math.max(largest, app.capture.bufferedBytes);
    }
    // then capture never held more than its bound (44 MB were sampled), and the drops were counted and logged
    expect(largest).toBeLessThanOrEqual(CAPTURE_BYTE_DEFAULTS.maxBufferedBytes);
    expect(app.capture.drops.bufferFull).toBeGreaterThan(0);
    expect(warnings).toContain('capture buffer full; oldest records dropped');
  });
});

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The JSON Lines objects under a prefix of the store, parsed. */
async function linesUnder(store: MemoryObjectStore, prefix: string): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (const key of store.keys().filter((k) => k.startsWith(prefix))) {
    const text = new TextDecoder().decode((await store.get(key))!.body);
    for (const line of text.trim().split('\n')) lines.push(JSON.parse(line));
  }
  return lines;
}

const failingStore = (): ObjectStore =>
  Object.assign(Object.create(new MemoryObjectStore('monitoring')), {
    put: async () => {
      throw new Error('S3 unavailable');
    },
  });

describe('prediction ids', () => {
  const two = [
    { age: 22, plan: 'basic', active: false },
    { age: 60, plan: 'team', active: true },
  ];

  it('gives every prediction a new id of ours', async () => {
    const { call } = await setup();
    const body = json(await call('POST', '/predict', { instances: two }));
    const ids = body.predictions.map((prediction: { id: string }) => prediction.id);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(ULID);
    expect(new Set(ids).size).toBe(2);
  });

  it("returns the caller's ids from the configured field, which is not an unknown feature", async () => {
    // given order_id as the id field
    const { call } = await setup({ predictionIdField: 'order_id' });
    // when one instance carries an order id and the other none
    const body = json(await call('POST', '/predict', { instances: [{ ...two[0], order_id: 'o-17' }, two[1]] }));
    // then the first prediction has the caller's id, the second one of ours, and nothing warns
    expect(body.predictions[0].id).toBe('o-17');
    expect(body.predictions[1].id).toMatch(ULID);
    expect(body.warnings).toEqual([]);
  });

  it('scores an instance the same with and without its id field', async () => {
    const { call } = await setup({ predictionIdField: 'order_id' });
    const withId = json(await call('POST', '/predict', { instances: [{ ...two[0], order_id: 'o-1' }] }));
    const withoutId = json(await call('POST', '/predict', { instances: [two[0]] }));
    expect(withId.predictions[0].score).toBe(withoutId.predictions[0].score);
  });

  it('answers 400 naming a caller id used twice in one request', async () => {
    const { call, monitoring } = await setup({ predictionIdField: 'order_id' });
    const response = await call('POST', '/predict', {
      instances: [
        { ...two[0], order_id: 'o-1' },
        { ...two[1], order_id: 'o-1' },
      ],
    });
    expect(response.statusCode).toBe(400);
    expect(json(response).error).toEqual({
      message:
        'instances[1].order_id "o-1" repeats instances[0].order_id; prediction ids must be unique within a request',
      field: 'instances[1].order_id',
    });
    // and nothing was recorded
    expect(monitoring.keys()).toEqual([]);
  });

  it('answers 400 naming a caller id that is not a valid id', async () => {
    const { call } = await setup({ predictionIdField: 'order_id' });
    const response = await call('POST', '/predict', { instances: [{ ...two[0], order_id: ' o-1' }] });
    expect(response.statusCode).toBe(400);
    expect(json(response).error.field).toBe('instances[0].order_id');
    expect(json(response).error.message).toMatch(/must not start or end with a space/);
  });

  it('checks caller ids before a model is loaded', async () => {
    const { call } = await setup({ predictionIdField: 'order_id' }, { publish: false });
    const response = await call('POST', '/predict', { instances: [{ order_id: true }] });
    expect(response.statusCode).toBe(400);
    expect(json(response).error.message).toBe('instances[0].order_id must be a string, got a boolean');
  });
});

describe('prediction log', () => {
  const instances = [
    { age: 22, plan: 'basic', active: false },
    { age: 60, plan: 'team', active: true },
  ];

  it('records every prediction of a request as one batch under predictions/<model>/', async () => {
    // given the default config (log on, capture sampling off)
    const { app, monitoring } = await setup();
    // when a request is answered
    const outcome = await app.handle(urlEvent('POST', '/predict', JSON.stringify({ instances })), 'r1');
    const body = json(outcome.response);
    // then one batch in the request's hour holds a record per prediction, with its id, score and label
    expect(outcome.predictionLog).toBe('written');
    const keys = monitoring.keys();
    expect(keys).toEqual([expect.stringMatching(/^predictions\/churn\/dt=2026-11-29\/hour=10\/[0-9A-Z]{26}\.jsonl$/)]);
    const records = await linesUnder(monitoring, 'predictions/');
    expect(records).toEqual(
      body.predictions.map((prediction: { id: string; score: number; label: string }) => ({
        id: prediction.id,
        model: 'churn',
        version: 1,
        time: '2026-11-29T10:15:00.000Z',
        score: prediction.score,
        label: prediction.label,
      })),
    );
  });

  it("records each instance's feature values when the model trains on its feedback, and nothing else it held", async () => {
    // given a config whose training data includes the joined feedback rows
    const { app, monitoring } = await setup({ recordFeatures: true });
    // when a request with a field that is no feature is answered
    await app.handle(
      urlEvent('POST', '/predict', JSON.stringify({ instances: [{ ...instances[0], note: 'free text' }] })),
      'r1',
    );
    // then the record carries the model's features as scored
    const records = await linesUnder(monitoring, 'predictions/');
    expect(records[0].features).toEqual({ age: 22, plan: 'basic', active: false });
  });

  it('records nothing when predictions.log is off, and still returns ids', async () => {
    const { app, monitoring } = await setup({ logPredictions: false });
    const outcome = await app.handle(urlEvent('POST', '/predict', JSON.stringify({ instances })), 'r1');
    expect(outcome.predictionLog).toBe('off');
    expect(json(outcome.response).predictions[0].id).toMatch(ULID);
    expect(monitoring.keys()).toEqual([]);
  });

  it('answers the prediction when the log cannot be written, and logs the failure', async () => {
    // given a monitoring zone that fails every write
    const errors: string[] = [];
    const logger: CacheLogger = { ...silent, error: (message: string) => void errors.push(message) };
    const { app } = await setup({}, { monitoring: failingStore(), logger });
    // when a request is answered
    const outcome = await app.handle(urlEvent('POST', '/predict', JSON.stringify({ instances })), 'r1');
    // then the response is a 200 with ids, and the failure is reported for the metric and the log
    expect(outcome.response.statusCode).toBe(200);
    expect(json(outcome.response).predictions).toHaveLength(2);
    expect(outcome.predictionLog).toBe('failed');
    expect(errors).toContain(
      'prediction log write failed; the predictions were answered but are not recorded for the join',
    );
  });
});

describe('POST /feedback', () => {
  it('stores the actuals as one batch under actuals/<model>/ and answers 202 with counts', async () => {
    // given the endpoint
    const { app, monitoring } = await setup();
    // when three outcomes are posted, one id twice
    const actuals = [
      { id: 'o-1', label: 'yes' },
      { id: 'o-2', label: 0 },
      { id: 'o-1', label: 'no' },
    ];
    const outcome = await app.handle(urlEvent('POST', '/feedback', JSON.stringify({ actuals })), 'r1');
    // then the answer counts them, and one batch holds them stamped with the time received
    expect(outcome.response.statusCode).toBe(202);
    expect(json(outcome.response)).toEqual({ model: 'churn', accepted: 3, repeatedIds: 1 });
    expect(outcome.actuals).toBe(3);
    expect(monitoring.keys()).toEqual([
      expect.stringMatching(/^actuals\/churn\/dt=2026-11-29\/hour=10\/[0-9A-Z]{26}\.jsonl$/),
    ]);
    expect(await linesUnder(monitoring, 'actuals/')).toEqual(
      actuals.map((actual) => ({ ...actual, receivedAt: '2026-11-29T10:15:00.000Z' })),
    );
  });

  it('accepts outcomes while no model is served', async () => {
    const { call } = await setup({}, { publish: false });
    const response = await call('POST', '/feedback', { actuals: [{ id: 'a', label: 1 }] });
    expect(response.statusCode).toBe(202);
  });

  it.each([
    [{ actuals: [{ id: 'a' }] }, 'actuals[0].label', /actuals\[0\]\.label is required/],
    [{ actuals: [{ id: 'a', label: 'yes', score: 1 }] }, 'actuals[0].score', /unknown field "score"/],
    [{ actuals: [] }, 'actuals', /actuals is empty/],
    [{ outcomes: [] }, 'outcomes', /unknown field "outcomes"/],
  ])('answers 400 naming the field for %j', async (body, field, message) => {
    const { call, monitoring } = await setup();
    const response = await call('POST', '/feedback', body);
    expect(response.statusCode).toBe(400);
    expect(json(response).error.field).toBe(field);
    expect(json(response).error.message).toMatch(message);
    expect(monitoring.keys()).toEqual([]);
  });

  it('answers 413 for a body over the predict limit', async () => {
    const { call } = await setup({ maxBodyBytes: 1024 });
    const actuals = Array.from({ length: 100 }, (_, i) => ({ id: `order-${i}`, label: 'yes' }));
    expect((await call('POST', '/feedback', { actuals })).statusCode).toBe(413);
  });

  it('answers 503 with retry-after when the actuals cannot be stored', async () => {
    const { call } = await setup({}, { monitoring: failingStore() });
    const response = await call('POST', '/feedback', { actuals: [{ id: 'a', label: 1 }] });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });

  it('answers 405 to GET', async () => {
    const { call } = await setup();
    const response = await call('GET', '/feedback');
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
  });
});
