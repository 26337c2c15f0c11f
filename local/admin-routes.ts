import type { PlatformConfig } from '../core/config/schema';
import type { FunctionUrlEvent } from './function-url-server';

/**
 * Local-only admin routes for the command line (under ADMIN_ROUTE): what on AWS is a Lambda
 * invoke or a console click. `POST drift/<model>` runs the drift monitor now, `POST
 * quality/<model>` the quality monitor (join, report, policy); `POST score/<model>` fires the
 * model's batch-scoring schedule now and answers when the job ends; `POST features/<view>` with
 * `{"shards": n}` submits the feature backfill job (an array of n children) and answers when it
 * ends. Stream records go through the
 * local Kinesis (`mlops stream put`, or `aws kinesis put-record`), not through a route.
 */
export interface AdminResponse {
  readonly statusCode: number;
  readonly body: string;
}

export interface AdminRouteDeps {
  readonly config: PlatformConfig;
  readonly runDrift: (model: string, windowHours?: number) => Promise<unknown>;
  readonly runQuality: (model: string, windowHours?: number) => Promise<unknown>;
  readonly runBatchScoring?: (model: string) => Promise<unknown>;
  /** Set when the config has feature views. */
  readonly runFeatureBackfill?: (view: string, shards: number) => Promise<unknown>;
}

const MONITOR_ACTIONS = new Set(['drift', 'quality', 'score']);

export function createAdminRoute(deps: AdminRouteDeps) {
  return async (event: FunctionUrlEvent): Promise<AdminResponse> => {
    const [action, model] = event.rawPath.split('/').filter(Boolean);
    if (action === 'features' && model && event.requestContext.http.method === 'POST') {
      return featureBackfill(deps, model, event.body);
    }
    if (event.requestContext.http.method !== 'POST' || !MONITOR_ACTIONS.has(action) || !model) {
      return {
        statusCode: 404,
        body: JSON.stringify({ error: { message: `unknown admin action ${event.rawPath}` } }),
      };
    }
    const modelConfig = deps.config.models.find((m) => m.name === model);
    if (!modelConfig) {
      return { statusCode: 404, body: JSON.stringify({ error: { message: `unknown model "${model}"` } }) };
    }
    if (action === 'score') {
      if (!modelConfig.batchScoring?.schedule || !deps.runBatchScoring) {
        return {
          statusCode: 404,
          body: JSON.stringify({
            error: { message: `model "${model}" has no batch-scoring schedule (batchScoring.schedule in the config)` },
          }),
        };
      }
      try {
        return { statusCode: 200, body: JSON.stringify(await deps.runBatchScoring(model)) };
      } catch (error) {
        return { statusCode: 500, body: JSON.stringify({ error: { message: (error as Error).message } }) };
      }
    }
    const { windowHours } = JSON.parse(event.body || '{}') as { windowHours?: number };
    try {
      const run = action === 'quality' ? deps.runQuality : deps.runDrift;
      return { statusCode: 200, body: JSON.stringify(await run(model, windowHours)) };
    } catch (error) {
      return { statusCode: 500, body: JSON.stringify({ error: { message: (error as Error).message } }) };
    }
  };
}

async function featureBackfill(deps: AdminRouteDeps, view: string, body: string | undefined): Promise<AdminResponse> {
  const viewConfig = deps.config.featureViews.find((candidate) => candidate.name === view);
  if (!viewConfig || !deps.runFeatureBackfill) {
    return { statusCode: 404, body: JSON.stringify({ error: { message: `unknown feature view "${view}"` } }) };
  }
  const { shards = viewConfig.materialize.shards } = JSON.parse(body || '{}') as { shards?: number };
  if (!Number.isInteger(shards) || shards < 1 || shards > 10000) {
    return {
      statusCode: 400,
      body: JSON.stringify({ error: { message: `shards must be 1 to 10000, received ${shards}` } }),
    };
  }
  try {
    return { statusCode: 200, body: JSON.stringify(await deps.runFeatureBackfill(view, shards)) };
  } catch (error) {
    return { statusCode: 500, body: JSON.stringify({ error: { message: (error as Error).message } }) };
  }
}
