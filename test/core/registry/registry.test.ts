import { MemoryEventSink } from '../../../core/registry/events';
import { ModelRegistry, RegistryError } from '../../../core/registry/registry';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { lineageFor, steppingClock } from './fixtures';

function setup() {
  const store = new MemoryObjectStore('artifacts');
  const events = new MemoryEventSink();
  const registry = new ModelRegistry({ store, events, clock: steppingClock() });
  const register = (runId: string, model = 'churn') =>
    registry.register({ model, artifact: `{"run":"${runId}"}`, lineage: lineageFor(runId) });
  return { store, events, registry, register };
}

async function registerMany(register: (runId: string) => Promise<unknown>, count: number): Promise<void> {
  for (let index = 1; index <= count; index += 1) await register(`run-${index}`);
}

describe('registering versions', () => {
  it('numbers the first version 1 and the next 2', async () => {
    // given
    const { register } = setup();
    // when
    const first = await register('run-1');
    const second = await register('run-2');
    // then
    expect([first.version, second.version]).toEqual([1, 2]);
  });

  it('stores the artifact bytes at versions/<n>/model.json', async () => {
    // given
    const { registry, store, register } = setup();
    // when
    const version = await register('run-1');
    // then
    expect(version.artifactKey).toBe('registry/churn/versions/1/model.json');
    expect(new TextDecoder().decode((await store.get(version.artifactKey))!.body)).toBe('{"run":"run-1"}');
    expect(new TextDecoder().decode((await registry.getArtifact('churn', 1))!)).toBe('{"run":"run-1"}');
  });

  it('keeps the lineage given at registration', async () => {
    // given
    const { registry, register } = setup();
    // when
    await register('run-7');
    // then
    const stored = await registry.getVersion('churn', 1);
    expect(stored?.lineage).toEqual(lineageFor('run-7'));
  });

  it('gives 20 concurrent registrations 20 distinct versions 1..20', async () => {
    // given
    const { registry, register } = setup();
    // when
    const versions = await Promise.all(Array.from({ length: 20 }, (_, index) => register(`run-${index}`)));
    // then
    expect(versions.map((version) => version.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    const runs = (await registry.listVersions('churn')).map((version) => version.lineage.runId);
    expect(new Set(runs).size).toBe(20);
  });

  it('skips a number whose artifact was claimed by a registration that never committed', async () => {
    // given an artifact at version 1 without metadata (a registration that died)
    const { registry, store, register } = setup();
    await store.put('registry/churn/versions/1/model.json', 'orphan');
    // when
    const version = await register('run-1');
    // then
    expect(version.version).toBe(2);
    expect(await registry.getVersion('churn', 1)).toBeNull();
  });

  it('starts a new version as pending approval', async () => {
    // given
    const { register } = setup();
    // when
    const version = await register('run-1');
    // then
    expect(version.approval.status).toBe('pending');
  });

  it('rejects lineage without a full SHA-256 and names the field', async () => {
    // given
    const { registry } = setup();
    // when
    const attempt = registry.register({
      model: 'churn',
      artifact: '{}',
      lineage: { ...lineageFor('run-1'), dataSha256: 'abc' },
    });
    // then
    await expect(attempt).rejects.toThrow(/dataSha256/);
  });

  it.each([
    [
      'both a training data hash and an import',
      { imported: { source: 'xgboost', importKey: 'imports/churn/x/model.json', modelKind: 'trees' } },
    ],
    ['neither a training data hash nor an import', { dataSha256: undefined }],
  ])('rejects lineage with %s, since a version is either trained or imported', async (_case, change) => {
    // given
    const { registry } = setup();
    // when
    const attempt = registry.register({
      model: 'churn',
      artifact: '{}',
      lineage: { ...lineageFor('run-1'), ...change },
    });
    // then
    await expect(attempt).rejects.toThrow(/either dataSha256 \(trained\) or imported/);
    expect(await registry.listVersions('churn')).toEqual([]);
  });

  it('rejects a model name that is not a valid prefix', async () => {
    // given
    const { registry } = setup();
    // when
    const attempt = registry.register({ model: 'Churn Model', artifact: '{}', lineage: lineageFor('run-1') });
    // then
    await expect(attempt).rejects.toThrow(/"Churn Model" must match/);
  });

  it('publishes ModelVersionRegistered with the run and data hash', async () => {
    // given
    const { events, register } = setup();
    // when
    await register('run-1');
    // then
    expect(events.ofType('ModelVersionRegistered')).toEqual([
      expect.objectContaining({
        source: 'mlops.registry',
        detail: expect.objectContaining({ model: 'churn', version: 1, runId: 'run-1', dataSha256: 'a'.repeat(64) }),
      }),
    ]);
  });
});

describe('listing', () => {
  it('lists models that have versions, by name', async () => {
    // given
    const { registry, register } = setup();
    await register('run-1', 'fraud');
    await register('run-2', 'churn');
    // when
    const models = await registry.listModels();
    // then
    expect(models).toEqual(['churn', 'fraud']);
  });

  it('lists versions in numeric order past 9', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 11);
    // when
    const versions = await registry.listVersions('churn');
    // then
    expect(versions.map((version) => version.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});

describe('aliases', () => {
  it('resolves production to the promoted version', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 2);
    // when
    await registry.promote('churn', 2);
    // then
    expect((await registry.resolveAlias('churn', 'production'))?.version).toBe(2);
  });

  it('moves any alias matching the pattern, such as staging', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 1);
    // when
    await registry.promote('churn', 1, 'staging');
    // then
    expect((await registry.listAliases('churn')).map((alias) => [alias.alias, alias.version])).toEqual([
      ['staging', 1],
    ]);
  });

  it('refuses an alias name outside the pattern', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 1);
    // when
    const attempt = registry.promote('churn', 1, '../prod');
    // then
    await expect(attempt).rejects.toThrow(/alias "..\/prod" must match/);
  });

  it('refuses to promote a version that does not exist and lists the ones that do', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 2);
    // when
    const attempt = registry.promote('churn', 9);
    // then
    await expect(attempt).rejects.toThrow('model churn has no version 9; registered versions: 1, 2');
  });

  it('treats promoting the version the alias already points to as a no-op', async () => {
    // given
    const { registry, events, register } = setup();
    await registerMany(register, 1);
    await registry.promote('churn', 1);
    // when
    const again = await registry.promote('churn', 1);
    // then
    expect(again.moved).toBe(false);
    expect(events.ofType('ModelAliasMoved')).toHaveLength(1);
  });

  it('loses no update when 20 promotions race on one alias', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 20);
    // when
    const moves = await Promise.all(Array.from({ length: 20 }, (_, index) => registry.promote('churn', index + 1)));
    // then every move landed, in one chain where each saw its predecessor
    expect(moves.every((move) => move.moved)).toBe(true);
    const history = await registry.aliasHistory('churn', 'production');
    expect(history.map((entry) => entry.sequence)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    history.forEach((entry, index) => {
      expect(entry.previousVersion).toBe(index === 0 ? null : history[index - 1]!.version);
    });
    expect(new Set(history.map((entry) => entry.version)).size).toBe(20);
    expect((await registry.resolveAlias('churn', 'production'))?.version).toBe(history.at(-1)!.version);
  });

  it('publishes ModelAliasMoved with the previous version', async () => {
    // given
    const { registry, events, register } = setup();
    await registerMany(register, 2);
    await registry.promote('churn', 1);
    // when
    await registry.promote('churn', 2);
    // then
    expect(events.ofType('ModelAliasMoved').at(-1)?.detail).toMatchObject({
      alias: 'production',
      version: 2,
      previousVersion: 1,
      sequence: 2,
    });
  });
});

describe('alias history', () => {
  it('answers which version was production at a given time', async () => {
    // given moves at distinct seconds
    const { registry, register } = setup();
    await registerMany(register, 3);
    const first = (await registry.promote('churn', 1)).record;
    const second = (await registry.promote('churn', 2)).record;
    await registry.promote('churn', 3);
    // when
    const beforeAny = await registry.aliasAt('churn', 'production', new Date(Date.parse(first.movedAt) - 1));
    const atSecond = await registry.aliasAt('churn', 'production', new Date(second.movedAt));
    const justAfterSecond = await registry.aliasAt('churn', 'production', new Date(Date.parse(second.movedAt) + 500));
    // then
    expect([beforeAny, atSecond, justAfterSecond]).toEqual([null, 2, 2]);
  });

  it('keeps one object per move with keys that sort in move order', async () => {
    // given
    const { registry, store, register } = setup();
    await registerMany(register, 2);
    // when
    await registry.promote('churn', 1);
    await registry.promote('churn', 2);
    await registry.rollback('churn');
    // then
    const keys = (await store.list('registry/churn/alias-history/production/')).map((item) => item.key);
    expect(keys).toHaveLength(3);
    expect(keys).toEqual([...keys].sort());
    expect((await registry.aliasHistory('churn', 'production')).map((entry) => entry.version)).toEqual([1, 2, 1]);
  });

  it('recovers a move whose history entry was never written', async () => {
    // given a move recorded only in the alias object
    const { registry, store, register } = setup();
    await registerMany(register, 2);
    await registry.promote('churn', 1);
    await registry.promote('churn', 2);
    const [, secondEntry] = await store.list('registry/churn/alias-history/production/');
    await store.delete(secondEntry!.key);
    // when
    const history = await registry.aliasHistory('churn', 'production');
    // then
    expect(history.map((entry) => entry.version)).toEqual([1, 2]);
  });
});

describe('rollback', () => {
  it('moves production back to the version it served before', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 3);
    await registry.promote('churn', 1);
    await registry.promote('churn', 3);
    // when
    const result = await registry.rollback('churn');
    // then
    expect(result.record).toMatchObject({ version: 1, previousVersion: 3, kind: 'rollback' });
  });

  it('walks further back on a second rollback instead of toggling', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 3);
    for (const version of [1, 2, 3]) await registry.promote('churn', version);
    await registry.rollback('churn');
    // when
    const second = await registry.rollback('churn');
    // then
    expect(second.record.version).toBe(1);
  });

  it('rolls back to a given version', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 3);
    await registry.promote('churn', 3);
    // when
    const result = await registry.rollback('churn', { to: 2 });
    // then
    expect(result.record).toMatchObject({ version: 2, kind: 'rollback' });
  });

  it('refuses to roll back a version other than the one the caller decided from (compare-and-swap)', async () => {
    // given a monitor measured version 2, then version 3 was promoted
    const { registry, register } = setup();
    await registerMany(register, 3);
    for (const version of [1, 2, 3]) await registry.promote('churn', version);
    // when it rolls back expecting version 2
    const attempt = registry.rollback('churn', { to: 1, expectedVersion: 2 });
    // then nothing moves
    await expect(attempt).rejects.toMatchObject({ code: 'superseded' });
    expect((await registry.resolveAlias('churn', 'production'))?.version).toBe(3);
  });

  it('fails clearly when production has no earlier version', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 1);
    await registry.promote('churn', 1);
    // when
    const attempt = registry.rollback('churn');
    // then
    await expect(attempt).rejects.toThrow(/no earlier non-rejected version.*--to <version>/);
  });

  it('fails clearly when there is no production version at all', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 1);
    // when
    const attempt = registry.rollback('churn');
    // then
    await expect(attempt).rejects.toThrow('cannot roll back churn: it has no production version yet');
  });

  it('skips a previous version that has since been rejected', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 3);
    for (const version of [1, 2, 3]) await registry.promote('churn', version);
    await registry.setApproval('churn', 2, 'rejected');
    // when
    const result = await registry.rollback('churn');
    // then
    expect(result.record.version).toBe(1);
  });
});

describe('approval', () => {
  it('records each status change in the approval history', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 1);
    // when
    await registry.setApproval('churn', 1, 'approved', { actor: 'alice', reason: 'reviewed' });
    // then
    const approval = await registry.getApproval('churn', 1);
    expect(approval.status).toBe('approved');
    expect(approval.history.map((change) => change.status)).toEqual(['pending', 'approved']);
    expect(approval.history[1]).toMatchObject({ actor: 'alice', reason: 'reviewed' });
  });

  it('leaves the immutable version metadata untouched', async () => {
    // given
    const { registry, store, register } = setup();
    await registerMany(register, 1);
    const before = await store.get('registry/churn/versions/1/version.json');
    // when
    await registry.setApproval('churn', 1, 'approved');
    // then
    expect((await store.get('registry/churn/versions/1/version.json'))!.etag).toBe(before!.etag);
  });

  it('rolls production back when the version it serves is rejected', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 2);
    await registry.promote('churn', 1);
    await registry.promote('churn', 2);
    // when
    const result = await registry.setApproval('churn', 2, 'rejected', { reason: 'bias found' });
    // then
    expect(result.rolledBack).toMatchObject({ version: 1, kind: 'rollback', reason: 'bias found' });
    expect((await registry.resolveAlias('churn', 'production'))?.version).toBe(1);
  });

  it('refuses to reject the only production version and changes nothing', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 1);
    await registry.promote('churn', 1);
    // when
    const attempt = registry.setApproval('churn', 1, 'rejected');
    // then
    await expect(attempt).rejects.toBeInstanceOf(RegistryError);
    expect((await registry.getApproval('churn', 1)).status).toBe('pending');
  });

  it('refuses to promote a rejected version', async () => {
    // given
    const { registry, register } = setup();
    await registerMany(register, 1);
    await registry.setApproval('churn', 1, 'rejected');
    // when
    const attempt = registry.promote('churn', 1);
    // then
    await expect(attempt).rejects.toThrow(/version 1 of churn is rejected/);
  });

  it('publishes ModelApprovalChanged with the previous status', async () => {
    // given
    const { registry, events, register } = setup();
    await registerMany(register, 1);
    // when
    await registry.setApproval('churn', 1, 'approved');
    // then
    expect(events.ofType('ModelApprovalChanged')[0]?.detail).toMatchObject({
      version: 1,
      status: 'approved',
      previousStatus: 'pending',
    });
  });
});
