import {
  listModelsCommand,
  listRunsCommand,
  listVersionsCommand,
  promoteCommand,
  rollbackCommand,
} from '../../../cli/commands/registry';
import { ModelRegistry } from '../../../core/registry/registry';
import { writeRunRecord } from '../../../core/runs/run-record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { lineageFor, steppingClock } from '../../core/registry/fixtures';

async function registryWithVersions(count: number) {
  const store = new MemoryObjectStore('artifacts');
  const registry = new ModelRegistry({ store, clock: steppingClock() });
  for (let index = 1; index <= count; index += 1) {
    await registry.register({
      model: 'churn',
      artifact: '{}',
      lineage: lineageFor(`run-${index}`, { auc: 0.7 + index / 100 }),
    });
  }
  return { store, registry };
}

describe('registry commands', () => {
  it('lists models with their version count and aliases', async () => {
    // given
    const { registry } = await registryWithVersions(2);
    await registry.promote('churn', 2);
    // when
    const result = await listModelsCommand(registry);
    // then
    expect(result.json).toEqual([{ model: 'churn', versions: 2, latestVersion: 2, aliases: { production: 2 } }]);
    expect(result.text.split('\n')).toEqual([
      'MODEL  VERSIONS  LATEST  ALIASES',
      'churn  2         v2      production=v2',
    ]);
  });

  it('says so when no model is registered', async () => {
    // when
    const result = await listModelsCommand(new ModelRegistry({ store: new MemoryObjectStore() }));
    // then
    expect(result.text).toBe('No models registered yet.');
  });

  it('lists versions with approval, aliases, run and metrics', async () => {
    // given
    const { registry } = await registryWithVersions(2);
    await registry.promote('churn', 1);
    // when
    const result = await listVersionsCommand(registry, { model: 'churn' });
    // then
    expect(result.json.map((row) => [row.version, row.aliases, row.runId])).toEqual([
      [1, ['production'], 'run-1'],
      [2, [], 'run-2'],
    ]);
    expect(result.text).toContain(
      'v1       2026-01-01T00:00:00.000Z  pending   production  run-1  aaaaaaaaaaaa  trained  auc=0.71',
    );
  });

  it('shows where an imported version came from instead of a training data hash', async () => {
    // given a version registered from an XGBoost import, next to a trained one
    const { registry } = await registryWithVersions(1);
    const { dataSha256: _trainedOnly, ...trained } = lineageFor('run-2', { auc: 0.8 });
    await registry.register({
      model: 'churn',
      artifact: '{"imported":1}',
      lineage: {
        ...trained,
        imported: {
          source: 'xgboost',
          sourceFileSha256: 'f'.repeat(64),
          importKey: 'imports/churn/run-2/model.json',
          modelKind: 'trees',
        },
      },
    });
    // when
    const result = await listVersionsCommand(registry, { model: 'churn' });
    // then
    expect(result.json.map((row) => [row.version, row.dataSha256, row.origin])).toEqual([
      [1, 'a'.repeat(64), 'trained'],
      [2, null, 'imported xgboost (file ffffffffffff)'],
    ]);
    expect(result.text.split('\n')[0]).toMatch(/DATA SHA-256\s+ORIGIN\s+METRICS$/);
    expect(result.text).toContain('run-2  -             imported xgboost (file ffffffffffff)  auc=0.8');
  });

  it('promotes and prints the move', async () => {
    // given
    const { registry } = await registryWithVersions(2);
    await registry.promote('churn', 1);
    // when
    const result = await promoteCommand(registry, { model: 'churn', version: 2 });
    // then
    expect(result.text).toBe('churn production: v1 -> v2');
    expect(result.json).toMatchObject({ alias: 'production', version: 2, moved: true });
  });

  it('rolls back and prints the move', async () => {
    // given
    const { registry } = await registryWithVersions(2);
    await registry.promote('churn', 1);
    await registry.promote('churn', 2);
    // when
    const result = await rollbackCommand(registry, { model: 'churn' });
    // then
    expect(result.text).toBe('churn production rolled back: v2 -> v1');
  });

  it('lists runs newest first with the gate decision and schema changes', async () => {
    // given
    const { store } = await registryWithVersions(0);
    await writeRunRecord(store, {
      runId: 'run-2',
      model: 'churn',
      trigger: { kind: 'upload', objects: ['churn/v2.csv'] },
      startedAt: '2026-01-02T00:00:00Z',
      schemaChanges: {
        newColumns: [{ name: 'time_spent_on_video_tutorials', presentShare: 1 }],
        missingColumns: [],
        typeChanges: [],
      },
      gate: {
        metric: 'auc',
        candidate: 0.83,
        champion: 0.8,
        requiredGain: 0.01,
        decision: 'promote',
        reason: 'gain 0.03',
      },
      registeredVersion: 2,
      outcome: 'succeeded',
    });
    await writeRunRecord(store, {
      runId: 'run-1',
      model: 'churn',
      trigger: { kind: 'upload', objects: [] },
      startedAt: '2026-01-01T00:00:00Z',
      outcome: 'failed',
      failure: { step: 'validate', reason: 'churn/bad.csv is empty' },
    });
    // when
    const result = await listRunsCommand(store, { model: 'churn' });
    // then
    const [header, newest, oldest] = result.text.split('\n');
    expect(header).toMatch(/^RUN\s+STARTED\s+TRIGGER\s+OUTCOME\s+VERSION\s+GATE\s+DETAIL$/);
    expect(newest).toContain('promote (auc 0.8300 vs 0.8000)');
    expect(newest).toContain('schema +time_spent_on_video_tutorials');
    expect(oldest).toContain('failed at validate: churn/bad.csv is empty');
  });
});
