import {
  type DeleteOptions,
  type ObjectStore,
  type ObjectSummary,
  PreconditionFailedError,
  type PutOptions,
  type StoredObject,
} from '../../core/storage/object-store';

/**
 * What goes wrong at one write:
 * - crash-before: the process dies before the write reaches S3 (nothing written);
 * - crash-after: the write lands, then the process dies before it learns so;
 * - lost-race: S3 answers 409/412 as if another writer got there first (nothing written).
 */
export type Fault = 'crash-before' | 'crash-after' | 'lost-race';
export const FAULTS: readonly Fault[] = ['crash-before', 'crash-after', 'lost-race'];

export class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

/**
 * An ObjectStore that counts writes (puts and deletes) and injects one fault at write number
 * `at` (0-based), so a test can walk a fault through every write an operation makes. Hooks let a
 * test run another writer at an exact point of an operation (before a read of a key returns).
 */
export class FaultyStore implements ObjectStore {
  writes = 0;
  readonly writtenKeys: string[] = [];
  private plan?: { readonly at: number; readonly fault: Fault };
  private readonly readHooks = new Map<string, () => Promise<void>>();
  private readonly writeHooks = new Map<string, () => Promise<void>>();

  constructor(private readonly inner: ObjectStore) {}

  get bucket(): string {
    return this.inner.bucket;
  }

  arm(at: number, fault: Fault): void {
    this.plan = { at, fault };
    this.writes = 0;
    this.writtenKeys.length = 0;
  }

  disarm(): void {
    this.plan = undefined;
  }

  /** Runs `hook` once, the first time `key` is read, before the read returns. */
  onFirstRead(key: string, hook: () => Promise<void>): void {
    this.readHooks.set(key, hook);
  }

  /** Runs `hook` once, the first time `key` is written, before the write is made. */
  onFirstWrite(key: string, hook: () => Promise<void>): void {
    this.writeHooks.set(key, hook);
  }

  async get(key: string): Promise<StoredObject | null> {
    const hook = this.readHooks.get(key);
    if (hook) {
      this.readHooks.delete(key);
      await hook();
    }
    return this.inner.get(key);
  }

  getStream(key: string): ReturnType<ObjectStore['getStream']> {
    return this.inner.getStream(key);
  }

  head(key: string): Promise<ObjectSummary | null> {
    return this.inner.head(key);
  }

  list(prefix: string): Promise<ObjectSummary[]> {
    return this.inner.list(prefix);
  }

  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }> {
    const conditional = options?.ifMatch !== undefined || options?.ifNoneMatch !== undefined;
    return this.write(key, conditional, () => this.inner.put(key, body, options));
  }

  async delete(key: string, options?: DeleteOptions): Promise<void> {
    await this.write(key, options?.ifMatch !== undefined, () => this.inner.delete(key, options));
  }

  private async write<T>(key: string, conditional: boolean, perform: () => Promise<T>): Promise<T> {
    const hook = this.writeHooks.get(key);
    if (hook) {
      this.writeHooks.delete(key);
      await hook();
    }
    const index = this.writes++;
    this.writtenKeys.push(key);
    const fault = this.plan?.at === index ? this.plan.fault : undefined;
    if (fault === 'crash-before') throw new InjectedCrash(`crash before write ${index} (${key})`);
    if (fault === 'lost-race') {
      // S3 answers a lost conditional write with 412/409; an unconditional one cannot lose, so it fails as a 500 would.
      if (conditional) throw new PreconditionFailedError(this.bucket, key, 'conflict');
      throw new InjectedCrash(`S3 InternalError on write ${index} (${key})`);
    }
    const result = await perform();
    if (fault === 'crash-after') throw new InjectedCrash(`crash after write ${index} (${key})`);
    return result;
  }
}

/** A copy of every object in `source` (for running many faults from one prepared state). */
export async function copyStore(source: ObjectStore, target: ObjectStore): Promise<void> {
  for (const item of await source.list('')) {
    const object = await source.get(item.key);
    if (object) await target.put(item.key, object.body);
  }
}
