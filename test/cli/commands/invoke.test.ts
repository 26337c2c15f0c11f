import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../cli/main';
import { type Expected, verifySigV4 } from '../../../core/local/sigv4-verifier';
import { captureIo } from '../../support/cli-io';

/**
 * `mlops invoke` against a loopback endpoint that checks every request's SigV4 signature with the
 * credentials it expects (an independent implementation of the algorithm) and refuses mismatches
 * with a 403 as a Function URL does; signed requests get predictions whose score is the row's `x`,
 * so order is visible.
 */

const CALLER: Expected = {
  accessKeyId: 'AKIDINVOKETEST',
  secretAccessKey: 'invoke/test/secret+key',
  region: 'eu-west-1',
  service: 'lambda',
};

interface Received {
  readonly target: string;
  readonly instances: Array<Record<string, unknown>>;
  readonly contentType: string | undefined;
  readonly securityToken: string | undefined;
}

interface FakeEndpoint {
  readonly url: string;
  readonly received: Received[];
  /** Answer the next request with this status and body instead of predictions. */
  failNext(status: number, body: string, afterRequests?: number): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

async function startFakeEndpoint(options: { requireSignature: boolean }): Promise<FakeEndpoint> {
  const received: Received[] = [];
  let failure: { status: number; body: string; after: number } | undefined;
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request);
    if (options.requireSignature) {
      const verdict = verifySigV4(
        { method: request.method ?? '', target: request.url ?? '/', headers: request.headers, body },
        CALLER,
      );
      if (!verdict.ok) {
        response.writeHead(403, { 'content-type': 'application/json', 'x-test-reason': verdict.reason });
        response.end(JSON.stringify({ Message: `Forbidden (${verdict.reason})` }));
        return;
      }
    }
    const instances = JSON.parse(body.toString('utf8')).instances as Array<Record<string, unknown>>;
    received.push({
      target: request.url ?? '',
      instances,
      contentType: request.headers['content-type'],
      securityToken: request.headers['x-amz-security-token'] as string | undefined,
    });
    if (failure && received.length > failure.after) {
      response.writeHead(failure.status, { 'content-type': 'application/json' });
      response.end(failure.body);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        model: { name: 'churn', version: 4 },
        predictions: instances.map((instance) => ({
          id: `p-${instance.x}`,
          score: instance.x,
          label: Number(instance.x) >= 0.5 ? 'yes' : 'no',
        })),
        warnings: [`feature "plan" missing in ${instances.length} instance(s); imputed as in training`],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    received,
    failNext(status, body, afterRequests = 0) {
      failure = { status, body, after: afterRequests };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const saved = { ...process.env };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-invoke-'));
});

beforeEach(() => {
  process.env = { ...saved, AWS_ACCESS_KEY_ID: CALLER.accessKeyId, AWS_SECRET_ACCESS_KEY: CALLER.secretAccessKey };
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  delete process.env.MLOPS_ARTIFACTS_BUCKET;
});

afterAll(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

const rows = (count: number) => JSON.stringify(Array.from({ length: count }, (_, i) => ({ x: i / count })));

describe('mlops invoke: SigV4 signing', () => {
  let endpoint: FakeEndpoint;
  beforeEach(async () => {
    endpoint = await startFakeEndpoint({ requireSignature: true });
  });
  afterEach(() => endpoint.close());

  it("signs with the caller's credentials for service lambda, and the endpoint's check accepts it", async () => {
    // given
    const run = captureIo();
    // when
    const code = await main(
      ['invoke', 'churn', '--data', '{"x": 0.75}', '--url', endpoint.url, '--auth', 'iam', '--region', 'eu-west-1'],
      run.io,
    );
    // then
    expect(run.err.join('')).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(endpoint.received.map((request) => request.target)).toEqual(['/predict']);
    expect(run.out.join('').split('\n')).toEqual(['row  id      score  label', '1    p-0.75  0.75   yes', '']);
  });

  it('signs with temporary credentials (SSO, an assumed role): the session token is sent and signed', async () => {
    // given
    process.env.AWS_SESSION_TOKEN = 'session/token+1';
    // when
    const code = await main(
      ['invoke', 'churn', '--data', '{"x": 0.5}', '--url', endpoint.url, '--auth', 'iam', '--region', 'eu-west-1'],
      captureIo().io,
    );
    // then
    expect(code).toBe(0);
    expect(endpoint.received.map((request) => request.securityToken)).toEqual(['session/token+1']);
  });

  it('signs the explain query too: ?explain=true reaches the endpoint and the signature holds', async () => {
    // when
    const code = await main(
      [
        'invoke',
        'churn',
        '--data',
        '[{"x": 0.1}]',
        '--url',
        endpoint.url,
        '--auth',
        'iam',
        '--region',
        'eu-west-1',
        '--explain',
      ],
      captureIo().io,
    );
    // then
    expect(code).toBe(0);
    expect(endpoint.received.map((request) => request.target)).toEqual(['/predict?explain=true']);
  });

  it('is refused with a 403 when signed with another secret: one line with the endpoint message, exit 2', async () => {
    // given credentials the endpoint does not know
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    const run = captureIo();
    // when
    const code = await main(
      ['invoke', 'churn', '--data', '{"x": 1}', '--url', endpoint.url, '--auth', 'iam', '--region', 'eu-west-1'],
      run.io,
    );
    // then
    expect(code).toBe(2);
    expect(endpoint.received).toEqual([]);
    expect(run.err.join('')).toContain('mlops invoke: error: 403: Forbidden (signature mismatch)\n');
    expect(run.out).toEqual([]);
  });

  it('is refused when signed for another region than the endpoint checks', async () => {
    // when
    const run = captureIo();
    const code = await main(
      ['invoke', 'churn', '--data', '{"x": 1}', '--url', endpoint.url, '--auth', 'iam', '--region', 'us-east-1'],
      run.io,
    );
    // then
    expect(code).toBe(2);
    expect(run.err.join('')).toContain('403: Forbidden (signed for region us-east-1, not eu-west-1)');
  });

  it('sends no signature with --auth none, and a signing endpoint refuses it', async () => {
    // when
    const run = captureIo();
    const code = await main(['invoke', 'churn', '--data', '{"x": 1}', '--url', endpoint.url, '--auth', 'none'], run.io);
    // then
    expect(code).toBe(2);
    expect(run.err.join('')).toContain('403: Forbidden (no SigV4 Authorization header');
  });

  it('splits a large input under the row limit, every request signed, predictions in input order', async () => {
    // given 2,500 rows and an endpoint limit of 1,000 per request
    const file = join(dir, 'many.json');
    writeFileSync(file, rows(2500));
    const run = captureIo();
    // when
    const code = await main(
      [
        'invoke',
        'churn',
        '--data',
        file,
        '--url',
        endpoint.url,
        '--auth',
        'iam',
        '--region',
        'eu-west-1',
        '--max-rows',
        '1000',
        '--json',
      ],
      run.io,
    );
    // then
    expect(code).toBe(0);
    expect(endpoint.received.map((request) => request.instances.length)).toEqual([1000, 1000, 500]);
    const printed = JSON.parse(run.out.join(''));
    expect(printed.requests).toBe(3);
    expect(printed.predictions.map((p: { score: number }) => p.score)).toEqual(
      Array.from({ length: 2500 }, (_, i) => i / 2500),
    );
    expect(printed.warnings).toEqual(['feature "plan" missing in 2500 instance(s); imputed as in training']);
  });
});

describe('mlops invoke: data, output and errors', () => {
  let endpoint: FakeEndpoint;
  beforeEach(async () => {
    endpoint = await startFakeEndpoint({ requireSignature: false });
  });
  afterEach(() => endpoint.close());

  it('sends CSV cells as the endpoint expects them: numbers as numbers, codes as text, missing cells left out', async () => {
    // given
    const file = join(dir, 'rows.csv');
    writeFileSync(file, 'x,zip,plan,active\n0.25,02139,basic,true\n0.5,10001,,false\n');
    // when
    const code = await main(['invoke', 'churn', '--data', file, '--url', endpoint.url], captureIo().io);
    // then
    expect(code).toBe(0);
    expect(endpoint.received[0]!.contentType).toBe('application/json');
    expect(endpoint.received[0]!.instances).toEqual([
      { x: 0.25, zip: '02139', plan: 'basic', active: 'true' },
      { x: 0.5, zip: 10001, active: 'false' },
    ]);
  });

  it('prints CSV with --format csv: row, then the prediction fields', async () => {
    // when
    const run = captureIo();
    const code = await main(
      [
        'invoke',
        'churn',
        '--data',
        '{"instances": [{"x": 0.2}, {"x": 0.9}]}',
        '--url',
        endpoint.url,
        '--format',
        'csv',
      ],
      run.io,
    );
    // then
    expect(code).toBe(0);
    expect(run.out.join('')).toBe('row,id,score,label\n1,p-0.2,0.2,no\n2,p-0.9,0.9,yes\n');
    expect(run.err.join('')).toContain('warning: feature "plan" missing in 2 instance(s); imputed as in training\n');
  });

  it("turns a 400 into one line with the endpoint's message and the row of the input, exit 2, nothing on stdout", async () => {
    // given the second request is refused at its fourth row
    endpoint.failNext(
      400,
      JSON.stringify({ error: { message: 'instances[3].x must be a number, got "abc"', field: 'instances[3].x' } }),
      1,
    );
    const file = join(dir, 'bad.json');
    writeFileSync(file, rows(25));
    const run = captureIo();
    // when
    const code = await main(['invoke', 'churn', '--data', file, '--url', endpoint.url, '--max-rows', '10'], run.io);
    // then
    expect(code).toBe(2);
    expect(run.out).toEqual([]);
    expect(run.err.join('')).toContain(
      'mlops invoke: error: 400 (request 2 of 3): instances[3].x must be a number, got "abc" [input row 14]\n',
    );
    expect(endpoint.received).toHaveLength(2);
  });

  it('turns a 503 into one line with exit 1', async () => {
    // given
    endpoint.failNext(503, JSON.stringify({ error: { message: 'no production version of churn yet' } }));
    const run = captureIo();
    // when
    const code = await main(['invoke', 'churn', '--data', '{"x": 1}', '--url', endpoint.url], run.io);
    // then
    expect(code).toBe(1);
    expect(run.err.join('')).toContain('mlops invoke: error: 503: no production version of churn yet\n');
  });

  it('exits 1 with one line when nothing listens at the URL', async () => {
    // given a port that was just closed
    const closed = endpoint.url;
    await endpoint.close();
    endpoint = await startFakeEndpoint({ requireSignature: false });
    const run = captureIo();
    // when
    const code = await main(['invoke', 'churn', '--data', '{"x": 1}', '--url', closed], run.io);
    // then
    expect(code).toBe(1);
    expect(run.err.join('')).toMatch(/mlops invoke: error: http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });

  it('says which record is not a flat object before sending anything, exit 2', async () => {
    // when
    const run = captureIo();
    const code = await main(
      ['invoke', 'churn', '--data', '[{"x": 1}, {"x": {"y": 2}}]', '--url', endpoint.url],
      run.io,
    );
    // then
    expect(code).toBe(2);
    expect(endpoint.received).toEqual([]);
    expect(run.err.join('')).toBe(
      'mlops invoke: error: --data: [1].x must be a string, number, boolean or null, got an object\n',
    );
  });

  it('refuses an --auth value it does not know', async () => {
    const run = captureIo();
    expect(await main(['invoke', 'churn', '--data', '{}', '--auth', 'sigv2'], run.io)).toBe(2);
    expect(run.err.join('')).toContain('--auth must be auto, iam or none, got "sigv2"');
  });
});

describe('mlops invoke: finding the deployed endpoint', () => {
  // CloudFormation has no local stand-in: its client is mocked, the endpoint is a real loopback server.
  const cloudFormation = mockClient(CloudFormationClient);
  let endpoint: FakeEndpoint;
  beforeEach(async () => {
    endpoint = await startFakeEndpoint({ requireSignature: false });
    cloudFormation.reset();
  });
  afterEach(() => endpoint.close());
  afterAll(() => cloudFormation.restore());

  it("reads the model's EndpointUrl output of the stack when MLOPS_ARTIFACTS_BUCKET says the app is deployed", async () => {
    // given
    process.env.MLOPS_ARTIFACTS_BUCKET = 'mlops-artifacts';
    const config = join(dir, 'mlops.config.json');
    writeFileSync(
      config,
      JSON.stringify({ project: 'churn-stack', models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes' }] }),
    );
    cloudFormation.on(DescribeStacksCommand, { StackName: 'churn-stack' }).resolves({
      Stacks: [
        {
          StackName: 'churn-stack',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [{ OutputKey: 'ChurnEndpointUrl', OutputValue: endpoint.url }],
        },
      ],
    });
    const run = captureIo();
    // when
    const code = await main(['invoke', 'churn', '--data', '{"x": 0.5}', '--config', config], run.io);
    // then
    expect(code).toBe(0);
    expect(endpoint.received).toHaveLength(1);
    expect(run.err.join('')).toContain('(stack churn-stack)');
  });

  it('says which stack could not be read, exit 2', async () => {
    // given
    cloudFormation.on(DescribeStacksCommand).rejects(new Error('Stack with id nope does not exist'));
    const run = captureIo();
    // when
    const code = await main(['invoke', 'churn', '--data', '{"x": 0.5}', '--stack', 'nope'], run.io);
    // then
    expect(code).toBe(2);
    expect(run.err.join('')).toBe(
      'mlops invoke: error: cannot read the outputs of stack nope (Stack with id nope does not exist); give the endpoint with --url, or the stack with --stack\n',
    );
  });
});
