import middy from '@middy/core';
import { httpErrors, toHttpResponse } from '../../../lambdas/shared/error-middleware';
import { HttpError, type HttpResponse } from '../../../lambdas/shared/http';
import { matchRoute, requestLineOf } from '../../../lambdas/shared/routing';

const silent = { warn: () => undefined, error: () => undefined };
const routes = { '/': { GET: 'describe' }, '/predict': { POST: 'predict' } };
const event = (method: string, rawPath: string) => ({ rawPath, requestContext: { http: { method, path: rawPath } } });

function thrown(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('routing', () => {
  it('finds the handler of a known method and path, ignoring a trailing slash', () => {
    expect(matchRoute(routes, requestLineOf(event('post', '/predict/')))).toBe('predict');
  });

  it('answers 404 for an unknown path', () => {
    expect(thrown(() => matchRoute(routes, requestLineOf(event('GET', '/nope')))).statusCode).toBe(404);
  });

  it('answers 405 with an Allow header for a known path and another method', () => {
    // when DELETE /predict is routed
    const error = thrown(() => matchRoute(routes, requestLineOf(event('DELETE', '/predict'))));
    // then the allowed method is named
    expect(error.statusCode).toBe(405);
    expect(error.headers).toEqual({ allow: 'POST' });
  });

  it('treats a path named like an Object.prototype member as unknown', () => {
    expect(thrown(() => matchRoute(routes, requestLineOf(event('GET', 'constructor')))).statusCode).toBe(404);
  });

  it('answers 400 for an event without a method or path', () => {
    expect(thrown(() => requestLineOf({ body: '{}' })).statusCode).toBe(400);
  });
});

describe('error mapping', () => {
  it('sends an HttpError as a JSON error with its status and field', () => {
    // when a 400 naming a field is mapped
    const response = toHttpResponse(new HttpError(400, 'age must be a number', 'instances[0].age'), { logger: silent });
    // then the body carries message and field
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: { message: 'age must be a number', field: 'instances[0].age' },
    });
  });

  it('maps a domain error through the classifier', () => {
    // given a classifier that knows RangeError
    const classify = (error: unknown) => (error instanceof RangeError ? new HttpError(422, error.message) : undefined);
    // when a RangeError is mapped, then the classifier's status is used
    expect(toHttpResponse(new RangeError('out of range'), { classify, logger: silent }).statusCode).toBe(422);
  });

  it('hides the details of an unexpected error behind a 500', () => {
    // when a TypeError with internals is mapped
    const response = toHttpResponse(new TypeError('secret internals'), { logger: silent });
    // then the client sees a generic message
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret');
  });

  it('turns a throwing middy handler into a response instead of a rejection', async () => {
    // given a middy handler that throws
    const handler = middy<unknown, HttpResponse>()
      .use(httpErrors({ logger: silent }))
      .handler(async () => {
        throw new HttpError(413, 'too large');
      });
    // when invoked
    const response = await handler({}, {} as never);
    // then it resolves with the mapped response
    expect(response.statusCode).toBe(413);
  });
});
