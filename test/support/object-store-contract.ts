import { createHash } from 'node:crypto';
import { isPreconditionFailed, type ObjectStore, PreconditionFailedError } from '../../core/storage/object-store';
import { ObjectTooLargeError, readCapped } from '../../core/storage/read-capped';

/** The behaviours every ObjectStore must share; run against memory and against the local S3 endpoint. */
export function describeObjectStoreContract(name: string, createStore: () => ObjectStore): void {
  describe(`${name} ObjectStore contract`, () => {
    const text = (body: Uint8Array) => new TextDecoder().decode(body);

    it('returns null for a key that does not exist', async () => {
      expect(await createStore().get('missing.json')).toBeNull();
    });

    it('returns the bytes and ETag that a put stored', async () => {
      // given
      const store = createStore();
      const { etag } = await store.put('a/b.json', '{"x":1}');
      // when
      const object = await store.get('a/b.json');
      // then
      expect(text(object!.body)).toBe('{"x":1}');
      expect(object!.etag).toBe(etag);
    });

    it('answers head with size and ETag, and null when missing', async () => {
      // given
      const store = createStore();
      const { etag } = await store.put('a.txt', 'hello');
      // when
      const summary = await store.head('a.txt');
      // then
      expect(summary).toMatchObject({ key: 'a.txt', size: 5, etag });
      expect(await store.head('b.txt')).toBeNull();
    });

    it('streams a body in chunks that readCapped joins and hashes', async () => {
      // given a body of several chunks
      const store = createStore();
      const body = new Uint8Array(300_000).map((_, i) => i % 251);
      await store.put('big.bin', body);
      // when
      const read = await readCapped(store, 'big.bin', body.byteLength);
      // then
      expect(Buffer.from(read!.body).equals(Buffer.from(body))).toBe(true);
      expect(read!.sha256).toBe(createHash('sha256').update(body).digest('hex'));
      expect(await readCapped(store, 'absent.bin', 10)).toBeNull();
    });

    it('stops a capped read with ObjectTooLargeError once the body passes the cap', async () => {
      // given
      const store = createStore();
      await store.put('big.bin', new Uint8Array(300_000));
      // when
      const attempt = readCapped(store, 'big.bin', 100_000);
      // then
      await expect(attempt).rejects.toBeInstanceOf(ObjectTooLargeError);
    });

    it('lists every key under a prefix in key order', async () => {
      // given
      const store = createStore();
      for (const key of ['p/2.json', 'p/1.json', 'q/1.json', 'p/sub/3.json']) await store.put(key, key);
      // when
      const keys = (await store.list('p/')).map((item) => item.key);
      // then
      expect(keys).toEqual(['p/1.json', 'p/2.json', 'p/sub/3.json']);
    });

    it('deletes a key, and deleting a missing key is not an error', async () => {
      // given
      const store = createStore();
      await store.put('a.txt', 'a');
      // when
      await store.delete('a.txt');
      await store.delete('never-there.txt');
      // then
      expect(await store.get('a.txt')).toBeNull();
    });

    it('deletes with ifMatch only while the ETag is current, and refuses a missing key', async () => {
      // given
      const store = createStore();
      const first = await store.put('lease', 'mine');
      const second = await store.put('lease', 'theirs');
      // when
      const stale = store.delete('lease', { ifMatch: first.etag });
      // then
      await expect(stale).rejects.toMatchObject({ failure: 'etag-mismatch' });
      expect(text((await store.get('lease'))!.body)).toBe('theirs');
      await store.delete('lease', { ifMatch: second.etag });
      expect(await store.get('lease')).toBeNull();
      await expect(store.delete('lease', { ifMatch: second.etag })).rejects.toMatchObject({ failure: 'missing' });
    });

    it('refuses ifNoneMatch * over an existing key with PreconditionFailedError', async () => {
      // given
      const store = createStore();
      await store.put('k', 'first');
      // when
      const attempt = store.put('k', 'second', { ifNoneMatch: '*' });
      // then
      await expect(attempt).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(text((await store.get('k'))!.body)).toBe('first');
    });

    it('refuses ifMatch with a stale ETag and accepts the current one', async () => {
      // given
      const store = createStore();
      const first = await store.put('k', 'v1');
      const second = await store.put('k', 'v2');
      // when
      const stale = store.put('k', 'v3', { ifMatch: first.etag });
      // then
      await expect(stale).rejects.toMatchObject({ failure: 'etag-mismatch' });
      await store.put('k', 'v3', { ifMatch: second.etag });
      expect(text((await store.get('k'))!.body)).toBe('v3');
    });

    it('refuses ifMatch on a missing key as a lost precondition', async () => {
      await expect(createStore().put('k', 'v', { ifMatch: '"abc"' })).rejects.toMatchObject({ failure: 'missing' });
    });

    it('lets exactly one of 20 concurrent ifNoneMatch puts win', async () => {
      // given
      const store = createStore();
      // when
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) => store.put('race', `w${index}`, { ifNoneMatch: '*' })),
      );
      // then
      const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(outcomes.length - losers.length).toBe(1);
      expect(losers.every((outcome) => isPreconditionFailed((outcome as PromiseRejectedResult).reason))).toBe(true);
    });
  });
}
