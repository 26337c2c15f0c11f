import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from './loopback';

/**
 * An HTTP front for local functions that speaks the Lambda Function URL protocol (payload format
 * 2.0): `/<route>/<path>` becomes an event with rawPath `/<path>` for the function registered under
 * `<route>`, and the function's result becomes the HTTP response as Function URLs map it.
 * Listens on loopback only. A route may have a guard (the platform's SigV4 and IAM check for
 * AWS_IAM Function URLs): a refusal answers 403 as Function URLs do.
 */
export type Invoke = (event: FunctionUrlEvent) => Promise<unknown>;

/** A request as received, for a guard to check its signature. */
export interface ReceivedHttpRequest {
  readonly method: string;
  /** Path and query as received, still percent-encoded. */
  readonly target: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** Decides whether a request reaches the function: null serves it, a reason refuses it with 403. */
export type RouteGuard = (request: ReceivedHttpRequest) => Promise<string | null>;

export interface FunctionUrlEvent {
  version: '2.0';
  routeKey: '$default';
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: '$default';
    stage: '$default';
    time: string;
    timeEpoch: number;
  };
  body?: string;
  isBase64Encoded: boolean;
}

/** Function URLs accept request payloads up to 6 MB. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface FunctionUrlServer {
  readonly url: string;
  readonly port: number;
  route(name: string, invoke: Invoke, guard?: RouteGuard): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_REQUEST_BYTES ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function toEvent(request: IncomingMessage, url: URL, rawPath: string, body: Buffer, host: string): FunctionUrlEvent {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  const query = Object.fromEntries(url.searchParams);
  const isText = /json|text|csv|xml|urlencoded/.test(headers['content-type'] ?? 'application/json');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: host,
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

/** Maps a handler result to HTTP the way Function URLs do (an object without statusCode is a 200 JSON body). */
function writeResult(response: ServerResponse, result: unknown): void {
  if (result && typeof result === 'object' && 'statusCode' in result) {
    const {
      statusCode,
      headers = {},
      body = '',
      isBase64Encoded,
    } = result as {
      statusCode: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
    };
    response.writeHead(statusCode, headers);
    response.end(isBase64Encoded ? Buffer.from(body, 'base64') : body);
    return;
  }
  send(response, 200, result ?? null);
}

export async function startFunctionUrlServer(options: { port: number; host?: string }): Promise<FunctionUrlServer> {
  const routes = new Map<string, { invoke: Invoke; guard?: RouteGuard }>();
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', `http://${host}`);
      const [, route = '', ...rest] = url.pathname.split('/');
      const { invoke, guard } = routes.get(route) ?? {};
      if (!invoke) {
        send(response, 404, {
          error: { message: `no function at /${route}; routes: ${[...routes.keys()].map((r) => `/${r}/`).join(', ')}` },
        });
        return;
      }
      const body = await readBody(request);
      if (body === 'too-large') {
        send(response, 413, {
          error: { message: `request body exceeds the Function URL limit of ${MAX_REQUEST_BYTES} bytes` },
        });
        return;
      }
      const refusal = await guard?.({
        method: request.method ?? 'GET',
        target: request.url ?? '/',
        headers: request.headers,
        body,
      });
      if (refusal) {
        // What a Function URL with AWS_IAM answers a bad signature or a caller without lambda:InvokeFunctionUrl.
        send(response, 403, { Message: 'Forbidden' }, { 'x-amzn-errortype': 'AccessDeniedException' });
        return;
      }
      const event = toEvent(
        request,
        url,
        `/${rest.join('/')}`,
        body,
        `${host}:${(server.address() as AddressInfo).port}`,
      );
      writeResult(response, await invoke(event));
    } catch (error) {
      // What Lambda returns when the function itself fails: a 502 without the function's details.
      send(response, 502, { message: 'Internal Server Error' });
      process.stderr.write(`function URL host: invocation failed: ${(error as Error).message}\n`);
    }
  });
  const listening = await listen(server, options.port, host);
  return { ...listening, route: (name, invoke, guard) => routes.set(name, { invoke, guard }) };
}
