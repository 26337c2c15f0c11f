import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { link, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type ClosableSink, parseS3Uri, type ScoringLocation } from '../core/score/location';
import { type OutForm, outForm } from '../core/score/out-paths';

/**
 * Where the scoring job reads and writes (core/score/location.ts): an s3:// prefix or a local path,
 * streaming both ways (GetObject's body as it arrives; multipart uploads of 8 MiB parts).
 */

export function openLocation(uri: string, s3: () => S3Client): ScoringLocation {
  const parsed = parseS3Uri(uri);
  return parsed ? new S3Location(uri, parsed.bucket, parsed.key, s3()) : new FileLocation(uri);
}

/**
 * The --out location and its form (core/score/out-paths.ts). A local one-file --out is opened at
 * its folder, so that the scores, errors and manifest are three names in it.
 */
export function openOutput(uri: string, s3: () => S3Client): { location: ScoringLocation; form: OutForm } {
  const parsed = parseS3Uri(uri);
  if (parsed) return { location: openLocation(uri, s3), form: outForm(uri, parsed.key, false) };
  const isDirectory = existsSync(uri) && statSync(uri).isDirectory();
  const form = outForm(uri, uri, isDirectory);
  return form.kind === 'file'
    ? { location: new FileLocation(dirname(uri)), form: { kind: 'file', key: basename(uri) } }
    : { location: new FileLocation(uri), form: { kind: 'prefix', prefix: '' } };
}

class S3Location implements ScoringLocation {
  constructor(
    readonly uri: string,
    private readonly bucket: string,
    readonly key: string,
    private readonly client: S3Client,
  ) {}

  async list(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) if (item.Key && !item.Key.endsWith('/')) keys.push(item.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async *read(key: string): AsyncIterable<Uint8Array> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!response.Body) return;
    yield* response.Body as AsyncIterable<Uint8Array>;
  }

  writer(key: string, contentType: string, options: { replace?: boolean } = {}): ClosableSink {
    return new S3MultipartSink(this.client, this.bucket, key, contentType, PART_BYTES, options.replace ?? true);
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  fullName(key: string): string {
    return this.describe(key);
  }

  isDirectory(): boolean {
    return false;
  }

  async existing(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    // One listing under the keys' common prefix instead of a HeadObject per key.
    const present = new Set(await new S3Location(this.uri, this.bucket, commonPrefix(keys), this.client).list());
    return keys.filter((key) => present.has(key)).map((key) => this.describe(key));
  }
}

function commonPrefix(keys: readonly string[]): string {
  let prefix = keys[0]!;
  for (const key of keys) while (!key.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** Parts of 8 MiB (S3's minimum is 5 MiB); an object smaller than one part is a single PutObject. */
export const PART_BYTES = 8 * 1024 * 1024;

export class S3MultipartSink implements ClosableSink {
  private pending: string[] = [];
  private pendingBytes = 0;
  private uploadId?: string;
  private readonly parts: { ETag: string; PartNumber: number }[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly contentType: string,
    private readonly partBytes = PART_BYTES,
    /** false: the write fails (412) if the object exists when it completes. */
    private readonly replace = true,
  ) {}

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingBytes += Buffer.byteLength(text);
    if (this.pendingBytes >= this.partBytes) await this.uploadPart();
  }

  private takePending(): Buffer {
    const body = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }

  private async uploadPart(): Promise<void> {
    if (!this.uploadId) {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType }),
      );
      this.uploadId = created.UploadId!;
    }
    const PartNumber = this.parts.length + 1;
    const response = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber,
        Body: this.takePending(),
      }),
    );
    this.parts.push({ ETag: response.ETag ?? '', PartNumber });
  }

  async close(): Promise<void> {
    if (!this.uploadId) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: this.takePending(),
          ContentType: this.contentType,
          ...(this.replace ? {} : { IfNoneMatch: '*' }),
        }),
      );
      return;
    }
    if (this.pendingBytes > 0) await this.uploadPart();
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
        ...(this.replace ? {} : { IfNoneMatch: '*' }),
      }),
    );
  }

  async abort(): Promise<void> {
    this.pending = [];
    if (!this.uploadId) return;
    await this.client.send(
      new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }),
    );
  }
}

class FileLocation implements ScoringLocation {
  readonly key = '';
  constructor(readonly uri: string) {}

  async list(): Promise<string[]> {
    if (!existsSync(this.uri)) throw new Error(`${this.uri} does not exist; give a CSV or Parquet file or a folder`);
    if (statSync(this.uri).isFile()) return [''];
    const entries = await readdir(this.uri, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(this.uri, join(entry.parentPath, entry.name)))
      .sort();
  }

  read(key: string): AsyncIterable<Uint8Array> {
    return createReadStream(key === '' ? this.uri : join(this.uri, key));
  }

  writer(key: string, _contentType: string, options: { replace?: boolean } = {}): ClosableSink {
    const path = key === '' ? this.uri : join(this.uri, key);
    const replace = options.replace ?? true;
    // Written beside the target and renamed on close, so a failed run leaves the previous output whole.
    const temporary = `${path}.partial`;
    let stream: ReturnType<typeof createWriteStream> | undefined;
    const open = async () => {
      if (stream) return stream;
      await mkdir(dirname(path), { recursive: true });
      stream = createWriteStream(temporary);
      return stream;
    };
    const finish = (target?: ReturnType<typeof createWriteStream>) =>
      new Promise<void>((resolve, reject) => {
        if (!target) return resolve();
        target.end((error?: Error | null) => (error ? reject(error) : resolve()));
      });
    return {
      async write(text) {
        const target = await open();
        if (!target.write(text)) await new Promise<void>((resolve) => target.once('drain', resolve));
      },
      async close() {
        const target = await open();
        await finish(target);
        if (replace) return rename(temporary, path);
        // link() fails with EEXIST instead of replacing a file another run wrote meanwhile.
        try {
          await link(temporary, path);
        } finally {
          await rm(temporary, { force: true });
        }
      },
      async abort() {
        await finish(stream);
        await rm(temporary, { force: true });
      },
    };
  }

  describe(key: string): string {
    return key === '' ? this.uri : join(this.uri, key);
  }

  fullName(key: string): string {
    return resolve(this.describe(key));
  }

  isDirectory(): boolean {
    return existsSync(this.uri) && statSync(this.uri).isDirectory();
  }

  async existing(keys: readonly string[]): Promise<string[]> {
    return keys.map((key) => this.fullName(key)).filter((path) => existsSync(path));
  }
}
