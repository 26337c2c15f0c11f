/**
 * The registry's compare-and-swaps under interleavings that a real deployment produces: runs
 * gated against the same champion, a rejection landing during a promotion (both orders), and an
 * artifact changed after registration. Each interleaving is forced at an exact point with hooks.
 */

import { serializeArtifact } from '../../../core/artifact/format';
import { aliasKey, approvalKey, artifactKey } from '../../../core/registry/keys';
import { PRODUCTION_ALIAS } from '../../../core/registry/records';
import { ModelRegistry, RegistryError } from '../../../core/registry/registry';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { trainChurnArtifact } from '../../lambdas/inference/fixtures';
import { FaultyStore } from '../../support/faulty-store';
import { lineageFor, steppingClock } from './fixtures';

async function setup(versions: number) {
  const inner = new MemoryObjectStore('artifacts');
  const store = new FaultyStore(inner);
  const registry = new ModelRegistry({ store, clock: steppingClock() });
  // Another writer (another run, a person) that bypasses the hooks.
  const other = new ModelRegistry({ store: inner, clock: steppingClock(Date.parse('2026-01-01T06:00:00Z')) });
  for (let index = 1; index <= versions; index += 1) {
    await registry.register({ model: 'churn', artifact: `{"v":${index}}`, lineage: lineageFor(`run-${index}`) });
  }
  await registry.promote('churn', 1);
  return { inner, store, registry, other };
}

const productionOf = async (registry: ModelRegistry) =>
  (await registry.resolveAlias('churn', PRODUCTION_ALIAS))?.version ?? null;

describe('promotion as a compare-and-swap on the champion', () => {
  it('refuses as superseded a promotion decided against a champion that no longer serves', async () => {
    // given: two runs both compared against version 1; the first one promoted version 2
    const { registry } = await setup(3);
    await registry.promote('churn', 2, PRODUCTION_ALIAS, { expectedVersion: 1, runId: 'run-2' });
    // when: the second run promotes version 3, still believing version 1 serves
    const late = registry.promote('churn', 3, PRODUCTION_ALIAS, { expectedVersion: 1, runId: 'run-3' });
    // then
    await expect(late).rejects.toMatchObject({ code: 'superseded' });
    await expect(late).rejects.toThrow('production of churn moved from version 1 to 2');
    expect(await productionOf(registry)).toBe(2);
  });

  it('refuses a swap that loses to a move landing between its read and its write', async () => {
    // given: another writer promotes version 2 just before this promotion's alias write
    const { store, registry, other } = await setup(3);
    store.onFirstWrite(aliasKey('churn', PRODUCTION_ALIAS), async () => {
      await other.promote('churn', 2, PRODUCTION_ALIAS, { expectedVersion: 1 });
    });
    // when
    const promotion = registry.promote('churn', 3, PRODUCTION_ALIAS, { expectedVersion: 1, runId: 'run-3' });
    // then
    await expect(promotion).rejects.toMatchObject({ code: 'superseded' });
    const history = await registry.aliasHistory('churn', PRODUCTION_ALIAS);
    expect(history.map((entry) => [entry.previousVersion, entry.version])).toEqual([
      [null, 1],
      [1, 2],
    ]);
  });

  it('records the run of each promotion in the alias history', async () => {
    // given
    const { registry } = await setup(2);
    // when
    await registry.promote('churn', 2, PRODUCTION_ALIAS, { expectedVersion: 1, runId: 'run-2' });
    // then
    expect((await registry.aliasHistory('churn', PRODUCTION_ALIAS)).at(-1)).toMatchObject({
      version: 2,
      previousVersion: 1,
      runId: 'run-2',
    });
  });

  it('treats a rollback as stale when production moved after it chose its target', async () => {
    // given: production 1 -> 2 -> 3; a rollback from 3 decides to go to 2, then someone promotes 1
    const { store, registry, other } = await setup(3);
    await registry.promote('churn', 2);
    await registry.promote('churn', 3);
    store.onFirstWrite(aliasKey('churn', PRODUCTION_ALIAS), async () => {
      await other.promote('churn', 1);
    });
    // when
    const rollback = registry.rollback('churn');
    // then
    await expect(rollback).rejects.toMatchObject({ code: 'superseded' });
    expect(await productionOf(registry)).toBe(1);
  });
});

describe('rejecting a version while it is being promoted', () => {
  it('takes production back when the rejection lands between the approval check and the alias write', async () => {
    // given: the rejecter looks at production (still 1) and writes "rejected" just before the promoter's alias write
    const { store, registry, other } = await setup(2);
    store.onFirstWrite(aliasKey('churn', PRODUCTION_ALIAS), async () => {
      await other.setApproval('churn', 2, 'rejected', { actor: 'alice' });
    });
    // when
    const promotion = registry.promote('churn', 2, PRODUCTION_ALIAS, { expectedVersion: 1 });
    // then
    await expect(promotion).rejects.toMatchObject({ code: 'version-rejected' });
    expect(await productionOf(other)).toBe(1);
    expect((await other.aliasHistory('churn', PRODUCTION_ALIAS)).map((entry) => entry.kind)).toEqual([
      'promote',
      'promote',
      'rollback',
    ]);
  });

  it("takes production back when the promotion completes between the rejecter's look and its write", async () => {
    // given: the whole promotion of version 2 happens just before the rejection is written
    const { store, registry, other } = await setup(2);
    store.onFirstRead(approvalKey('churn', 2), async () => {
      await other.promote('churn', 2, PRODUCTION_ALIAS, { expectedVersion: 1 });
    });
    // when
    const result = await registry.setApproval('churn', 2, 'rejected', { actor: 'alice' });
    // then
    expect(result.rolledBack?.version).toBe(1);
    expect(await productionOf(registry)).toBe(1);
  });
});

describe('artifact integrity', () => {
  it('refuses an artifact changed after registration, naming the object and both hashes', async () => {
    // given
    const { inner, registry } = await setup(1);
    await inner.put(artifactKey('churn', 1), '{"v":666}');
    // when
    const load = registry.getArtifact('churn', 1);
    // then
    await expect(load).rejects.toBeInstanceOf(RegistryError);
    await expect(load).rejects.toMatchObject({ code: 'integrity' });
    await expect(load).rejects.toThrow(
      /s3:\/\/artifacts\/registry\/churn\/versions\/1\/model\.json .* SHA-256 [0-9a-f]{64}/,
    );
  });

  it('reports a registered version whose artifact is gone', async () => {
    // given
    const { inner, registry } = await setup(1);
    await inner.delete(artifactKey('churn', 1));
    // when / then
    await expect(registry.getArtifact('churn', 1)).rejects.toThrow('is registered but its artifact');
  });
});

describe('loading the version an alias points to', () => {
  it('returns the alias record, approval and parsed artifact', async () => {
    // given
    const store = new MemoryObjectStore('artifacts');
    const registry = new ModelRegistry({ store });
    const artifact = serializeArtifact(trainChurnArtifact({ seed: 1 }));
    await registry.register({ model: 'churn', artifact, lineage: lineageFor('run-1'), approval: 'approved' });
    await registry.promote('churn', 1);
    // when
    const loaded = await registry.loadAliased('churn');
    // then
    expect(loaded).toMatchObject({ version: 1, approval: 'approved', alias: { alias: 'production', version: 1 } });
    expect(loaded?.artifact.target.name).toBe('churned');
  });

  it('is null for an alias that was never set', async () => {
    const { registry } = await setup(1);
    expect(await registry.loadAliased('churn', 'staging')).toBeNull();
  });

  it('names the version and its object when the artifact is not a model', async () => {
    // given: registered bytes that verify but do not parse
    const { registry } = await setup(1);
    // when / then
    await expect(registry.loadAliased('churn')).rejects.toThrow(
      'version 1 of churn (s3://artifacts/registry/churn/versions/1/model.json)',
    );
  });
});
