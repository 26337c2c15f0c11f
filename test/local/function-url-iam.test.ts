/**
 * A local Function URL configured with AWS_IAM checks a SigV4 signature when one is sent, as the
 * deployed URL does; an unsigned request is still served, and the log says AWS would refuse it.
 */
import { request } from 'node:http';
import { sigV4Signer } from '../../adapters/sigv4-signer';
import { type FunctionUrlServer, startFunctionUrlServer } from '../../local/function-url-server';
import { functionUrlGuard, LocalIam } from '../../local/iam-enforcement';

const REGION = 'us-east-1';
let server: FunctionUrlServer;
const logged: string[] = [];

beforeAll(async () => {
  server = await startFunctionUrlServer({ port: 0 });
  const iam = new LocalIam();
  const guard = (name: string, authType: 'AWS_IAM' | 'NONE') =>
    functionUrlGuard({
      iam,
      name,
      authType,
      functionArn: `arn:aws:lambda:${REGION}:123456789012:function:${name}`,
      region: REGION,
      log: (line) => logged.push(line),
    });
  server.route('signed', async () => ({ statusCode: 200, body: 'served' }), guard('signed', 'AWS_IAM'));
  server.route('public', async () => ({ statusCode: 200, body: 'served' }), guard('public', 'NONE'));
});

afterAll(async () => {
  await server.close();
});

/** POSTs with node:http, so the headers sent are exactly the ones signed. */
function post(url: URL, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function signedPost(route: string, secretAccessKey: string, region = REGION): Promise<number> {
  const url = new URL(`${server.url}/${route}/predict?trace=1`);
  const body = '{"instances":[{"a":1}]}';
  const sign = sigV4Signer({ region, service: 'lambda', credentials: { accessKeyId: 'local', secretAccessKey } });
  const headers = await sign({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body });
  return post(url, body, headers);
}

describe('a local Function URL with AWS_IAM', () => {
  it('serves a request signed with the local credentials', async () => {
    expect(await signedPost('signed', 'local')).toBe(200);
  });

  it('refuses a request signed with another secret or for another region, with 403 as AWS does', async () => {
    expect(await signedPost('signed', 'not-the-secret')).toBe(403);
    expect(await signedPost('signed', 'local', 'eu-west-1')).toBe(403);
    expect(logged.some((line) => /signed: SigV4 signature refused \(signature mismatch\)/.test(line))).toBe(true);
  });

  it('serves an unsigned request and logs once that AWS would refuse it', async () => {
    const url = new URL(`${server.url}/signed/predict`);
    expect(await post(url, '{}', { 'content-type': 'application/json' })).toBe(200);
    expect(await post(url, '{}', { 'content-type': 'application/json' })).toBe(200);
    expect(logged.filter((line) => line.includes('unsigned request served locally'))).toHaveLength(1);
  });
});

describe('a local Function URL with NONE', () => {
  it('checks nothing, as AWS does', async () => {
    expect(await signedPost('public', 'not-the-secret')).toBe(200);
  });
});
