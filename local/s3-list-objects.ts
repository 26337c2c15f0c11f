import S3Error = require('s3rver/lib/models/error');

/**
 * ListObjectsV2 for s3rver, replacing its own handler: s3rver encrypts continuation tokens with
 * DES, which Node 17+ (OpenSSL 3) no longer offers, so any listing of more than one page (1,000
 * keys) fails with InternalError. Same response shape; the token is the last key, base64url-encoded.
 */
interface ListContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
  app: { store: S3rverStore };
}

interface S3rverStore {
  getBucket(bucket: string): Promise<unknown>;
  listObjects(
    bucket: string,
    options: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys: number },
  ): Promise<{
    objects: { key: string; size: number; lastModifiedDate: Date; metadata: Record<string, string> }[];
    commonPrefixes: string[];
    isTruncated: boolean;
  }>;
}

const TOKEN_PREFIX = 'mlops-local:';
const PAGE_LIMIT = 1000;

export async function listObjectsV2Middleware(ctx: ListContext, next: () => Promise<void>): Promise<void> {
  const bucket = /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
  if (ctx.method !== 'GET' || !bucket || ctx.query['list-type'] !== '2') return next();
  const text = (name: string): string | undefined => {
    const value = ctx.query[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const bucketName = decodeURIComponent(bucket);
  if (!(await ctx.app.store.getBucket(bucketName))) {
    throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucketName });
  }
  const continuationToken = text('continuation-token');
  const requestedMaxKeys = text('max-keys') === undefined ? PAGE_LIMIT : Number(text('max-keys'));
  if (!Number.isInteger(requestedMaxKeys) || requestedMaxKeys < 0) {
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', {
      ArgumentName: 'max-keys',
      ArgumentValue: String(text('max-keys')),
    });
  }
  const options = {
    prefix: text('prefix'),
    delimiter: text('delimiter'),
    startAfter: continuationToken ? decodeToken(continuationToken) : text('start-after'),
    maxKeys: Math.min(PAGE_LIMIT, requestedMaxKeys),
  };
  const result =
    options.maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false }
      : await ctx.app.store.listObjects(bucketName, options);
  const lastKey = result.objects.at(-1)?.key;
  ctx.body = {
    ListBucketResult: {
      '@': { xmlns: 'http://doc.s3.amazonaws.com/2006-03-01/' },
      Name: bucketName,
      Prefix: options.prefix ?? '',
      StartAfter: continuationToken ? undefined : options.startAfter,
      ContinuationToken: continuationToken,
      NextContinuationToken: result.isTruncated && lastKey ? encodeToken(lastKey) : undefined,
      KeyCount: result.objects.length,
      MaxKeys: requestedMaxKeys,
      Delimiter: options.delimiter,
      IsTruncated: result.isTruncated,
      Contents: result.objects.map((object) => ({
        Key: object.key,
        LastModified: object.lastModifiedDate.toISOString(),
        ETag: object.metadata.etag,
        Size: object.size,
        StorageClass: 'STANDARD',
      })),
      CommonPrefixes: result.commonPrefixes.map((prefix) => ({ Prefix: prefix })),
    },
  };
}

function encodeToken(lastKey: string): string {
  return Buffer.from(TOKEN_PREFIX + lastKey, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith(TOKEN_PREFIX)) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
      ArgumentName: 'continuation-token',
    });
  }
  return decoded.slice(TOKEN_PREFIX.length);
}
