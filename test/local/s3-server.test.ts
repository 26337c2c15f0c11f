import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../adapters/s3-object-store';
import { type LocalS3, type LocalS3ObjectEvent, startLocalS3 } from '../../local/s3-server';
import { requireTool, TOOLS } from '../support/tools';

const BUCKET = 'raw-zone';
const ARTIFACTS = 'artifacts';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Holds the data folder and files next to it that no request may reach. */
let root: string;
/** The local S3 data folder. */
let directory: string;
let server: LocalS3;
let s3: S3Client;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'local-s3-'));
  directory = join(root, 'data');
  server = await startLocalS3({ port: 0, directory, buckets: [BUCKET, ARTIFACTS] });
  s3 = clientFor(server);
});

afterEach(async () => {
  s3.destroy();
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function clientFor(target: LocalS3): S3Client {
  const client = createS3Client({ endpoint: target.endpoint });
  client.config.credentials = async () => credentials;
  return client;
}

async function getText(key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return response.Body!.transformToString();
}

function put(key: string, body: string, conditions: { IfNoneMatch?: string; IfMatch?: string } = {}) {
  return s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...conditions }));
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode;
  }
}

interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** An HTTP request with its path sent byte for byte (fetch and the URL class resolve `..`). */
function rawRequest(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(server.endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = request({ hostname, port, method, path, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** What a SigV4-signing client sends; the endpoint checks that credentials are present, not the signature. */
function signatureV4Headers(): Record<string, string> {
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=local/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  };
}

function signedPut(path: string, body: string): Promise<RawResponse> {
  return rawRequest('PUT', path, { headers: signatureV4Headers(), body });
}

async function listKeys(bucket = BUCKET, prefix?: string): Promise<string[]> {
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listing.Contents ?? []).map((item) => item.Key!);
}

/** A client that adds one header to every request, after signing. */
function clientWithHeader(name: string, value: string): S3Client {
  const client = clientFor(server);
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers[name] = value;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: `add-${name}` },
  );
  return client;
}

describe('local S3 server basics', () => {
  it('stores an object and returns the same bytes', async () => {
    // given
    await put('churn/a.csv', 'x,y\n1,2\n');
    // when
    const text = await getText('churn/a.csv');
    // then
    expect(text).toBe('x,y\n1,2\n');
  });

  it('lists objects under a prefix', async () => {
    // given
    await put('churn/a.csv', 'a');
    await put('churn/b.csv', 'b');
    await put('other/c.csv', 'c');
    // when
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'churn/' }));
    // then
    expect(listing.Contents?.map((item) => item.Key)).toEqual(['churn/a.csv', 'churn/b.csv']);
  });

  it('pages a listing with continuation tokens', async () => {
    // given
    for (const name of ['a', 'b', 'c']) await put(`churn/${name}.csv`, name);
    // when
    const first = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'churn/', MaxKeys: 2 }));
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'churn/',
        MaxKeys: 2,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    // then
    expect(first.IsTruncated).toBe(true);
    expect(first.Contents?.map((item) => item.Key)).toEqual(['churn/a.csv', 'churn/b.csv']);
    expect(second.IsTruncated).toBe(false);
    expect(second.Contents?.map((item) => item.Key)).toEqual(['churn/c.csv']);
  });

  it('deletes an object so a get answers NoSuchKey', async () => {
    // given
    await put('churn/a.csv', 'a');
    // when
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'churn/a.csv' }));
    // then
    await expect(getText('churn/a.csv')).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('assembles a multipart upload from its parts', async () => {
    // given
    const partSize = 5 * 1024 * 1024;
    const first = Buffer.alloc(partSize, 'a');
    const second = Buffer.from('tail');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'churn/big.csv' }));
    const parts = [];
    for (const [index, body] of [first, second].entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: 'churn/big.csv', UploadId, PartNumber: index + 1, Body: body }),
      );
      parts.push({ ETag, PartNumber: index + 1 });
    }
    // when
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'churn/big.csv',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    // then
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'churn/big.csv' }));
    const bytes = await stored.Body!.transformToByteArray();
    expect(Buffer.from(bytes).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('keeps objects across a restart on the same directory', async () => {
    // given
    await put('churn/a.csv', 'persisted');
    s3.destroy();
    await server.close();
    // when
    server = await startLocalS3({ port: 0, directory, buckets: [BUCKET, ARTIFACTS] });
    s3 = clientFor(server);
    // then
    expect(await getText('churn/a.csv')).toBe('persisted');
  });

  it('emits object-created and object-removed events with bucket and key', async () => {
    // given
    const seen: string[] = [];
    const record = (kind: string) => (event: LocalS3ObjectEvent) => seen.push(`${kind} ${event.bucket}/${event.key}`);
    server.events.on('object-created', record('created'));
    server.events.on('object-removed', record('removed'));
    // when
    await put('churn/a.csv', 'a');
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'churn/a.csv' }));
    // then
    expect(seen).toEqual(['created raw-zone/churn/a.csv', 'removed raw-zone/churn/a.csv']);
  });
});

describe('local S3 conditional writes', () => {
  it('rejects If-None-Match: * on an existing key with 412 and keeps the first body', async () => {
    // given
    await put('registry/v1.json', 'first');
    // when
    const status = await statusOf(put('registry/v1.json', 'second', { IfNoneMatch: '*' }));
    // then
    expect(status).toBe(412);
    expect(await getText('registry/v1.json')).toBe('first');
  });

  it('accepts If-None-Match: * on a new key', async () => {
    // when
    const status = await statusOf(put('registry/v1.json', 'first', { IfNoneMatch: '*' }));
    // then
    expect(status).toBe(200);
  });

  it('rejects If-Match with a stale ETag with 412', async () => {
    // given
    const { ETag: staleEtag } = await put('registry/alias.json', 'v1');
    await put('registry/alias.json', 'v2');
    // when
    const status = await statusOf(put('registry/alias.json', 'v3', { IfMatch: staleEtag }));
    // then
    expect(status).toBe(412);
    expect(await getText('registry/alias.json')).toBe('v2');
  });

  it('accepts If-Match with the current ETag', async () => {
    // given
    const { ETag } = await put('registry/alias.json', 'v1');
    // when
    await put('registry/alias.json', 'v2', { IfMatch: ETag });
    // then
    expect(await getText('registry/alias.json')).toBe('v2');
  });

  it('answers If-Match on a missing key with 404 as S3 does', async () => {
    // when
    const status = await statusOf(put('registry/none.json', 'v1', { IfMatch: '"0123"' }));
    // then
    expect(status).toBe(404);
  });

  it('lets exactly one of 50 concurrent If-None-Match puts on one key win', async () => {
    // when
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, writer) =>
        statusOf(put('registry/race.json', `writer ${writer}`, { IfNoneMatch: '*' })),
      ),
    );
    // then
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(49);
    const winner = statuses.indexOf(200);
    expect(await getText('registry/race.json')).toBe(`writer ${winner}`);
  });

  it('rejects completing a multipart upload with If-None-Match: * over an existing key', async () => {
    // given
    await put('churn/big.csv', 'existing');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'churn/big.csv' }));
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: 'churn/big.csv', UploadId, PartNumber: 1, Body: 'new' }),
    );
    // when
    const status = await statusOf(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'churn/big.csv',
          UploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
        }),
      ),
    );
    // then
    expect(status).toBe(412);
    expect(await getText('churn/big.csv')).toBe('existing');
  });
});

const ALIAS = 'churn/aliases/production.json';

describe('local S3 keys stay keys', () => {
  beforeEach(async () => {
    await s3.send(new PutObjectCommand({ Bucket: ARTIFACTS, Key: ALIAS, Body: 'version 1' }));
    await writeFile(join(root, 'outside.txt'), 'untouched');
  });

  async function expectNothingOutsideTheKeyChanged(): Promise<void> {
    const alias = await s3.send(new GetObjectCommand({ Bucket: ARTIFACTS, Key: ALIAS }));
    expect(await alias.Body!.transformToString()).toBe('version 1');
    expect(await listKeys(ARTIFACTS)).toEqual([ALIAS]);
    expect(await readFile(join(root, 'outside.txt'), 'utf8')).toBe('untouched');
    expect((await readdir(root)).sort()).toEqual(['data', 'outside.txt']);
    expect((await readdir(directory)).sort()).toEqual([ARTIFACTS, BUCKET]);
  }

  it('stores a ../ key written with the SDK as that literal key, leaving the artifacts alias alone', async () => {
    // given
    const key = `../${ARTIFACTS}/${ALIAS}`;
    // when
    await put(key, 'attack');
    // then
    expect(await getText(key)).toBe('attack');
    expect(await listKeys()).toEqual([key]);
    await expectNothingOutsideTheKeyChanged();
  });

  it('stores a ../ key sent as a raw HTTP path as that literal key', async () => {
    // when
    const response = await signedPut(`/${BUCKET}/../${ARTIFACTS}/${ALIAS}`, 'attack');
    // then
    expect(response.status).toBe(200);
    expect(await getText(`../${ARTIFACTS}/${ALIAS}`)).toBe('attack');
    await expectNothingOutsideTheKeyChanged();
  });

  it('stores a ..%2F key encoded in the URL path as that literal key', async () => {
    // when
    const response = await signedPut(`/${BUCKET}/..%2F${ARTIFACTS}%2F${ALIAS.replaceAll('/', '%2F')}`, 'attack');
    // then
    expect(response.status).toBe(200);
    expect(await listKeys()).toEqual([`../${ARTIFACTS}/${ALIAS}`]);
    await expectNothingOutsideTheKeyChanged();
  });

  it('stores an a/../../ key as that literal key', async () => {
    // given
    const key = `a/../../${ARTIFACTS}/${ALIAS}`;
    // when
    await put(key, 'attack');
    // then
    expect(await getText(key)).toBe('attack');
    expect(await listKeys()).toEqual([key]);
    await expectNothingOutsideTheKeyChanged();
  });

  it('keeps a key that climbs out of the data folder inside its bucket, with the SDK and raw HTTP', async () => {
    // when
    await put('../../outside.txt', 'attack');
    const response = await signedPut(`/${BUCKET}/../../../outside.txt`, 'attack');
    // then
    expect(response.status).toBe(200);
    expect(await listKeys()).toEqual(['../../../outside.txt', '../../outside.txt']);
    await expectNothingOutsideTheKeyChanged();
  });

  it('keeps ./ and // keys apart from the key a path would resolve them to', async () => {
    // given
    await put('churn/a.csv', 'plain');
    // when
    await put('./churn/a.csv', 'dot');
    await put('churn/./a.csv', 'inner dot');
    await put('churn//a.csv', 'double slash');
    // then
    expect(await getText('churn/a.csv')).toBe('plain');
    expect(await listKeys()).toEqual(['./churn/a.csv', 'churn/./a.csv', 'churn//a.csv', 'churn/a.csv']);
    await expectNothingOutsideTheKeyChanged();
  });

  it('answers HEAD of a ../ key that was never written with 404, not with the artifacts alias', async () => {
    // when
    const status = await statusOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `../${ARTIFACTS}/${ALIAS}` })));
    // then
    expect(status).toBe(404);
  });

  it('deletes a ../ key without deleting the artifacts alias', async () => {
    // when
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `../${ARTIFACTS}/${ALIAS}` }));
    // then
    await expectNothingOutsideTheKeyChanged();
  });

  it('copies from a ../ source key as that literal key, not from the artifacts alias', async () => {
    // when
    const status = await statusOf(
      s3.send(
        new CopyObjectCommand({
          Bucket: BUCKET,
          Key: 'stolen.json',
          CopySource: `${BUCKET}/../${ARTIFACTS}/${ALIAS}`,
        }),
      ),
    );
    // then
    expect(status).toBe(404);
    expect(await listKeys()).toEqual([]);
  });

  it('refuses a bucket named .. sent as a raw HTTP path, so nothing lands outside the data folder', async () => {
    // when
    const climbing = await signedPut(`/../data/${ARTIFACTS}/${ALIAS}`, 'attack');
    const outside = await signedPut('/../outside.txt', 'attack');
    const encoded = await signedPut(`/..%2Fdata%2F${ARTIFACTS}/${ALIAS}`, 'attack');
    // then
    expect([climbing.body, outside.body, encoded.body]).toEqual(
      Array(3).fill(expect.stringContaining('InvalidBucketName')),
    );
    await expectNothingOutsideTheKeyChanged();
  });

  it('refuses a multipart upload id or part number that would name a path', async () => {
    // given
    await mkdir(join(root, 'parts'));
    // when
    const byUploadId = await signedPut(`/${BUCKET}/x?partNumber=1&uploadId=..%2F..%2F..%2Fparts`, 'attack');
    const byPartNumber = await signedPut(`/${BUCKET}/x?partNumber=..%2F..%2F..%2F..%2Fparts%2F1&uploadId=00`, 'attack');
    // then
    expect([byUploadId.status, byPartNumber.status]).toEqual([404, 404]);
    expect(await readdir(join(root, 'parts'))).toEqual([]);
  });
});

/** Keys a path would mangle or alias, or that need encoding on the wire. */
const UNUSUAL_KEYS = [
  'with space.csv',
  'a+b=c.csv',
  '100%.csv',
  '%2F.csv',
  'naïve/日本語.csv',
  'emoji 😀.csv',
  'dots/./x',
  'dots/../x',
  'slashes//x',
  'trailing/',
];
/** UNUSUAL_KEYS in the byte order of their UTF-8 encoding, as S3 lists them. */
const UNUSUAL_KEYS_LISTED = [
  '%2F.csv',
  '100%.csv',
  'a+b=c.csv',
  'dots/../x',
  'dots/./x',
  'emoji 😀.csv',
  'naïve/日本語.csv',
  'slashes//x',
  'trailing/',
  'with space.csv',
];

describe('local S3 with unusual keys', () => {
  it('round-trips unusual keys through put, get and list', async () => {
    // when
    for (const key of UNUSUAL_KEYS) await put(key, `body of ${key}`);
    // then
    for (const key of UNUSUAL_KEYS) expect(await getText(key)).toBe(`body of ${key}`);
    expect(await listKeys()).toEqual(UNUSUAL_KEYS_LISTED);
  });

  it('copies objects from and to unusual keys', async () => {
    // given
    for (const key of UNUSUAL_KEYS) await put(key, `body of ${key}`);
    // when
    for (const key of UNUSUAL_KEYS) {
      await s3.send(
        new CopyObjectCommand({
          Bucket: ARTIFACTS,
          Key: `copy/${key}`,
          CopySource: `${BUCKET}/${encodeURIComponent(key)}`,
        }),
      );
    }
    // then
    expect(await listKeys(ARTIFACTS, 'copy/')).toEqual(UNUSUAL_KEYS_LISTED.map((key) => `copy/${key}`));
    const copied = await s3.send(new GetObjectCommand({ Bucket: ARTIFACTS, Key: 'copy/a+b=c.csv' }));
    expect(await copied.Body!.transformToString()).toBe('body of a+b=c.csv');
  });

  it('deletes an unusual key without deleting the key a path would alias it to', async () => {
    // given
    for (const key of ['slashes//x', 'slashes/x', 'dots/./x', 'dots/x']) await put(key, key);
    // when
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'slashes//x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'dots/./x' }));
    // then
    expect(await listKeys()).toEqual(['dots/x', 'slashes/x']);
  });

  it('deletes every unusual key and leaves no folder behind', async () => {
    // given
    for (const key of UNUSUAL_KEYS) await put(key, key);
    // when
    for (const key of UNUSUAL_KEYS) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    // then
    expect(await listKeys()).toEqual([]);
    expect(await readdir(join(directory, BUCKET))).toEqual([]);
  });

  it('assembles a multipart upload under an unusual key', async () => {
    // given
    const key = 'multi/../naïve 100%+.csv';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: 'only part' }),
    );
    // when
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
      }),
    );
    // then
    expect(await getText(key)).toBe('only part');
    expect(await listKeys(BUCKET, 'multi/')).toEqual([key]);
  });

  it('refuses a key whose part is too long for a file name with 400 KeyTooLongError', async () => {
    // given: 80 three-byte characters, 720 bytes once encoded
    const key = `churn/${'日'.repeat(80)}.csv`;
    // when
    const failure = await put(key, 'x').catch(
      (error: { name: string; $metadata: { httpStatusCode: number } }) => error,
    );
    // then
    expect(failure).toMatchObject({ name: 'KeyTooLongError', $metadata: { httpStatusCode: 400 } });
  });

  it('lists keys in the byte order of their UTF-8 encoding, as S3 does', async () => {
    // given
    for (const key of ['a😀', 'a\ue000', 'a/c', 'a-b']) await put(key, key);
    // when
    const keys = await listKeys();
    // then
    expect(keys).toEqual(['a-b', 'a/c', 'a\ue000', 'a😀']);
  });

  it('pages a listing of unusual keys with continuation tokens', async () => {
    // given
    for (const key of UNUSUAL_KEYS) await put(key, key);
    // when
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 3, ContinuationToken: token }));
      pages.push((page.Contents ?? []).map((item) => item.Key!));
      token = page.NextContinuationToken;
    } while (token);
    // then
    expect(pages.flat()).toEqual(UNUSUAL_KEYS_LISTED);
  });

  it('still reads objects an earlier version stored under ordinary keys', async () => {
    // given: the on-disk form s3rver has always written for churn/dt=2026-01-01/part-0.csv
    const folder = join(directory, BUCKET, 'churn', 'dt=2026-01-01');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'part-0.csv._S3rver_object'), 'x,y\n');
    // when
    const text = await getText('churn/dt=2026-01-01/part-0.csv');
    // then
    expect(text).toBe('x,y\n');
    expect(await listKeys()).toEqual(['churn/dt=2026-01-01/part-0.csv']);
  });
});

describe('local S3 access', () => {
  it('refuses a request without AWS credentials with 403 AccessDenied', async () => {
    // when
    const read = await rawRequest('GET', `/${BUCKET}/churn/a.csv`);
    const write = await rawRequest('PUT', `/${BUCKET}/churn/a.csv`, { body: 'unsigned' });
    // then
    expect([read.status, write.status]).toEqual([403, 403]);
    expect(read.body).toContain('<Code>AccessDenied</Code>');
    expect(await listKeys()).toEqual([]);
  });

  it('refuses a signed request that carries an Origin header with 403', async () => {
    // given
    const browser = clientWithHeader('origin', 'https://example.com');
    // when
    const status = await statusOf(browser.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.csv', Body: 'x' })));
    browser.destroy();
    // then
    expect(status).toBe(403);
    expect(await listKeys()).toEqual([]);
  });

  it.each([
    ['sec-fetch-site', 'cross-site'],
    ['sec-fetch-mode', 'no-cors'],
    ['sec-fetch-dest', 'image'],
  ])('refuses a signed request that carries a %s header with 403', async (name, value) => {
    // given
    const browser = clientWithHeader(name, value);
    // when
    const status = await statusOf(browser.send(new GetObjectCommand({ Bucket: ARTIFACTS, Key: ALIAS })));
    browser.destroy();
    // then
    expect(status).toBe(403);
  });

  it('refuses a browser-style multipart/form-data POST upload with 403, signed or not', async () => {
    // given
    const boundary = 'browserformboundary';
    const form = [
      `--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n../${ARTIFACTS}/${ALIAS}`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\nContent-Type: application/json\r\n\r\n{"version":666}`,
      `--${boundary}--\r\n`,
    ].join('\r\n');
    const formHeaders = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    // when
    const unsigned = await rawRequest('POST', `/${BUCKET}`, { headers: formHeaders, body: form });
    const signed = await rawRequest('POST', `/${BUCKET}`, {
      headers: { ...formHeaders, ...signatureV4Headers() },
      body: form,
    });
    // then
    expect([unsigned.status, signed.status]).toEqual([403, 403]);
    expect(await listKeys()).toEqual([]);
  });
});

const AWS_CLI = requireTool(TOOLS.aws, 'local S3 with the AWS CLI') ?? '';
const describeWithCli = AWS_CLI ? describe : describe.skip;

describeWithCli('local S3 with the AWS CLI', () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) =>
    run(AWS_CLI, ['--endpoint-url', server.endpoint, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: root,
        AWS_ACCESS_KEY_ID: 'dummy',
        AWS_SECRET_ACCESS_KEY: 'dummy',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });

  it('copies a file in with s3 cp and lists it with s3 ls', async () => {
    // given
    const file = join(root, 'upload.csv');
    await writeFile(file, 'tenure,churned\n3,yes\n');
    // when
    await cli('s3', 'cp', file, `s3://${BUCKET}/churn/upload.csv`);
    const { stdout } = await cli('s3', 'ls', `s3://${BUCKET}/churn/`);
    // then
    expect(stdout).toContain('upload.csv');
    expect(await getText('churn/upload.csv')).toBe('tenure,churned\n3,yes\n');
  });
  it('uploads a ../ key with s3 cp as that literal key, leaving the other bucket alone', async () => {
    // given
    await s3.send(new PutObjectCommand({ Bucket: ARTIFACTS, Key: ALIAS, Body: 'version 1' }));
    const file = join(root, 'attack.json');
    await writeFile(file, '{"version":666}');
    // when
    await cli('s3', 'cp', file, `s3://${BUCKET}/../${ARTIFACTS}/${ALIAS}`);
    // then
    expect(await getText(`../${ARTIFACTS}/${ALIAS}`)).toBe('{"version":666}');
    const alias = await s3.send(new GetObjectCommand({ Bucket: ARTIFACTS, Key: ALIAS }));
    expect(await alias.Body!.transformToString()).toBe('version 1');
  });

  it('serves a presigned GET URL made by aws s3 presign', async () => {
    // given
    await put('churn/a.csv', 'presigned body');
    const { stdout } = await cli('s3', 'presign', `s3://${BUCKET}/churn/a.csv`);
    const url = new URL(stdout.trim());
    // when
    const response = await rawRequest('GET', `${url.pathname}${url.search}`);
    // then
    expect(response).toEqual({ status: 200, body: 'presigned body' });
  });
});
