import type { PlatformConfig } from '../core/config/schema';
import type { FunctionUrlEvent } from './function-url-server';

/**
 * Local-only admin routes for the command line (under ADMIN_ROUTE): what on AWS is a Lambda
 * invoke or a console click. `POST drift/<model>` runs the drift monitor now, `POST
 * quality/<model>` the quality monitor (join, report, policy); `POST score/<model>` fires the
 * model's batch-scoring schedule now and answers when the job ends. Stream records go through the
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
}

const MONITOR_ACTIONS = new Set(['drift', 'quality', 'score']);

export function createAdminRoute(deps: AdminRouteDeps) {
  return async (event: FunctionUrlEvent): Promise<AdminResponse> => {
    const [action, model] = event.rawPath.split('/').filter(Boolean);
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
