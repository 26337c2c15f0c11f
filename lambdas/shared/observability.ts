import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';
import { METRICS_NAMESPACE, RUNTIME_ENV } from '../../core/config/runtime-env';
import { clipText } from '../../core/text/clip';
import { type HttpErrorOptions, httpErrors } from './error-middleware';
import type { HttpResponse } from './http';
import { requestLineOf } from './routing';

/**
 * The logger of every function, built one way: the service name the CDK app sets
 * (POWERTOOLS_SERVICE_NAME = the function's kind), else the kind given here.
 */
export function functionLogger(defaultService: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return new Logger({ serviceName: env[RUNTIME_ENV.serviceName] ?? defaultService });
}

/** The metrics of every function that publishes any, in METRICS_NAMESPACE unless the environment says otherwise. */
export function functionMetrics(defaultService: string, env: NodeJS.ProcessEnv = process.env): Metrics {
  return new Metrics({
    namespace: env[RUNTIME_ENV.metricsNamespace] || METRICS_NAMESPACE,
    serviceName: env[RUNTIME_ENV.serviceName] ?? defaultService,
  });
}

/** The Lambda context (request id, cold start) on every log line; keys appended during a request are dropped after it. */
export function logContext<E, R>(logger: Logger): MiddlewareObj<E, R> {
  return injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj<E, R>;
}

/**
 * Logs a failed invocation once, with the error's name (what Step Functions' Catch matches on),
 * then lets the error go on unchanged. `beforeRethrow` may still edit the error (the steps clip it).
 */
export function logFailures<E, R>(
  logger: Pick<Logger, 'error'>,
  message: string,
  beforeRethrow?: (error: Error) => void,
): MiddlewareObj<E, R> {
  return {
    name: 'logFailures',
    onError: (request) => {
      const error = request.error as Error | null;
      logger.error(message, { errorName: error?.name, error: error ?? undefined });
      if (error && beforeRethrow) beforeRethrow(error);
    },
  };
}

export interface HttpMiddlewareOptions {
  readonly logger: Logger;
  /** @default - no metrics (EMF) middleware */
  readonly metrics?: Metrics;
  /** Maps the handler's domain errors to HTTP. @default - only HttpError is known */
  readonly classify?: HttpErrorOptions['classify'];
  /** One line per request (method, path, status, duration). @default true */
  readonly accessLog?: boolean;
  /** Milliseconds, for the access log's duration. @default performance.now */
  readonly now?: () => number;
}

/**
 * The middleware every Function URL handler uses, in order: Lambda context on every log line,
 * metrics flushed after each invocation (a cold-start metric, and a request count by status
 * class), an access log line, and the error mapping that guarantees a JSON response instead of
 * a runtime error.
 */
export function httpMiddlewares(options: HttpMiddlewareOptions): MiddlewareObj<unknown, HttpResponse>[] {
  const middlewares: MiddlewareObj<unknown, HttpResponse>[] = [logContext(options.logger)];
  if (options.metrics) {
    middlewares.push(
      logMetrics(options.metrics, { captureColdStartMetric: true }) as MiddlewareObj<unknown, HttpResponse>,
      requestMetrics(options.metrics),
    );
  }
  if (options.accessLog ?? true) middlewares.push(accessLog(options.logger, options.now));
  middlewares.push(httpErrors({ classify: options.classify, logger: options.logger }));
  return middlewares;
}

/**
 * Logs each request once it has a response. Registered before httpErrors: middy runs onError
 * middlewares in reverse order, so on a failure this one sees the response httpErrors mapped.
 */
export function accessLog(
  logger: Pick<Logger, 'info'>,
  now: () => number = () => performance.now(),
): MiddlewareObj<unknown, HttpResponse> {
  const started = new WeakMap<object, number>();
  const line = (request: { event: unknown; response: HttpResponse | null; context: object }) => {
    let method = '?';
    let path = '?';
    try {
      ({ method, path } = requestLineOf(request.event));
    } catch {
      // A malformed event is logged with placeholders; its 400 was already decided.
    }
    const startedAt = started.get(request.context);
    logger.info('request', {
      method,
      path: clipText(path),
      statusCode: request.response?.statusCode,
      durationMs: startedAt === undefined ? undefined : Math.round((now() - startedAt) * 1000) / 1000,
    });
  };
  return {
    name: 'accessLog',
    before: (request) => {
      started.set(request.context, now());
    },
    after: (request) => line(request),
    onError: (request) => line(request),
  };
}

/**
 * Counts every request (`Requests`) and its status class (`Responses4xx`, `Responses5xx`), so each
 * invocation publishes at least one metric (Powertools warns on every empty flush otherwise).
 * Registered after logMetrics: its `after`/`onError` run first and add before the flush.
 */
export function requestMetrics(metrics: Pick<Metrics, 'addMetric'>): MiddlewareObj<unknown, HttpResponse> {
  const count = (response: HttpResponse | null) => {
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    const status = response?.statusCode ?? 500;
    if (status >= 500) metrics.addMetric('Responses5xx', MetricUnit.Count, 1);
    else if (status >= 400) metrics.addMetric('Responses4xx', MetricUnit.Count, 1);
  };
  return {
    name: 'requestMetrics',
    after: (request) => count(request.response),
    onError: (request) => count(request.response),
  };
}
