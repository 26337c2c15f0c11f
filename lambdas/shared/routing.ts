import { clipText } from '../../core/text/clip';
import { HttpError } from './http';

/** What a Function URL event (payload format 2.0) says about the request line. */
export interface RequestLine {
  readonly method: string;
  readonly path: string;
}

/** Reads method and path defensively: a malformed event is a 400, not a TypeError. */
export function requestLineOf(event: unknown): RequestLine {
  const record = (typeof event === 'object' && event !== null ? event : {}) as {
    rawPath?: unknown;
    requestContext?: { http?: { method?: unknown; path?: unknown } };
  };
  const http = record.requestContext?.http;
  const method = typeof http?.method === 'string' ? http.method.toUpperCase() : undefined;
  const path =
    typeof record.rawPath === 'string' ? record.rawPath : typeof http?.path === 'string' ? http.path : undefined;
  if (method === undefined || path === undefined) {
    throw new HttpError(400, 'the event is not a Function URL request (payload format 2.0): no method or path');
  }
  return { method, path: normalizePath(path) };
}

/** `/predict/` and `/predict` are the same route; an empty path is `/`. */
function normalizePath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return trimmed === '' ? '/' : trimmed;
}

/** path -> method -> handler */
export type Routes<T> = Readonly<Record<string, Readonly<Partial<Record<string, T>>>>>;

/** The handler for a request line; 404 for an unknown path, 405 (with `Allow`) for a known path and another method. */
export function matchRoute<T>(routes: Routes<T>, line: RequestLine): T {
  const methods = Object.hasOwn(routes, line.path) ? routes[line.path] : undefined;
  if (!methods) {
    throw new HttpError(404, `no route for ${clipText(line.path)}; routes: ${Object.keys(routes).join(', ')}`, 'path');
  }
  const handler = Object.hasOwn(methods, line.method) ? methods[line.method] : undefined;
  if (handler === undefined) {
    const allowed = Object.keys(methods).join(', ');
    throw new HttpError(
      405,
      `${clipText(line.method)} is not allowed on ${clipText(line.path)}; use ${allowed}`,
      'method',
      {
        allow: allowed,
      },
    );
  }
  return handler;
}
