import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { InferenceApp } from '../../../lambdas/inference/app';
import { createInferenceHandler } from '../../../lambdas/inference/handler';
import { inProcessBackend } from '../../../lambdas/inference/predict';
import { publish, testConfig, trainChurnArtifact, urlEvent } from './fixtures';

/**
 * Thousands of malformed requests against the middy handler with a model loaded: every answer
 * is a 4xx JSON error with a message, never a throw, never a 5xx.
 */
const context = { awsRequestId: 'fuzz', functionName: 'inference' } as Context;
const MAX_BYTES = 4096;
const MAX_INSTANCES = 5;

let handler: ReturnType<typeof createInferenceHandler>;

beforeAll(async () => {
  const artifacts = new MemoryObjectStore('artifacts');
  await publish(artifacts, trainChurnArtifact());
  const app = new InferenceApp({
    config: testConfig({ maxBodyBytes: MAX_BYTES, maxInstances: MAX_INSTANCES, captureSampleRate: 0.5 }),
    artifacts,
    monitoring: new MemoryObjectStore('monitoring'),
    backend: inProcessBackend,
  });
  handler = createInferenceHandler({ app: () => app, logger: new Logger({ logLevel: 'SILENT' }) });
});

/**
 * Plain checks rather than jest's expect inside properties: expect builds an Error (with a stack)
 * per call, which costs more than the handler itself over thousands of runs.
 */
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

async function respond(event: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const response = await handler(event, context);
  check(/^application\/json/.test(response.headers['content-type'] ?? ''), `not JSON: ${JSON.stringify(response)}`);
  return { statusCode: response.statusCode, body: JSON.parse(response.body) };
}

/** Checks for a 4xx JSON error with a message; returns the field it names. */
async function expectClientError(event: unknown): Promise<string | undefined> {
  const { statusCode, body } = await respond(event);
  const { message, field } = (body.error ?? {}) as { message?: unknown; field?: string };
  check(statusCode >= 400 && statusCode < 500, `status ${statusCode}: ${JSON.stringify(body)}`);
  check(typeof message === 'string' && message.length > 0, `no error message: ${JSON.stringify(body)}`);
  return field;
}

const post = (body: string, base64 = false) => urlEvent('POST', '/predict', body, base64);
const scalar = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const validInstance = fc.record(
  { age: fc.integer({ min: 0, max: 100 }), plan: fc.constantFrom('basic', 'pro', 'team'), active: fc.boolean() },
  { requiredKeys: [] },
);

/** Text of an instance list with one poisoned instance spliced in. */
function withPoison(instances: unknown[], poison: string, at: number): string {
  const parts = instances.map((instance) => JSON.stringify(instance));
  parts.splice(at % (parts.length + 1), 0, poison);
  return `{"instances":[${parts.join(',')}]}`;
}

describe('inference handler under malformed input', () => {
  it('answers 4xx JSON to any body that is not JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }).map(utf8)),
        async (text) => {
          fc.pre(!isJson(text));
          await expectClientError(post(text));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('answers 4xx JSON to any JSON document that is not a {"instances": [...]} object', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        fc.pre(!(typeof value === 'object' && value !== null && !Array.isArray(value) && 'instances' in value));
        await expectClientError(post(JSON.stringify(value)));
      }),
      { numRuns: 1500 },
    );
  });

  it('answers 4xx JSON when instances is not a list of 1 to the maximum rows', async () => {
    const badInstances = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).filter((value) => !Array.isArray(value)),
      fc.constant([]),
      fc.array(validInstance, { minLength: MAX_INSTANCES + 1, maxLength: MAX_INSTANCES + 20 }),
    );
    await fc.assert(
      fc.asyncProperty(badInstances, async (instances) => {
        await expectClientError(post(JSON.stringify({ instances })));
      }),
      { numRuns: 1000 },
    );
  });

  it('answers 4xx JSON naming the field when one instance among valid ones is poisoned', async () => {
    const poison = fc.oneof(
      // not an object
      scalar.map((value) => JSON.stringify(value)),
      fc.array(scalar, { maxLength: 3 }).map((value) => JSON.stringify(value)),
      // a nested value
      fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify({ age: { nested: value } })),
      fc.array(scalar, { maxLength: 3 }).map((value) => JSON.stringify({ plan: value })),
      // prototype-pollution keys
      fc.constantFrom('__proto__', 'constructor', 'prototype').map((key) => `{"${key}":{"isAdmin":true},"age":3}`),
      // numbers that overflow to Infinity, and the tokens JSON lacks
      fc.constantFrom('1e400', '-1e400', '9'.repeat(400)).map((number) => `{"age":${number}}`),
      fc.constantFrom('NaN', 'Infinity', '-Infinity', 'undefined').map((token) => `{"age":${token}}`),
      // wrong types for the schema
      fc.constantFrom('"old"', '"12 years"', '""', 'true').map((value) => `{"age":${value}}`),
      fc.constantFrom('"maybe"', '"2"', '7.5').map((value) => `{"active":${value}}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(validInstance, { maxLength: MAX_INSTANCES - 1 }),
        poison,
        fc.nat(),
        async (instances, bad, at) => {
          const text = withPoison(instances, bad, at);
          const field = await expectClientError(post(text));
          // Valid JSON with a bad instance: the error names the instance (NaN and friends are not JSON at all).
          if (isJson(text)) check(/^instances\[\d+\]/.test(field ?? ''), `field ${field} for ${text}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('answers 413 to bodies over the size limit, plain or base64', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: MAX_BYTES + 1, max: MAX_BYTES * 4 }), fc.boolean(), async (size, base64) => {
        const text = `{"instances":[{"plan":"${'x'.repeat(size)}"}]}`;
        const { statusCode } = await respond(post(base64 ? Buffer.from(text).toString('base64') : text, base64));
        check(statusCode === 413, `status ${statusCode} for ${size} bytes`);
      }),
      { numRuns: 200 },
    );
  });

  it('answers 404 or 405 JSON to any other method or path', async () => {
    const method = fc.oneof(
      fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      fc.string({ maxLength: 10 }),
    );
    const path = fc.oneof(
      fc.constantFrom('/', '/predict', '/predict/x', '/__proto__', '/constructor'),
      fc.string({ maxLength: 30 }).map((tail) => `/${tail}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, async (m, p) => {
        const normalized = p.replace(/\/+$/, '') || '/';
        fc.pre(
          !(m.toUpperCase() === 'GET' && normalized === '/') &&
            !(m.toUpperCase() === 'POST' && normalized === '/predict'),
        );
        await expectClientError(urlEvent(m, p, '{}'));
      }),
      { numRuns: 1000 },
    );
  });

  it('never answers 5xx to arbitrary flat instances, valid or not', async () => {
    const instance = fc.dictionary(
      fc.oneof(fc.constantFrom('age', 'plan', 'active'), fc.string({ maxLength: 6 })),
      scalar,
      {
        maxKeys: 5,
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(instance, { minLength: 1, maxLength: MAX_INSTANCES }), async (instances) => {
        const { statusCode, body } = await respond(post(JSON.stringify({ instances })));
        check(
          statusCode === 200 || (statusCode >= 400 && statusCode < 500),
          `status ${statusCode}: ${JSON.stringify(body)}`,
        );
        if (statusCode === 200)
          check((body.predictions as unknown[]).length === instances.length, 'one prediction per row');
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps every response body under 1 KB however long the field names are', async () => {
    // Field names of 1,000 to 3,900 characters: any one echoed whole would pass the bound.
    const longName = fc.string({ minLength: 1000, maxLength: 3900 });
    const value = fc.oneof(scalar, fc.constant({}), fc.constant([1]));
    await fc.assert(
      fc.asyncProperty(longName, value, fc.boolean(), async (name, cell, raw) => {
        const text = raw
          ? `{"instances":[{${JSON.stringify(name)}:1e400}]}`
          : JSON.stringify({ instances: [{ age: 30, [name]: cell }] });
        const response = await handler(post(text), context);
        check(response.body.length < 1024, `${response.body.length} bytes: ${response.body.slice(0, 300)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('answers 4xx to events that are not Function URL requests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined)), async (event) => {
        fc.pre(!(typeof event === 'object' && event !== null && 'requestContext' in event));
        await expectClientError(event);
      }),
      { numRuns: 500 },
    );
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Arbitrary bytes as the Function URL would pass them on: decoded as UTF-8, invalid sequences replaced. */
function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}
