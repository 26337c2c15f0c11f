import type { PlatformConfig } from '../../core/config/schema';
import { createAdminRoute } from '../../local/admin-routes';
import type { FunctionUrlEvent } from '../../local/function-url-server';

const config = { models: [{ name: 'churn' }] } as unknown as PlatformConfig;

function request(method: string, rawPath: string, body?: string): FunctionUrlEvent {
  return { rawPath, body, requestContext: { http: { method } } } as unknown as FunctionUrlEvent;
}

type Monitor = (model: string, windowHours?: number) => Promise<unknown>;

function route(runDrift: Monitor, runQuality: Monitor = async () => ({ status: 'quality' })) {
  return createAdminRoute({
    config,
    runDrift,
    runQuality,
  });
}

describe('createAdminRoute', () => {
  it('answers 404 naming the path for anything but POST drift or quality', async () => {
    const response = await route(async () => ({}))(request('GET', '/drift/churn'));

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error.message).toBe('unknown admin action /drift/churn');
  });

  it('answers 404 naming a model the config does not have', async () => {
    const response = await route(async () => ({}))(request('POST', '/drift/other'));

    expect(JSON.parse(response.body).error.message).toBe('unknown model "other"');
  });

  it('answers 404 for the stream route that records now reach through the local Kinesis', async () => {
    const response = await route(async () => ({}))(request('POST', '/stream/churn', '{"lines":[]}'));

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error.message).toBe('unknown admin action /stream/churn');
  });

  it('runs the drift monitor with the window of the body and returns its summary', async () => {
    const calls: Array<[string, number | undefined]> = [];
    const response = await route(async (model, windowHours) => {
      calls.push([model, windowHours]);
      return { status: 'checked' };
    })(request('POST', '/drift/churn', '{"windowHours":6}'));

    expect(calls).toEqual([['churn', 6]]);
    expect(response).toEqual({ statusCode: 200, body: '{"status":"checked"}' });
  });

  it('answers 500 with the message when the drift monitor fails', async () => {
    const response = await route(async () => {
      throw new Error('no production model');
    })(request('POST', '/drift/churn'));

    expect(response).toEqual({ statusCode: 500, body: '{"error":{"message":"no production model"}}' });
  });

  it('runs the quality monitor for POST quality/<model>, with the window of the body', async () => {
    const calls: Array<[string, number | undefined]> = [];
    const response = await route(
      async () => ({ status: 'drift' }),
      async (model, windowHours) => {
        calls.push([model, windowHours]);
        return { status: 'ok' };
      },
    )(request('POST', '/quality/churn', '{"windowHours":48}'));

    expect(calls).toEqual([['churn', 48]]);
    expect(response).toEqual({ statusCode: 200, body: '{"status":"ok"}' });
  });
});

describe('createAdminRoute: score', () => {
  const withSchedule = {
    models: [{ name: 'churn', batchScoring: { schedule: 'rate(1 day)' } }, { name: 'plain' }],
  } as unknown as PlatformConfig;
  const scoreRoute = (runBatchScoring: (model: string) => Promise<unknown>) =>
    createAdminRoute({
      config: withSchedule,
      runDrift: async () => ({}),
      runQuality: async () => ({}),
      runBatchScoring,
    });

  it('runs the model’s scheduled batch-scoring job and answers with the finished job', async () => {
    const started: string[] = [];
    const response = await scoreRoute(async (model) => {
      started.push(model);
      return { status: 'SUCCEEDED' };
    })(request('POST', '/score/churn'));

    expect(started).toEqual(['churn']);
    expect(response).toEqual({ statusCode: 200, body: '{"status":"SUCCEEDED"}' });
  });

  it('answers 404 for a model without a batch-scoring schedule, starting nothing', async () => {
    const started: string[] = [];
    const response = await scoreRoute(async (model) => {
      started.push(model);
      return {};
    })(request('POST', '/score/plain'));

    expect(started).toEqual([]);
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error.message).toBe(
      'model "plain" has no batch-scoring schedule (batchScoring.schedule in the config)',
    );
  });
});

describe('createAdminRoute: features', () => {
  const withView = {
    models: [{ name: 'churn' }],
    featureViews: [{ name: 'customer', materialize: { shards: 3 } }],
  } as unknown as PlatformConfig;
  const calls: Array<[string, number]> = [];
  const features = createAdminRoute({
    config: withView,
    runDrift: async () => ({}),
    runQuality: async () => ({}),
    runFeatureBackfill: async (view, shards) => {
      calls.push([view, shards]);
      return { status: 'SUCCEEDED' };
    },
  });
  beforeEach(() => {
    calls.length = 0;
  });

  it("runs the view's backfill with the configured shards, or the body's", async () => {
    expect(JSON.parse((await features(request('POST', '/features/customer'))).body)).toEqual({ status: 'SUCCEEDED' });
    await features(request('POST', '/features/customer', '{"shards":5}'));
    expect(calls).toEqual([
      ['customer', 3],
      ['customer', 5],
    ]);
  });

  it('answers 404 for a view the config does not have and 400 for a bad shard count, starting nothing', async () => {
    expect((await features(request('POST', '/features/other'))).statusCode).toBe(404);
    const bad = await features(request('POST', '/features/customer', '{"shards":0}'));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.message).toBe('shards must be 1 to 10000, received 0');
    expect(calls).toEqual([]);
  });
});
