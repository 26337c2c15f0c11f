import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  type DeleteOptions,
  type ListPage,
  type ListPageOptions,
  type ObjectStore,
  type ObjectSummary,
  PreconditionFailedError,
  type PutOptions,
  type StoredObject,
  toBytes,
} from '../core/storage/object-store';

export interface S3ClientOptions {
  /** An S3-compatible endpoint such as the local platform's http://127.0.0.1:4566. @default - AWS_ENDPOINT_URL_S3, else AWS */
  readonly endpoint?: string;
  /** @default - AWS_REGION, or us-east-1 with a custom endpoint */
  readonly region?: string;
  /** @default - the SDK's credential chain (the local platform passes dummy ones) */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * One S3 client configuration for AWS and the local endpoint. Checksums only WHEN_REQUIRED:
 * s3rver stores an aws-chunked streamed body verbatim (corrupt) under the default checksums.
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  // AWS_ENDPOINT_URL_S3 (the SDK's own variable) is how the local platform points functions and
  // the trainer at its endpoint; path-style addressing is what a loopback endpoint needs.
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3;
  const region = options.region ?? process.env.AWS_REGION ?? (endpoint ? 'us-east-1' : undefined);
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface S3ObjectStoreOptions {
  /** Keys per ListObjectsV2 page. @default 1000 (the S3 maximum) */
  readonly listPageSize?: number;
}

/** ObjectStore over one S3 bucket with the AWS SDK v3. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly options: S3ObjectStoreOptions = {},
  ) {}

  async get(key: string): Promise<StoredObject | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: response.ETag ?? '' };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async getStream(key: string): Promise<{ body: AsyncIterable<Uint8Array>; etag: string } | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // In Node the SDK's body is a Readable, which is an async iterable of Buffers.
      const body = (response.Body ?? (async function* () {})()) as AsyncIterable<Uint8Array>;
      return { body, etag: response.ETag ?? '' };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: toBytes(body),
          ContentType: options.contentType,
          IfNoneMatch: options.ifNoneMatch,
          IfMatch: options.ifMatch,
        }),
      );
      return { etag: response.ETag ?? '' };
    } catch (error) {
      const status = httpStatus(error);
      if (status === 412) {
        throw new PreconditionFailedError(this.bucket, key, options.ifNoneMatch ? 'exists' : 'etag-mismatch');
      }
      // S3 answers If-Match on a missing key with 404, and a racing conditional write with 409.
      if (status === 404 && options.ifMatch !== undefined)
        throw new PreconditionFailedError(this.bucket, key, 'missing');
      if (status === 409 && (options.ifMatch !== undefined || options.ifNoneMatch)) {
        throw new PreconditionFailedError(this.bucket, key, 'conflict');
      }
      throw error;
    }
  }

  async head(key: string): Promise<ObjectSummary | null> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: response.ContentLength ?? 0,
        lastModified: response.LastModified ?? new Date(0),
        etag: response.ETag ?? '',
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    const objects: ObjectSummary[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
          MaxKeys: this.options.listPageSize,
        }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        objects.push({
          key: item.Key,
          size: item.Size ?? 0,
          lastModified: item.LastModified ?? new Date(0),
          etag: item.ETag ?? '',
        });
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return objects;
  }

  async listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    const page = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix,
        StartAfter: options.startAfter,
        MaxKeys: options.maxKeys,
      }),
    );
    const objects = (page.Contents ?? []).flatMap((item) =>
      item.Key === undefined
        ? []
        : [
            {
              key: item.Key,
              size: item.Size ?? 0,
              lastModified: item.LastModified ?? new Date(0),
              etag: item.ETag ?? '',
            },
          ],
    );
    return { objects, truncated: Boolean(page.IsTruncated) };
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: options.ifMatch }));
    } catch (error) {
      if (options.ifMatch === undefined) throw error;
      // As for a conditional put: 412 stale ETag, 404 nothing there, 409 a racing write.
      const status = httpStatus(error);
      if (status === 412) throw new PreconditionFailedError(this.bucket, key, 'etag-mismatch');
      if (status === 404) throw new PreconditionFailedError(this.bucket, key, 'missing');
      if (status === 409) throw new PreconditionFailedError(this.bucket, key, 'conflict');
      throw error;
    }
  }
}

function httpStatus(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(error) === 404;
}
