import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { httpErrors } from '../../../lambdas/shared/error-middleware';
import { HttpError, type HttpResponse, jsonResponse } from '../../../lambdas/shared/http';
import { httpMiddlewares, requestMetrics } from '../../../lambdas/shared/observability';

const context = { awsRequestId: 'req-9', functionName: 'fn' } as Context;
const event = (method: string, rawPath: string) => ({ rawPath, requestContext: { http: { method, path: rawPath } } });

function recordingLogger() {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const lines: Array<Record<string, unknown>> = [];
  logger.info = ((message: string, extra: Record<string, unknown>) => {
    lines.push({ message, ...extra });
  }) as typeof logger.info;
  return { logger, lines };
}

function handlerThat(run: () => Promise<HttpResponse>, logger: Logger) {
  let clock = 0;
  return middy<unknown, HttpResponse>()
    .use(httpMiddlewares({ logger, now: () => (clock += 5) }))
    .handler(run);
}

describe('httpMiddlewares', () => {
  it('logs one access line with method, path, status and duration for a success', async () => {
    // given a handler that answers 200
    const { logger, lines } = recordingLogger();
    const handler = handlerThat(async () => jsonResponse(200, { ok: true }), logger);
    // when invoked
    await handler(event('GET', '/'), context);
    // then one access line describes it
    expect(lines).toEqual([{ message: 'request', method: 'GET', path: '/', statusCode: 200, durationMs: 5 }]);
  });

  it('logs the mapped status of a failed request', async () => {
    // given a handler that throws a 404
    const { logger, lines } = recordingLogger();
    const handler = handlerThat(async () => {
      throw new HttpError(404, 'no route');
    }, logger);
    // when invoked, then the response is the mapped 404 and the access line says so
    expect((await handler(event('GET', '/x'), context)).statusCode).toBe(404);
    expect(lines).toEqual([expect.objectContaining({ method: 'GET', path: '/x', statusCode: 404 })]);
  });

  it('counts each request and its status class after the error mapping', async () => {
    // given request metrics registered before the error mapping, as httpMiddlewares does
    const added: string[] = [];
    const metrics = { addMetric: (name: string) => added.push(name) };
    const silent = { warn: () => undefined, error: () => undefined };
    const handler = middy<unknown, HttpResponse>()
      .use(requestMetrics(metrics as never))
      .use(httpErrors({ logger: silent }))
      .handler(async (input: unknown) => {
        if ((input as { fail?: boolean }).fail) throw new HttpError(400, 'bad');
        return jsonResponse(200, {});
      });
    // when one request succeeds and one is rejected
    await handler({}, context);
    await handler({ fail: true }, context);
    // then both are counted and the rejection is a 4xx
    expect(added).toEqual(['Requests', 'Requests', 'Responses4xx']);
  });
});
