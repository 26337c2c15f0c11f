/**
 * The one storage interface the pure core talks to: a single bucket with S3's semantics,
 * including conditional writes (the registry's atomicity rests on them).
 * adapters/s3-object-store.ts implements it for S3 (and the local S3 endpoint);
 * core/storage/memory-store.ts implements it in memory for unit tests.
 */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  /** Quoted as S3 returns it, e.g. `"9e107d9d372bb6826bd81d3542a419d6"`. */
  readonly etag: string;
}

export interface StoredObject {
  readonly body: Uint8Array;
  readonly etag: string;
}

export interface PutOptions {
  /** `'*'`: write only if no object exists at the key (S3 `If-None-Match: *`). */
  readonly ifNoneMatch?: '*';
  /** Write only if the current object's ETag equals this one (S3 `If-Match`). */
  readonly ifMatch?: string;
  readonly contentType?: string;
}

/** One page of a listing, for readers that must not list a whole prefix (the console's indexes). */
export interface ListPageOptions {
  /** Keys strictly after this one (S3 `StartAfter`). @default - from the first key */
  readonly startAfter?: string;
  /** At most this many keys (S3 `MaxKeys`, at most 1000). */
  readonly maxKeys: number;
}

export interface ListPage {
  readonly objects: ObjectSummary[];
  /** More keys follow the last one returned. */
  readonly truncated: boolean;
}

export interface DeleteOptions {
  /** Delete only if the current object's ETag equals this one (S3 `If-Match` on DeleteObject). */
  readonly ifMatch?: string;
}

export interface ObjectStore {
  /** The bucket this store is bound to (for messages and s3:// URIs). */
  readonly bucket: string;
  /** The object, or null when no object exists at the key. */
  get(key: string): Promise<StoredObject | null>;
  /** Throws PreconditionFailedError when `ifNoneMatch` or `ifMatch` does not hold. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }>;
  head(key: string): Promise<ObjectSummary | null>;
  /** The body as a stream of chunks, for reads that must not hold more than they check; null when absent. */
  getStream(key: string): Promise<{ readonly body: AsyncIterable<Uint8Array>; readonly etag: string } | null>;
  /** Every object whose key starts with `prefix`, in key order (paginated underneath). */
  list(prefix: string): Promise<ObjectSummary[]>;
  /**
   * One page of keys under `prefix` in key order: a single ListObjectsV2 request. Optional so
   * test doubles need not have it; call listPageOf(), which falls back to list().
   */
  listPage?(prefix: string, options: ListPageOptions): Promise<ListPage>;
  /**
   * Deleting a missing key is not an error (as on S3), unless `ifMatch` is given: then the object
   * is deleted only while its ETag is that one (S3's conditional delete), else
   * PreconditionFailedError ('etag-mismatch', or 'missing' when nothing is there).
   */
  delete(key: string, options?: DeleteOptions): Promise<void>;
}

export type PreconditionFailure =
  /** ifNoneMatch '*' and an object exists. */
  | 'exists'
  /** ifMatch and the current ETag differs. */
  | 'etag-mismatch'
  /** ifMatch and no object exists. */
  | 'missing'
  /** S3 saw a concurrent conditional write to the same key (409 ConditionalRequestConflict). */
  | 'conflict';

/** A conditional write lost: re-read the object and decide again. */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly failure: PreconditionFailure,
  ) {
    super(`conditional write to s3://${bucket}/${key} lost (${failure}); re-read the object and retry`);
  }
}

export function isPreconditionFailed(error: unknown): error is PreconditionFailedError {
  return error instanceof PreconditionFailedError;
}

/** ETags compare without their quotes or a weak prefix, as S3 does. */
export function sameEtag(a: string, b: string): boolean {
  return normalizeEtag(a) === normalizeEtag(b);
}

export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

/** One page of a listing: the store's own single request, else the whole listing cut to the page. */
export async function listPageOf(store: ObjectStore, prefix: string, options: ListPageOptions): Promise<ListPage> {
  if (store.listPage) return store.listPage(prefix, options);
  const after = options.startAfter;
  const rest = (await store.list(prefix)).filter((item) => after === undefined || item.key > after);
  return { objects: rest.slice(0, options.maxKeys), truncated: rest.length > options.maxKeys };
}

/** Upload order: oldest LastModified first, then key (S3 times are whole seconds, so ties are common). */
export function byUploadOrder(a: ObjectSummary, b: ObjectSummary): number {
  return a.lastModified.getTime() - b.lastModified.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** The newest LastModified among these objects, or null for none. */
export function newestModified(objects: readonly ObjectSummary[]): Date | null {
  return objects.reduce<Date | null>(
    (latest, item) => (!latest || item.lastModified > latest ? item.lastModified : latest),
    null,
  );
}
