import * as z from 'zod';
import { ContentionError, updateJsonObject } from '../../../core/storage/conditional-update';
import { readJson } from '../../../core/storage/json';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { PreconditionFailedError } from '../../../core/storage/object-store';
import { FaultyStore } from '../../support/faulty-store';

const counter = z.object({ count: z.number() });
const noWait = async () => undefined;

function increment(store: MemoryObjectStore | FaultyStore, options = {}) {
  return updateJsonObject(
    store,
    'counter.json',
    counter,
    (current) => {
      const next = { count: (current?.value.count ?? 0) + 1 };
      return { write: next, onWritten: () => next.count };
    },
    { what: 'incrementing the counter', backoff: noWait, ...options },
  );
}

describe('updateJsonObject', () => {
  it('creates the object when absent and updates it from what it read', async () => {
    // given
    const store = new MemoryObjectStore('b');
    // when
    const results = [await increment(store), await increment(store)];
    // then
    expect(results).toEqual([1, 2]);
    expect((await readJson(store, 'counter.json', counter))?.value).toEqual({ count: 2 });
  });

  it('loses no update when many writers race: each loser re-reads and decides again', async () => {
    // given
    const store = new MemoryObjectStore('b');
    // when
    const results = await Promise.all(Array.from({ length: 20 }, () => increment(store, { maxAttempts: 64 })));
    // then
    expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect((await readJson(store, 'counter.json', counter))?.value).toEqual({ count: 20 });
  });

  it('writes nothing when the decision is done', async () => {
    // given
    const store = new FaultyStore(new MemoryObjectStore('b'));
    // when
    const result = await updateJsonObject(store, 'counter.json', counter, () => ({ done: 'nothing to do' }), {
      what: 'x',
    });
    // then
    expect(result).toBe('nothing to do');
    expect(store.writes).toBe(0);
  });

  it('gives up after maxAttempts lost writes, naming what it was doing and where', async () => {
    // given: a store where every conditional write loses its race
    class AlwaysLoses extends MemoryObjectStore {
      override async put(key: string): Promise<{ etag: string }> {
        throw new PreconditionFailedError(this.bucket, key, 'conflict');
      }
    }
    // when
    const update = increment(new AlwaysLoses('b'), { maxAttempts: 3 });
    // then
    await expect(update).rejects.toBeInstanceOf(ContentionError);
    await expect(update).rejects.toThrow(
      'gave up incrementing the counter after 3 lost conditional writes to s3://b/counter.json',
    );
  });

  it('lets any other write error through at once', async () => {
    // given
    const store = new FaultyStore(new MemoryObjectStore('b'));
    store.arm(0, 'crash-before');
    // when / then
    await expect(increment(store)).rejects.toThrow('crash before write 0');
  });
});
