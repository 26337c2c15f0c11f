import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import S3rver = require('s3rver');
import AWSAccount = require('s3rver/lib/models/account');
import S3Error = require('s3rver/lib/models/error');

import type { S3RestRequest } from '../core/local/s3-request-action';
import { normaliseCopySource, refuseBrowsersAndUnsignedRequests } from './s3-access';
import { KeyedLock } from './s3-key-lock';
import { routeKeyAsOneSegment } from './s3-key-route';
import { listObjectsV2Middleware } from './s3-list-objects';
import { KeySafeFilesystemStore } from './s3-store';

export interface LocalS3Options {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Folder that holds the buckets' data; it survives restarts. */
  readonly directory: string;
  /** Buckets created at start when missing. */
  readonly buckets: readonly string[];
  /** Objects up to this size are read under the key's lock, so a reader never sees a half-written object. @default 64 MiB */
  readonly atomicReadLimitBytes?: number;
  /**
   * Decides each signed request before s3rver sees it: null serves it, a denial answers 403 with
   * its code and message, as S3 does. @default - every signed request is served
   */
  readonly authorize?: S3Authorizer;
}

/** Authorizes one S3 request signed with `accessKeyId`. */
export type S3Authorizer = (
  accessKeyId: string,
  request: S3RestRequest,
) => Promise<{ readonly code: string; readonly message: string } | null>;

/** What `events` emits as 'object-created' and 'object-removed'. */
export interface LocalS3ObjectEvent {
  readonly bucket: string;
  readonly key: string;
  /** S3 notification event name, e.g. `ObjectCreated:Put`, `ObjectCreated:Post` (multipart), `ObjectRemoved:Delete`. */
  readonly eventName: string;
  readonly size?: number;
  readonly etag?: string;
  readonly time: string;
}

export interface LocalS3 {
  /** e.g. http://127.0.0.1:4566 */
  readonly endpoint: string;
  readonly port: number;
  readonly events: EventEmitter;
  close(): Promise<void>;
}

/**
 * An S3-compatible endpoint on loopback: s3rver in-process, data persisted in `directory`,
 * plus what s3rver lacks and the registry relies on: S3's conditional writes.
 *
 * How conditional writes are enforced: a Koa middleware inserted into s3rver's own pipeline,
 * just before its router, takes a per-object mutex (bucket/key) for every request that reads or
 * writes one object. Under that lock it checks If-None-Match: * (object exists -> 412
 * PreconditionFailed) and If-Match (missing -> 404 NoSuchKey, other ETag -> 412) for PutObject,
 * CopyObject and CompleteMultipartUpload, then lets s3rver write. Check and write are therefore
 * one atomic step per key: of N concurrent conditional puts exactly one wins, as on S3. GETs of
 * objects up to `atomicReadLimitBytes` are buffered under the same lock, so a read never sees a
 * write in progress (s3rver writes files in place). ListObjectsV2 is served by our own handler
 * (see s3-list-objects.ts) because s3rver's continuation tokens need DES, absent from Node 17+.
 *
 * Keys stay keys: s3rver's store is replaced by one that encodes every key segment into a literal
 * file name (s3-store.ts, s3-key-path.ts), so `../` in a key cannot leave its bucket. Only signed,
 * non-browser requests are served (s3-access.ts).
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const host = options.host ?? '127.0.0.1';
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({
    address: host,
    port: options.port,
    directory: options.directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  server.store = server.context.store = new KeySafeFilesystemStore(options.directory);

  // s3rver's pipeline is [request logger, xml, mount, vhost, router]. Its request logger still
  // writes to a closed winston logger after close(), so it goes. Refusals come first, before any
  // parsing; our checks go just before the router.
  if (server.middleware[0]?.name === 'logger') server.middleware.splice(0, 1);
  server.middleware.unshift(refuseBrowsersAndUnsignedRequests);
  const routerIndex = server.middleware.length - 1;
  server.middleware.splice(
    routerIndex,
    0,
    acceptAnyAccessKey,
    routeKeyAsOneSegment,
    ...(options.authorize ? [authorizeRequests(options.authorize)] : []),
    normaliseCopySource,
    listObjectsV2Middleware,
    conditionalWrites(new KeyedLock(), options),
  );

  const events = new EventEmitter();
  server.on('event', (event: S3rverEvent) => {
    for (const record of event.Records) forwardRecord(events, record);
  });

  const address = await server.run();
  const endpoint = `http://${host}:${address.port}`;
  return {
    endpoint,
    port: address.port,
    events,
    close: async () => {
      const closing = server.close();
      server.httpServer?.closeAllConnections();
      await closing;
    },
  };
}

interface ObjectTarget {
  readonly bucket: string;
  readonly key: string;
}

interface S3rverEvent {
  Records: {
    eventName: string;
    eventTime: string;
    s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
  }[];
}

/** The Koa context fields this middleware uses. */
interface Context {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
  length?: number;
  get(header: string): string;
  app: { store: { getMetadata(bucket: string, key: string): Promise<{ etag: string }> } };
}

type Next = () => Promise<void>;

function objectTargetOf(path: string): ObjectTarget | null {
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  if (!match) return null;
  try {
    return { bucket: decodeURIComponent(match[1]!), key: decodeURIComponent(match[2]!) };
  } catch {
    return null;
  }
}

function conditionalWrites(locks: KeyedLock, options: LocalS3Options) {
  const atomicReadLimit = options.atomicReadLimitBytes ?? 64 * 1024 * 1024;
  return async function conditionalWritesMiddleware(ctx: Context, next: Next): Promise<void> {
    const target = objectTargetOf(ctx.path);
    // Parts of a multipart upload and its initiation do not touch the object itself.
    const touchesObject = target && !('partNumber' in ctx.query) && !('uploads' in ctx.query);
    if (!target || !touchesObject) return next();

    const release = await locks.acquire(`${target.bucket}/${target.key}`);
    try {
      if (isObjectWrite(ctx)) await checkPreconditions(ctx, target);
      await next();
      if (ctx.method === 'GET' && isReadable(ctx.body) && (ctx.length ?? 0) <= atomicReadLimit) {
        ctx.body = await readAll(ctx.body);
      }
    } finally {
      release();
    }
  };
}

function isObjectWrite(ctx: Context): boolean {
  // DELETE too: S3's conditional delete (If-Match) is checked like a conditional put.
  if (ctx.method === 'PUT' || ctx.method === 'DELETE') return true;
  return ctx.method === 'POST' && 'uploadId' in ctx.query;
}

async function checkPreconditions(ctx: Context, target: ObjectTarget): Promise<void> {
  const ifNoneMatch = ctx.get('if-none-match');
  const ifMatch = ctx.get('if-match');
  if (!ifNoneMatch && !ifMatch) return;
  if (ifNoneMatch && ifNoneMatch !== '*') {
    throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', {
      Header: 'If-None-Match',
    });
  }
  const currentEtag = await currentEtagOf(ctx, target);
  if (ifNoneMatch === '*' && currentEtag !== null) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
      Condition: 'If-None-Match',
    });
  }
  if (ifMatch) {
    if (currentEtag === null) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: target.key });
    if (stripQuotes(ifMatch) !== stripQuotes(currentEtag)) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-Match',
      });
    }
  }
}

async function currentEtagOf(ctx: Context, target: ObjectTarget): Promise<string | null> {
  try {
    return (await ctx.app.store.getMetadata(target.bucket, target.key)).etag;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function stripQuotes(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * s3rver knows one access key (S3RVER) and does not verify SigV4 signatures anyway; registering
 * whichever key a client signs with lets any S3 client with any dummy credentials talk to it.
 */
async function acceptAnyAccessKey(ctx: Context, next: Next): Promise<void> {
  const accessKeyId = accessKeyIdOf(ctx);
  if (accessKeyId && !AWSAccount.registry.has(accessKeyId)) {
    AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKeyId, accessKeyId);
  }
  return next();
}

function accessKeyIdOf(ctx: Context): string {
  const credential = /Credential=([^/,\s]+)\//.exec(ctx.get('authorization'))?.[1];
  const queryCredential = typeof ctx.query['X-Amz-Credential'] === 'string' ? ctx.query['X-Amz-Credential'] : '';
  return credential ?? queryCredential.split('/')[0] ?? '';
}

/** Runs after routeKeyAsOneSegment: the path is `/bucket` or `/bucket/<the key as one encoded segment>`. */
function authorizeRequests(authorize: S3Authorizer) {
  return async function authorizeMiddleware(ctx: Context, next: Next): Promise<void> {
    const match = /^\/([^/]+)(?:\/(.*))?$/s.exec(ctx.path);
    let key: string | undefined;
    try {
      key = match?.[2] ? decodeURIComponent(match[2]) : undefined;
    } catch {
      key = match?.[2];
    }
    const denial = await authorize(accessKeyIdOf(ctx), {
      method: ctx.method,
      bucket: match?.[1],
      key,
      query: ctx.query,
      header: (name) => ctx.get(name),
    });
    if (denial) throw new S3Error(denial.code, denial.message);
    return next();
  };
}

function forwardRecord(events: EventEmitter, record: S3rverEvent['Records'][number]): void {
  const event: LocalS3ObjectEvent = {
    bucket: record.s3.bucket.name,
    key: record.s3.object.key,
    eventName: record.eventName,
    size: record.s3.object.size,
    etag: record.s3.object.eTag,
    time: record.eventTime,
  };
  events.emit(record.eventName.startsWith('ObjectRemoved') ? 'object-removed' : 'object-created', event);
}

function isReadable(body: unknown): body is Readable {
  return typeof (body as Readable | null)?.pipe === 'function' && typeof (body as Readable).on === 'function';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
