import { clipText } from '../../core/text/clip';

/**
 * HTTP vocabulary shared by the functions behind a Function URL (payload format 2.0): the typed
 * error a logic function throws, and the one JSON shape every error response has.
 */

/** Function URL (payload format 2.0) response, as the handlers return it. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** `{"error": {"message", "field"?}}`: the body of every 4xx and 5xx response. */
export interface ErrorBody {
  readonly error: { readonly message: string; readonly field?: string };
}

/**
 * An error that already knows its HTTP status. Logic functions throw it (or a domain error the
 * handler's classifier maps to it); the error middleware turns it into a JSON response.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    /** The request field at fault, e.g. `instances[3].age`. */
    readonly field?: string,
    /** Extra response headers, e.g. `Allow` on a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, field?: string): HttpError => new HttpError(400, message, field);

export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Longest message and field an error response carries: the callers clip what they echo, this bounds whatever they missed. */
export const MAX_ERROR_MESSAGE_CHARS = 2000;
export const MAX_ERROR_FIELD_CHARS = 400;

export function errorResponse(error: HttpError): HttpResponse {
  const message = clipText(error.message, MAX_ERROR_MESSAGE_CHARS);
  const body: ErrorBody = {
    error: error.field === undefined ? { message } : { message, field: clipText(error.field, MAX_ERROR_FIELD_CHARS) },
  };
  return jsonResponse(error.statusCode, body, error.headers);
}
