import { join } from 'node:path';
import { type FunctionUrlServer, MAX_REQUEST_BYTES, startFunctionUrlServer } from '../../local/function-url-server';
import { LocalFunction } from '../../local/lambda-host';

describe('local Function URL server', () => {
  let server: FunctionUrlServer;
  let fn: LocalFunction;
  beforeAll(async () => {
    server = await startFunctionUrlServer({ port: 0 });
    fn = new LocalFunction({ name: 'echo', entry: join(__dirname, 'fixtures', 'echo-handler.ts') });
    server.route('churn', (event) => fn.invoke(event));
  });
  afterAll(async () => {
    await server.close();
    await fn.close();
  });

  it('sends a payload-format 2.0 event with the path below the route and returns the function response', async () => {
    const response = await fetch(`${server.url}/churn/predict`, {
      method: 'POST',
      body: '{"instances":[]}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(201);
    await expect(response.json()).resolves.toEqual({ path: '/predict', body: '{"instances":[]}' });
  });

  it('answers 404 naming the known routes for an unknown model', async () => {
    const response = await fetch(`${server.url}/nope/predict`);
    expect(response.status).toBe(404);
    await expect(response.json()).resolves.toEqual({ error: { message: 'no function at /nope; routes: /churn/' } });
  });

  it('refuses bodies above the 6 MB Function URL limit with 413', async () => {
    const response = await fetch(`${server.url}/churn/predict`, {
      method: 'POST',
      body: 'x'.repeat(MAX_REQUEST_BYTES + 1),
    });
    expect(response.status).toBe(413);
  });
});
