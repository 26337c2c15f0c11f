import { S3ObjectStore } from '../../adapters/s3-object-store';
import { type LocalS3Harness, startLocalS3Harness } from '../support/local-s3-harness';
import { describeObjectStoreContract } from '../support/object-store-contract';

const BUCKET = 'artifacts';
let harness: LocalS3Harness;
let keyspace = 0;

beforeAll(async () => {
  harness = await startLocalS3Harness([BUCKET]);
});

afterAll(async () => {
  await harness.stop();
});

// Each test gets its own key prefix in one bucket: cheaper than a server per test.
describeObjectStoreContract('S3 (local endpoint)', () => {
  keyspace += 1;
  return prefixed(new S3ObjectStore(harness.client, BUCKET), `t${keyspace}/`);
});

function prefixed(store: S3ObjectStore, prefix: string): S3ObjectStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'head') {
        return async (key: string) => {
          const summary = await target.head(prefix + key);
          return summary && { ...summary, key };
        };
      }
      if (property === 'list') {
        return async (listPrefix: string) =>
          (await target.list(prefix + listPrefix)).map((item) => ({ ...item, key: item.key.slice(prefix.length) }));
      }
      if (typeof value === 'function' && ['get', 'getStream', 'put', 'delete'].includes(String(property))) {
        return (key: string, ...rest: unknown[]) => value.call(target, prefix + key, ...rest);
      }
      return value;
    },
  });
}

describe('S3ObjectStore pagination', () => {
  it('follows continuation tokens across pages', async () => {
    // given seven objects and pages of two keys
    const store = new S3ObjectStore(harness.client, BUCKET, { listPageSize: 2 });
    const keys = Array.from({ length: 7 }, (_, index) => `paged/${index}.json`);
    for (const key of keys) await store.put(key, key);
    // when
    const listed = await store.list('paged/');
    // then
    expect(listed.map((item) => item.key)).toEqual(keys);
  });
});
