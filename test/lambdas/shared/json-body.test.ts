import { HttpError } from '../../../lambdas/shared/http';
import { readJsonBody } from '../../../lambdas/shared/json-body';

function rejection(body: string, options: { isBase64Encoded?: boolean; maxBytes?: number } = {}): HttpError {
  try {
    readJsonBody({ body, isBase64Encoded: options.isBase64Encoded }, { maxBytes: options.maxBytes ?? 10_000 });
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error(`expected ${body} to be rejected`);
}

describe('readJsonBody', () => {
  it('returns the parsed document of a valid body', () => {
    // given a JSON body
    const body = '{"instances":[{"age":3,"plan":"pro","active":true,"note":null}]}';
    // when it is read
    const value = readJsonBody({ body }, { maxBytes: 1000 });
    // then the document comes back as parsed
    expect(value).toEqual({ instances: [{ age: 3, plan: 'pro', active: true, note: null }] });
  });

  it('decodes a base64-encoded body', () => {
    // given a body the Function URL base64-encoded
    const body = Buffer.from('{"a":1}').toString('base64');
    // when it is read
    const value = readJsonBody({ body, isBase64Encoded: true }, { maxBytes: 1000 });
    // then it is decoded before parsing
    expect(value).toEqual({ a: 1 });
  });

  it('answers 413 for a body over the byte limit, counting UTF-8 bytes', () => {
    // given 60 three-byte characters (180 bytes) against a 100-byte limit
    const body = `"${'€'.repeat(60)}"`;
    // when it is read, then the status is 413
    expect(rejection(body, { maxBytes: 100 }).statusCode).toBe(413);
  });

  it('answers 413 for a large base64 body before decoding it', () => {
    // given a base64 body whose decoded size exceeds the limit
    const body = Buffer.from(`"${'x'.repeat(500)}"`).toString('base64');
    // when it is read, then the status is 413
    expect(rejection(body, { isBase64Encoded: true, maxBytes: 100 }).statusCode).toBe(413);
  });

  it.each([['{"a": NaN}'], ['{"a": Infinity}'], ['{"a": 1,}'], ['{'], ["{'a': 1}"]])(
    'answers 400 for text that is not JSON: %s',
    (body) => {
      // when it is read, then the error is a 400 saying it is not JSON
      const error = rejection(body);
      expect(error.statusCode).toBe(400);
      expect(error.message).toMatch(/not valid JSON/);
    },
  );

  it('answers 400 for an empty body', () => {
    expect(rejection('  ').message).toMatch(/empty/);
  });

  it('answers 400 naming the field of a number that overflows to Infinity', () => {
    // given 1e400, valid JSON that JSON.parse turns into Infinity
    const error = rejection('{"instances":[{"age":1e400}]}');
    // then the field is named
    expect(error.statusCode).toBe(400);
    expect(error.field).toBe('instances[0].age');
  });

  it.each([['__proto__'], ['constructor'], ['prototype']])('answers 400 naming a nested %s key', (key) => {
    // given a forbidden key deep in the document
    const error = rejection(`{"instances":[{"ok":1},{"${key}":{"polluted":true}}]}`);
    // then the path to it is named
    expect(error.statusCode).toBe(400);
    expect(error.field).toBe(`instances[1].${key}`);
  });

  it('clips a 3 MB key path in the error of a number that overflows to Infinity', () => {
    // given a 3 MB key holding 1e400
    const key = 'k'.repeat(3 * 1024 * 1024);
    const error = rejection(`{"a":{"${key}":1e400}}`, { maxBytes: 4 * 1024 * 1024 });
    // then the message and the field hold the start of the path and its length, not the path
    expect(error.field).toBe(`a.${'k'.repeat(298)}…(${key.length + 2} chars)`);
    expect(error.message.length).toBeLessThan(500);
  });

  it('answers 400 for nesting deeper than the limit without overflowing the stack', () => {
    // given 100,000 nested arrays
    const body = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    // when read, then a 400 explains the depth
    expect(rejection(body, { maxBytes: 1_000_000 }).message).toMatch(/nested more than 32 levels/);
  });

  it('answers 400 for a body marked base64 that is not base64', () => {
    expect(rejection('not base64!', { isBase64Encoded: true }).message).toMatch(/not valid base64/);
  });
});
