import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ConsoleData } from '../core/console/console-data';
import type { ConsoleFeatureView } from '../core/console/feature-views';
import { RegistryError } from '../core/registry/registry';
import { MODEL_NAME_PATTERN } from '../core/workflow/layout';
import { REPO_ROOT } from '../lib/lambda-entries';
import type { FunctionUrlEvent } from '../local/function-url-server';
import type { ConsoleActions } from './actions';

/**
 * The console's HTTP route: static pages, JSON reads under api/, and the write actions. It is a
 * Function-URL-style handler so the local platform mounts it on its HTTP port at /ui/ and `mlops
 * ui` mounts it on a loopback server of its own (local/function-url-server.ts in both cases).
 *
 * Safety: both servers listen on loopback only; every request must name a loopback Host (a DNS
 * rebinding page cannot read either); writes need the per-session token (sent by the page as a
 * header, which a cross-origin form cannot set), a JSON body, and an Origin and Sec-Fetch-Site of
 * this origin when the browser sends them.
 */
export interface ConsoleRouteOptions {
  readonly data: ConsoleData;
  readonly actions: ConsoleActions;
  /** The per-session token, printed with the console's URL. */
  readonly token: string;
  /** The config's feature views with the models that read them, shown read-only. @default [] */
  readonly featureViews?: readonly ConsoleFeatureView[];
  /** Where a run's logs are: file paths locally, a console link deployed. */
  readonly logsLocation?: (model: string, runId: string) => string[];
  /** Shown in the page header: "local platform" or the stack's name. */
  readonly label?: string;
}

export interface ConsoleResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export const CONSOLE_TOKEN_HEADER = 'x-console-token';

const STATIC_FILES: Readonly<Record<string, { file: () => string; type: string }>> = {
  '': { file: () => join(REPO_ROOT, 'console/static/index.html'), type: 'text/html; charset=utf-8' },
  'app.js': { file: () => join(REPO_ROOT, 'console/static/app.js'), type: 'text/javascript; charset=utf-8' },
  'style.css': { file: () => join(REPO_ROOT, 'console/static/style.css'), type: 'text/css; charset=utf-8' },
  // The chart library from the package (pinned in package.json), never a CDN.
  'vendor/uPlot.js': { file: () => uplotFile('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'vendor/uPlot.css': { file: () => uplotFile('uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

function uplotFile(name: string): string {
  return createRequire(join(REPO_ROOT, 'console', 'server.ts')).resolve(`uplot/dist/${name}`);
}

const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** A stored report is shown in a sandboxed frame: its own inline script and styles, no network, no access to the console. */
const REPORT_POLICY =
  "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function createConsoleRoute(options: ConsoleRouteOptions) {
  const staticCache = new Map<string, string>();
  const readStatic = (path: string): string => {
    const cached = staticCache.get(path);
    if (cached !== undefined) return cached;
    const text = readFileSync(STATIC_FILES[path]!.file(), 'utf8');
    staticCache.set(path, text);
    return text;
  };

  return async (event: FunctionUrlEvent): Promise<ConsoleResponse> => {
    const method = event.requestContext.http.method;
    const host = event.headers.host ?? '';
    if (!isLoopbackHost(host) || !isLoopbackAddress(event.requestContext.http.sourceIp)) {
      return json(403, { error: { message: 'the console answers loopback requests only' } });
    }
    const path = event.rawPath.replace(/^\/+/, '');
    try {
      if (method === 'GET' && path in STATIC_FILES) {
        return {
          statusCode: 200,
          headers: {
            ...COMMON_HEADERS,
            'content-type': STATIC_FILES[path]!.type,
            'content-security-policy': PAGE_POLICY,
          },
          body: readStatic(path),
        };
      }
      const segments = path.split('/').map(decodeURIComponent);
      if (segments[0] !== 'api') return json(404, { error: { message: `no console page at /${path}` } });
      const query = new URLSearchParams(event.rawQueryString);
      if (method === 'GET') return await read(options, segments.slice(1), query);
      if (method === 'POST') {
        const refusal = writeRefusal(event, host, options.token);
        if (refusal) return json(403, { error: { message: refusal } });
        return await write(options, segments.slice(1), event.body ?? '');
      }
      return json(405, { error: { message: `${method} is not supported` } });
    } catch (error) {
      if (error instanceof RegistryError) {
        const status = error.code === 'version-not-found' ? 404 : error.code === 'contention' ? 503 : 409;
        return json(status, { error: { code: error.code, message: error.message } });
      }
      if (error instanceof RequestError) return json(error.status, { error: { message: error.message } });
      return json(500, { error: { message: (error as Error).message } });
    }
  };
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function read(
  options: ConsoleRouteOptions,
  segments: string[],
  query: URLSearchParams,
): Promise<ConsoleResponse> {
  const { data } = options;
  const size = intParam(query, 'size');
  if (segments.length === 1 && segments[0] === 'models') {
    const models = await data.models();
    return json(200, { label: options.label ?? null, models: await Promise.all(models.map((m) => data.overview(m))) });
  }
  if (segments.length === 1 && segments[0] === 'feature-views') {
    return json(200, { featureViews: await data.featureViews(options.featureViews ?? []) });
  }
  if (segments[0] !== 'models' || segments.length < 3)
    throw new RequestError(404, `no console API at ${segments.join('/')}`);
  const model = modelName(segments[1]!);
  if (!(await data.models()).includes(model)) throw new RequestError(404, `unknown model "${model}"`);
  const [, , resource, id, file] = segments;
  switch (resource) {
    case 'overview':
      return json(200, await data.overview(model));
    case 'versions':
      return json(200, await data.versions(model, { size, before: intParam(query, 'before') }));
    case 'metrics':
      return json(200, { series: await data.metricSeries(model) });
    case 'history': {
      const at = query.get('at');
      if (at) {
        const time = new Date(at);
        if (Number.isNaN(time.getTime())) throw new RequestError(400, `at must be a date and time, got "${at}"`);
        return json(200, { at: time.toISOString(), move: await data.aliasAt(model, time) });
      }
      return json(200, await data.history(model, { size, before: intParam(query, 'before') }));
    }
    case 'runs': {
      if (id) {
        const run = await data.run(model, id);
        if (!run) throw new RequestError(404, `model ${model} has no run ${id}`);
        return json(200, { ...run, logs: options.logsLocation?.(model, id) ?? [] });
      }
      return json(200, await data.runs(model, { size, after: query.get('after') ?? undefined }));
    }
    case 'drift':
    case 'quality': {
      if (id && file === 'report.html') {
        const html = await data.reportHtml(resource, model, id);
        if (html === null) throw new RequestError(404, `no ${resource} report ${id} for ${model}`);
        return {
          statusCode: 200,
          headers: {
            ...COMMON_HEADERS,
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': REPORT_POLICY,
          },
          body: html,
        };
      }
      const page = { size, before: query.get('before') ?? undefined };
      return json(200, resource === 'drift' ? await data.drift(model, page) : await data.quality(model, page));
    }
    default:
      throw new RequestError(404, `no console API at ${segments.join('/')}`);
  }
}

async function write(options: ConsoleRouteOptions, segments: string[], body: string): Promise<ConsoleResponse> {
  if (segments[0] !== 'models' || segments.length !== 3)
    throw new RequestError(404, `no action at ${segments.join('/')}`);
  const model = modelName(segments[1]!);
  if (!(await options.data.models()).includes(model)) throw new RequestError(404, `unknown model "${model}"`);
  let input: { version?: unknown; to?: unknown; reason?: unknown };
  try {
    input = JSON.parse(body || '{}');
  } catch {
    throw new RequestError(400, 'the body must be JSON');
  }
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason.length < 3)
    throw new RequestError(400, 'a reason is required (at least 3 characters): it is kept in the history');
  const version = (value: unknown, what: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1)
      throw new RequestError(400, `${what} must be a version number, got ${JSON.stringify(value)}`);
    return number;
  };
  const { actions } = options;
  switch (segments[2]) {
    case 'promote':
      return json(200, await actions.promote(model, version(input.version, 'version'), reason));
    case 'rollback':
      return json(200, await actions.rollback(model, input.to == null ? undefined : version(input.to, 'to'), reason));
    case 'reject':
      return json(200, await actions.reject(model, version(input.version, 'version'), reason));
    case 'retrain':
      return json(200, await actions.retrain(model, reason));
    default:
      throw new RequestError(404, `no action ${segments[2]}; actions: promote, rollback, reject, retrain`);
  }
}

/** Null when a write may proceed, else why not (the response says it, never the token). */
export function writeRefusal(event: Pick<FunctionUrlEvent, 'headers'>, host: string, token: string): string | null {
  const headers = event.headers;
  const given = Buffer.from(headers[CONSOLE_TOKEN_HEADER] ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return `a console action needs the session token (the ${CONSOLE_TOKEN_HEADER} header; open the URL printed at start)`;
  }
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return `requests from ${origin} cannot act on this console`;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `cross-site requests (${site}) cannot act on this console`;
  if (!(headers['content-type'] ?? '').startsWith('application/json')) return 'a console action must send JSON';
  return null;
}

export function isLoopbackHost(host: string): boolean {
  return /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(host);
}

function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function modelName(raw: string): string {
  if (!MODEL_NAME_PATTERN.test(raw)) throw new RequestError(400, `not a model name: ${JSON.stringify(raw)}`);
  return raw;
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1000)
    throw new RequestError(400, `${name} must be an integer from 1 to 1000`);
  return value;
}

function json(statusCode: number, body: unknown): ConsoleResponse {
  return {
    statusCode,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}
