import { ConsoleData } from '../../../core/console/console-data';
import type { Lineage } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import { writeRunRecord } from '../../../core/runs/run-record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';

const lineage = (version: number): Lineage => ({
  runId: `run-${version}`,
  dataSha256: 'a'.repeat(64),
  dataKey: 'churn/data.csv',
  codeVersion: 'mlops@test',
  parameters: {},
  metrics: { auc: 0.7 + version / 100 },
  schema: { target: 'churned', rowCount: 10, columns: [] },
});

/** A registry whose clock moves one minute per call, so every move has its own time. */
function setup() {
  const artifacts = new MemoryObjectStore();
  let tick = Date.parse('2026-01-01T00:00:00.000Z');
  const registry = new ModelRegistry({
    store: artifacts,
    clock: () => {
      tick += 60_000;
      return new Date(tick);
    },
  });
  const data = new ConsoleData({ artifacts, registry, models: async () => ['churn'] });
  return { artifacts, registry, data };
}

describe('console data', () => {
  it('pages versions newest first with their approval and aliases', async () => {
    // given five versions, v3 in production
    const { registry, data } = setup();
    for (let v = 1; v <= 5; v += 1) await registry.register({ model: 'churn', artifact: '{}', lineage: lineage(v) });
    await registry.promote('churn', 3);
    // when
    const first = await data.versions('churn', { size: 2 });
    const second = await data.versions('churn', { size: 2, before: Number(first.next) });
    const last = await data.versions('churn', { size: 2, before: Number(second.next) });
    // then
    expect(first.items.map((v) => v.version)).toEqual([5, 4]);
    expect(second.items.map((v) => [v.version, v.aliases])).toEqual([
      [3, ['production']],
      [2, []],
    ]);
    expect(last.items.map((v) => v.version)).toEqual([1]);
    expect(last.next).toBeNull();
    expect(first.items[0]).toMatchObject({ approval: 'pending', runId: 'run-5', metrics: { auc: 0.75 } });
  });

  it('charts the newest versions oldest first', async () => {
    const { registry, data } = setup();
    for (let v = 1; v <= 4; v += 1) await registry.register({ model: 'churn', artifact: '{}', lineage: lineage(v) });
    expect((await data.metricSeries('churn', 3)).map((p) => p.version)).toEqual([2, 3, 4]);
  });

  it('pages the production history newest first and answers what was production at a time', async () => {
    // given v1, v2, v3 promoted in turn, then a rollback to v2
    const { registry, data } = setup();
    for (let v = 1; v <= 3; v += 1) {
      await registry.register({ model: 'churn', artifact: '{}', lineage: lineage(v) });
      await registry.promote('churn', v, 'production', { reason: `release ${v}` });
    }
    await registry.rollback('churn', { reason: 'regression' });
    const moves = (await registry.aliasHistory('churn', 'production')).map((m) => m.movedAt);
    // when
    const first = await data.history('churn', { size: 3 });
    const rest = await data.history('churn', { size: 3, before: Number(first.next) });
    // then
    expect(first.items.map((m) => [m.sequence, m.kind, m.version])).toEqual([
      [4, 'rollback', 2],
      [3, 'promote', 3],
      [2, 'promote', 2],
    ]);
    expect(rest.items.map((m) => m.sequence)).toEqual([1]);
    expect(rest.next).toBeNull();
    expect(await data.aliasAt('churn', new Date(Date.parse(moves[0]!) - 1))).toBeNull();
    expect((await data.aliasAt('churn', new Date(moves[2]!)))?.version).toBe(3);
    expect((await data.aliasAt('churn', new Date(Date.parse(moves[3]!) + 1)))?.reason).toBe('regression');
  });

  it('pages runs newest first from the index, whatever their ids', async () => {
    const { artifacts, data } = setup();
    for (const [runId, day] of [
      ['zeta', 1],
      ['alpha', 3],
      ['mu', 2],
    ] as const) {
      await writeRunRecord(artifacts, {
        runId,
        model: 'churn',
        trigger: { kind: 'upload', objects: [] },
        startedAt: `2026-01-0${day}T00:00:00Z`,
        outcome: 'succeeded',
      });
    }
    const first = await data.runs('churn', { size: 2 });
    expect(first.items.map((r) => r.runId)).toEqual(['alpha', 'mu']);
    expect((await data.runs('churn', { size: 2, after: first.next! })).items.map((r) => r.runId)).toEqual(['zeta']);
    expect((await data.overview('churn')).lastRun?.runId).toBe('alpha');
  });
});
