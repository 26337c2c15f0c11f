import { approvalKey, artifactKey } from '../../../core/registry/keys';
import { ModelRegistry } from '../../../core/registry/registry';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { ModelCache, ModelUnavailableError } from '../../../lambdas/shared/model-cache';
import { CountingStore, MODEL, publish, trainChurnArtifact } from '../inference/fixtures';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const first = trainChurnArtifact({ seed: 1 });
const second = trainChurnArtifact({ seed: 2 });

function setup() {
  const memory = new MemoryObjectStore('artifacts');
  const store = new CountingStore(memory);
  let nowMs = 1_000_000;
  const clock = {
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
  const cache = new ModelCache({ store, model: MODEL, refreshMs: 60_000, now: () => nowMs, logger: silent });
  return { memory, store, clock, cache };
}

describe('ModelCache', () => {
  it('loads the production version on first use', async () => {
    // given version 1 in production
    const { memory, cache } = setup();
    await publish(memory, first);
    // when the model is requested
    const model = await cache.get();
    // then version 1 is served
    expect(model.version).toBe(1);
    expect(model.scorer.featureNames).toEqual(expect.arrayContaining(['age', 'plan', 'active']));
  });

  it('serves later requests within the interval without reading S3', async () => {
    // given a loaded model
    const { memory, store, clock, cache } = setup();
    await publish(memory, first);
    await cache.get();
    const readsAfterLoad = store.reads;
    // when 1000 requests arrive over the next 59 seconds
    for (let i = 0; i < 1000; i++) {
      clock.advance(59);
      await cache.get();
    }
    // then none of them read S3
    expect(store.reads).toBe(readsAfterLoad);
  });

  it('checks the alias with one HEAD per interval and reloads nothing when it did not move', async () => {
    const { memory, store, clock, cache } = setup();
    await publish(memory, first);
    await cache.get();
    const readsAfterLoad = store.reads;
    // when the interval passes
    clock.advance(60_000);
    await cache.get();
    // then one read (the HEAD) happened and the model was not reloaded
    expect(store.reads - readsAfterLoad).toBe(1);
    expect(cache.loads).toBe(1);
  });

  it('keeps serving the old version until the interval after a promotion has passed', async () => {
    // given version 1 loaded, then version 2 promoted
    const { memory, clock, cache } = setup();
    await publish(memory, first);
    await cache.get();
    await publish(memory, second);
    // when a request arrives 59 s later, then version 1 is still served
    clock.advance(59_000);
    expect((await cache.get()).version).toBe(1);
    // when the interval has passed, then version 2 is served
    clock.advance(1_000);
    expect((await cache.get()).version).toBe(2);
  });

  it('picks up a rollback as it picks up a promotion', async () => {
    const { memory, clock, cache } = setup();
    await publish(memory, first);
    await publish(memory, second);
    expect((await cache.get()).version).toBe(2);
    await new ModelRegistry({ store: memory }).rollback(MODEL);
    clock.advance(60_000);
    expect((await cache.get()).version).toBe(1);
  });

  it('keeps serving the loaded model when a refresh fails', async () => {
    // given version 1 loaded and S3 failing afterwards
    const { memory, store, clock, cache } = setup();
    await publish(memory, first);
    await cache.get();
    store.failing = true;
    // when the interval passes
    clock.advance(60_000);
    // then version 1 is still served
    expect((await cache.get()).version).toBe(1);
  });

  it('says there is no production model with a 503-mapped error, and asks S3 again only after the interval', async () => {
    // given a registry with nothing promoted
    const { store, clock, cache } = setup();
    // when requested twice within the interval
    await expect(cache.get()).rejects.toThrow(ModelUnavailableError);
    await expect(cache.get()).rejects.toThrow(/no production version yet/);
    // then S3 was read once
    expect(store.reads).toBe(1);
    clock.advance(60_000);
    await expect(cache.get()).rejects.toThrow(ModelUnavailableError);
    expect(store.reads).toBe(2);
  });

  it('serves the first model within the interval after it is promoted', async () => {
    const { memory, clock, cache } = setup();
    await expect(cache.get()).rejects.toThrow(ModelUnavailableError);
    await publish(memory, first);
    clock.advance(60_000);
    expect((await cache.get()).version).toBe(1);
  });

  it('loads once for concurrent first requests', async () => {
    const { memory, cache } = setup();
    await publish(memory, first);
    await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(cache.loads).toBe(1);
  });

  it('refuses a rejected version and keeps serving the one it had', async () => {
    // given version 1 served, then production moved to version 2, which is rejected
    const { memory, clock, cache } = setup();
    await publish(memory, first);
    await cache.get();
    const registry = new ModelRegistry({ store: memory });
    const version = await publish(memory, second);
    await memory.put(
      approvalKey(MODEL, version),
      JSON.stringify({ status: 'rejected', history: [{ status: 'rejected', at: '2026-01-01T00:00:00Z' }] }),
    );
    expect((await registry.resolveAlias(MODEL, 'production'))?.version).toBe(version);
    // when the interval passes
    clock.advance(60_000);
    // then version 1 is still served
    expect((await cache.get()).version).toBe(1);
  });

  it('answers 503 naming the cause when the only production version is rejected', async () => {
    // given
    const { memory, cache } = setup();
    const version = await publish(memory, first);
    await memory.put(approvalKey(MODEL, version), JSON.stringify({ status: 'rejected', history: [] }));
    // when / then
    await expect(cache.get()).rejects.toBeInstanceOf(ModelUnavailableError);
    await expect(cache.get()).rejects.toThrow('which is rejected');
  });

  it('refuses an artifact whose bytes changed after registration', async () => {
    // given
    const { memory, cache } = setup();
    const version = await publish(memory, first);
    const key = artifactKey(MODEL, version);
    const tampered = JSON.parse(new TextDecoder().decode((await memory.get(key))!.body));
    tampered.threshold = 0.01;
    await memory.put(key, JSON.stringify(tampered));
    // when / then
    await expect(cache.get()).rejects.toThrow(/SHA-256 .* it was changed after registration/);
  });
});
