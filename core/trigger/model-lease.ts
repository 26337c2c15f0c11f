import * as z from 'zod';
import { readJson, writeJson } from '../storage/json';
import { isPreconditionFailed, type ObjectStore } from '../storage/object-store';
import { triggerPrefix } from '../workflow/layout';

/**
 * One retrain-trigger invocation at a time per model, without reserved concurrency (which fails the
 * first deploy on an account whose Lambda quota is 10 or 50): a lease object taken with a
 * conditional write (If-None-Match: *). A holder that crashed leaves its lease behind; once the lease
 * expired, the next invocation takes it over with a compare-and-swap on its ETag, so of several
 * racing take-overs exactly one wins.
 */
export const leaseKey = (model: string): string => `${triggerPrefix(model)}lease.json`;

const leaseSchema = z.object({ owner: z.string(), expiresAt: z.string() });

export interface ModelLease {
  readonly model: string;
  readonly owner: string;
  readonly etag: string;
}

export interface ModelLeaseOptions {
  /** Longer than the trigger function's timeout, so a live holder never loses its lease. */
  readonly ttlMs: number;
  /** @default - the system clock */
  readonly clock?: () => Date;
}

export class ObjectStoreModelLeases {
  constructor(
    private readonly store: ObjectStore,
    private readonly options: ModelLeaseOptions,
  ) {}

  /** The lease, or null when another live holder has it. */
  async acquire(model: string, owner: string): Promise<ModelLease | null> {
    const now = (this.options.clock ?? (() => new Date()))();
    const body = { owner, expiresAt: new Date(now.getTime() + this.options.ttlMs).toISOString() };
    try {
      const { etag } = await writeJson(this.store, leaseKey(model), body, { ifNoneMatch: '*' });
      return { model, owner, etag };
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
    const current = await this.readLease(model);
    // Gone since our write (released): the next batch takes it; this one goes back to the queue.
    if (!current || Date.parse(current.value.expiresAt) > now.getTime()) return null;
    try {
      const { etag } = await writeJson(this.store, leaseKey(model), body, { ifMatch: current.etag });
      return { model, owner, etag };
    } catch (error) {
      if (isPreconditionFailed(error)) return null;
      throw error;
    }
  }

  /**
   * Deletes the lease if it is still this holder's: a conditional delete on its ETag, so a lease
   * another trigger took over after ours expired is never removed (a look then a delete could).
   */
  async release(lease: ModelLease): Promise<void> {
    try {
      await this.store.delete(leaseKey(lease.model), { ifMatch: lease.etag });
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }

  /** Runs `work` holding the model's lease and releases it afterwards, also when `work` throws. Null: not acquired. */
  async withLease<T>(model: string, owner: string, work: () => Promise<T>): Promise<{ value: T } | null> {
    const lease = await this.acquire(model, owner);
    if (!lease) return null;
    try {
      return { value: await work() };
    } finally {
      await this.release(lease);
    }
  }

  private async readLease(model: string) {
    try {
      return await readJson(this.store, leaseKey(model), leaseSchema);
    } catch {
      // An unreadable lease is treated as expired, with its ETag, so the CAS still decides one winner.
      const head = await this.store.head(leaseKey(model));
      return head ? { value: { owner: '?', expiresAt: new Date(0).toISOString() }, etag: head.etag } : null;
    }
  }
}
