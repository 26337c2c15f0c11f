import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { MemoryEventSink } from '../../../core/registry/events';
import { ModelRegistry } from '../../../core/registry/registry';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';
import { lineageFor } from './fixtures';

const BUCKET = 'artifacts';
let harness: LocalS3Harness;

beforeAll(async () => {
  harness = await startLocalS3Harness([BUCKET]);
});

afterAll(async () => {
  await harness.stop();
});

function registryFor(model: string) {
  const events = new MemoryEventSink();
  const registry = new ModelRegistry({ store: new S3ObjectStore(harness.client, BUCKET), events });
  const register = (runId: string) =>
    registry.register({ model, artifact: `{"run":"${runId}"}`, lineage: lineageFor(runId) });
  return { registry, events, register };
}

describe('registry over the local S3 endpoint', () => {
  it('gives 20 concurrent registrations 20 distinct versions', async () => {
    // given
    const { registry, register } = registryFor('concurrent-register');
    // when
    const versions = await Promise.all(Array.from({ length: 20 }, (_, index) => register(`run-${index}`)));
    // then
    expect(new Set(versions.map((version) => version.version)).size).toBe(20);
    expect((await registry.listVersions('concurrent-register')).map((version) => version.version)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
  });

  it('loses no update when 20 promotions race on production', async () => {
    // given
    const model = 'concurrent-promote';
    const { registry, events, register } = registryFor(model);
    for (let index = 1; index <= 20; index += 1) await register(`run-${index}`);
    // when
    await Promise.all(Array.from({ length: 20 }, (_, index) => registry.promote(model, index + 1)));
    // then
    const history = await registry.aliasHistory(model, 'production');
    expect(history.map((entry) => entry.sequence)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    history.forEach((entry, index) => {
      expect(entry.previousVersion).toBe(index === 0 ? null : history[index - 1]!.version);
    });
    expect(events.ofType('ModelAliasMoved')).toHaveLength(20);
    expect((await registry.resolveAlias(model, 'production'))?.version).toBe(history.at(-1)!.version);
  });

  it('rolls production back in one step', async () => {
    // given
    const model = 'rollback';
    const { registry, register } = registryFor(model);
    await register('run-1');
    await register('run-2');
    await registry.promote(model, 1);
    await registry.promote(model, 2);
    // when
    await registry.rollback(model);
    // then
    expect((await registry.resolveAlias(model, 'production'))?.version).toBe(1);
  });
});
