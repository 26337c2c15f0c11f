import type { MiddlewareObj } from '@middy/core';
import { clipText } from '../../core/text/clip';
import { errorResponse, HttpError, type HttpResponse, MAX_ERROR_FIELD_CHARS, MAX_ERROR_MESSAGE_CHARS } from './http';

/** The slice of a logger the middleware needs (Powertools' Logger fits). */
export interface ErrorLogger {
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export interface HttpErrorOptions {
  /**
   * Maps a domain error (e.g. the scorer's InputError) to an HttpError; undefined passes it on.
   * @default - only HttpError is known
   */
  readonly classify?: (error: unknown) => HttpError | undefined;
  /** @default - console */
  readonly logger?: ErrorLogger;
  /** Message of the 500 sent for an unexpected error; internals are logged, never sent. */
  readonly unexpectedMessage?: string;
}

const defaults: Required<HttpErrorOptions> = {
  classify: () => undefined,
  logger: console,
  unexpectedMessage: 'internal error; the function logged the details under this request id',
};

/** Maps any error to a JSON response; 4xx are logged as warnings, anything else as errors. */
export function toHttpResponse(error: unknown, options: HttpErrorOptions = {}): HttpResponse {
  const { classify, logger, unexpectedMessage } = { ...defaults, ...options };
  let known: HttpError | undefined;
  if (error instanceof HttpError) known = error;
  else {
    try {
      known = classify(error);
    } catch (classifyError) {
      logger.error('error classifier threw', { error: classifyError });
    }
  }
  if (known && known.statusCode < 500) {
    logger.warn('request rejected', {
      statusCode: known.statusCode,
      message: clipText(known.message, MAX_ERROR_MESSAGE_CHARS),
      field: known.field === undefined ? undefined : clipText(known.field, MAX_ERROR_FIELD_CHARS),
    });
    return errorResponse(known);
  }
  if (known) {
    logger.error('request failed', { statusCode: known.statusCode, message: known.message, error: known });
    return errorResponse(known);
  }
  logger.error('unexpected error', { error });
  return errorResponse(new HttpError(500, unexpectedMessage));
}

/**
 * middy middleware: the last line of defence, so a handler never lets an exception reach the
 * Lambda runtime (which would answer the Function URL with a bare 502).
 */
export function httpErrors(options: HttpErrorOptions = {}): MiddlewareObj<unknown, HttpResponse> {
  return {
    name: 'httpErrors',
    onError: (request) => {
      request.response = toHttpResponse(request.error, options);
    },
  };
}
