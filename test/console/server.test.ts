import type { ConsoleActions } from '../../console/actions';
import { createConsoleRoute, isLoopbackHost, writeRefusal } from '../../console/server';
import { ConsoleData } from '../../core/console/console-data';
import { ModelRegistry } from '../../core/registry/registry';
import { MemoryObjectStore } from '../../core/storage/memory-store';
import type { FunctionUrlEvent } from '../../local/function-url-server';

const TOKEN = 'session-token-0123456789';
const own = { host: '127.0.0.1:3000', 'content-type': 'application/json', 'x-console-token': TOKEN };

describe('write guard', () => {
  it('lets a same-origin JSON request with the token act', () => {
    expect(
      writeRefusal(
        { headers: { ...own, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' } },
        '127.0.0.1:3000',
        TOKEN,
      ),
    ).toBeNull();
  });

  it('refuses a missing or wrong token', () => {
    expect(writeRefusal({ headers: { ...own, 'x-console-token': '' } }, '127.0.0.1:3000', TOKEN)).toMatch(/token/);
    expect(
      writeRefusal({ headers: { ...own, 'x-console-token': `${TOKEN.slice(1)}x` } }, '127.0.0.1:3000', TOKEN),
    ).toMatch(/token/);
  });

  it('refuses another origin or a cross-site fetch even with the token', () => {
    expect(writeRefusal({ headers: { ...own, origin: 'http://localhost:3000' } }, '127.0.0.1:3000', TOKEN)).toMatch(
      /cannot act/,
    );
    expect(writeRefusal({ headers: { ...own, 'sec-fetch-site': 'same-site' } }, '127.0.0.1:3000', TOKEN)).toMatch(
      /cross-site/,
    );
  });

  it('refuses a body that is not JSON (a form post cannot set it)', () => {
    expect(writeRefusal({ headers: { ...own, 'content-type': 'text/plain' } }, '127.0.0.1:3000', TOKEN)).toMatch(
      /JSON/,
    );
  });

  it('knows loopback hosts, and nothing else', () => {
    for (const host of ['127.0.0.1:3000', 'localhost:3100', '[::1]:80', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['attacker.example', '127.0.0.1.attacker.example', '10.0.0.1:3000', ''])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

function event(method: string, path: string, headers: Record<string, string>, body?: unknown): FunctionUrlEvent {
  const [rawPath, rawQueryString = ''] = path.split('?');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: rawPath!,
    rawQueryString,
    headers,
    requestContext: {
      http: { method, path: rawPath!, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
    } as never,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

describe('console route', () => {
  const calls: string[] = [];
  const actions: ConsoleActions = {
    promote: async (model, version, reason) => calls.push(`promote ${model} ${version} ${reason}`),
    rollback: async (model, to, reason) => calls.push(`rollback ${model} ${to} ${reason}`),
    reject: async (model, version, reason) => calls.push(`reject ${model} ${version} ${reason}`),
    retrain: async (model, reason) => calls.push(`retrain ${model} ${reason}`),
  };
  const store = new MemoryObjectStore();
  const route = createConsoleRoute({
    data: new ConsoleData({ artifacts: store, registry: new ModelRegistry({ store }), models: async () => ['churn'] }),
    actions,
    token: TOKEN,
  });

  beforeEach(() => calls.splice(0));

  it('runs an action with its reason, and only with a reason', async () => {
    const ok = await route(event('POST', '/api/models/churn/promote', own, { version: 2, reason: ' canary ok ' }));
    const noReason = await route(event('POST', '/api/models/churn/rollback', own, { reason: ' ' }));
    expect([ok.statusCode, noReason.statusCode]).toEqual([200, 400]);
    expect(calls).toEqual(['promote churn 2 canary ok']);
  });

  it('refuses actions on unknown models and bad versions before acting', async () => {
    expect(
      (await route(event('POST', '/api/models/other/promote', own, { version: 1, reason: 'why not' }))).statusCode,
    ).toBe(404);
    expect(
      (await route(event('POST', '/api/models/churn/reject', own, { version: 'two', reason: 'bad one' }))).statusCode,
    ).toBe(400);
    expect(calls).toEqual([]);
  });

  it('answers reads from a non-loopback Host with 403 (DNS rebinding)', async () => {
    expect((await route(event('GET', '/api/models', { host: 'rebound.example' }))).statusCode).toBe(403);
    expect((await route(event('GET', '/api/models', { host: '127.0.0.1:3000' }))).statusCode).toBe(200);
  });

  it('serves its pages under a policy that allows nothing off its origin', async () => {
    const page = await route(event('GET', '/', { host: '127.0.0.1:3000' }));
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).not.toMatch(/https?:/);
    expect(page.body).toContain('app.js');
  });
});
