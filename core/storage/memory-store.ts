import { createHash } from 'node:crypto';
import {
  type DeleteOptions,
  type ListPage,
  type ListPageOptions,
  type ObjectStore,
  type ObjectSummary,
  PreconditionFailedError,
  type PutOptions,
  type StoredObject,
  sameEtag,
  toBytes,
} from './object-store';

/** Chunk size of getStream, like a network read's. */
const MEMORY_CHUNK_BYTES = 64 * 1024;

interface MemoryObject {
  readonly body: Uint8Array;
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType?: string;
}

/**
 * ObjectStore in memory with S3's conditional-write semantics, for unit tests of pure logic
 * and the local platform's fakes. Each put checks and writes in one synchronous step, so
 * concurrent conditional puts on a key are decided exactly as S3 decides them: one wins.
 */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, MemoryObject>();

  constructor(
    readonly bucket = 'memory',
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(key: string): Promise<StoredObject | null> {
    await Promise.resolve();
    const object = this.objects.get(key);
    return object ? { body: object.body.slice(), etag: object.etag } : null;
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    // Yield first so concurrent callers interleave as they would over the network.
    await Promise.resolve();
    const current = this.objects.get(key);
    if (options.ifNoneMatch === '*' && current) throw new PreconditionFailedError(this.bucket, key, 'exists');
    if (options.ifMatch !== undefined) {
      if (!current) throw new PreconditionFailedError(this.bucket, key, 'missing');
      if (!sameEtag(current.etag, options.ifMatch))
        throw new PreconditionFailedError(this.bucket, key, 'etag-mismatch');
    }
    const bytes = toBytes(body).slice();
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    this.objects.set(key, { body: bytes, etag, lastModified: this.clock(), contentType: options.contentType });
    return { etag };
  }

  async getStream(key: string): Promise<{ body: AsyncIterable<Uint8Array>; etag: string } | null> {
    const object = await this.get(key);
    if (!object) return null;
    const { body } = object;
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let start = 0; start < body.byteLength; start += MEMORY_CHUNK_BYTES)
        yield body.subarray(start, start + MEMORY_CHUNK_BYTES);
    }
    return { body: chunks(), etag: object.etag };
  }

  async head(key: string): Promise<ObjectSummary | null> {
    await Promise.resolve();
    const object = this.objects.get(key);
    return object ? summary(key, object) : null;
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    await Promise.resolve();
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, object]) => summary(key, object));
  }

  async listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    const after = options.startAfter;
    const rest = (await this.list(prefix)).filter((item) => after === undefined || item.key > after);
    return { objects: rest.slice(0, options.maxKeys), truncated: rest.length > options.maxKeys };
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    await Promise.resolve();
    if (options.ifMatch !== undefined) {
      const current = this.objects.get(key);
      if (!current) throw new PreconditionFailedError(this.bucket, key, 'missing');
      if (!sameEtag(current.etag, options.ifMatch))
        throw new PreconditionFailedError(this.bucket, key, 'etag-mismatch');
    }
    this.objects.delete(key);
  }

  /** Every key, for assertions in tests. */
  keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}

function summary(key: string, object: MemoryObject): ObjectSummary {
  return { key, size: object.body.byteLength, lastModified: object.lastModified, etag: object.etag };
}
