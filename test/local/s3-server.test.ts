import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../adapters/s3-object-store';
import { type LocalS3, type LocalS3ObjectEvent, startLocalS3 } from '../../local/s3-server';
import { requireTool, TOOLS } from '../support/tools';

const BUCKET = 'raw-zone';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let directory: string;
let server: LocalS3;
let s3: S3Client;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'local-s3-'));
  server = await startLocalS3({ port: 0, directory, buckets: [BUCKET] });
  s3 = clientFor(server);
});

afterEach(async () => {
  s3.destroy();
  await server.close();
  await rm(directory, { recursive: true, force: true });
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
    server = await startLocalS3({ port: 0, directory, buckets: [BUCKET] });
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

const AWS_CLI = requireTool(TOOLS.aws, 'local S3 with the AWS CLI') ?? '';
const describeWithCli = AWS_CLI ? describe : describe.skip;

describeWithCli('local S3 with the AWS CLI', () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) =>
    run(AWS_CLI, ['--endpoint-url', server.endpoint, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: directory,
        AWS_ACCESS_KEY_ID: 'dummy',
        AWS_SECRET_ACCESS_KEY: 'dummy',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });

  it('copies a file in with s3 cp and lists it with s3 ls', async () => {
    // given
    const file = join(directory, 'upload.csv');
    await writeFile(file, 'tenure,churned\n3,yes\n');
    // when
    await cli('s3', 'cp', file, `s3://${BUCKET}/churn/upload.csv`);
    const { stdout } = await cli('s3', 'ls', `s3://${BUCKET}/churn/`);
    // then
    expect(stdout).toContain('upload.csv');
    expect(await getText('churn/upload.csv')).toBe('tenure,churned\n3,yes\n');
  });
});
