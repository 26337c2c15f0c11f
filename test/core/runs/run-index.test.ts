import {
  backfillRunIndex,
  listRunIndexPage,
  parseRunIndexKey,
  runIndexKey,
  writeRunIndexEntry,
} from '../../../core/runs/run-index';
import { writeRunRecord } from '../../../core/runs/run-record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';

const run = (runId: string, startedAt: string) => ({
  runId,
  model: 'churn',
  trigger: { kind: 'manual' as const, objects: [] },
  startedAt,
  outcome: 'running' as const,
});

describe('runs index', () => {
  it('orders keys newest first whatever the run ids', () => {
    // given two runs whose ids sort the other way round
    const older = runIndexKey('churn', '2026-01-01T00:00:00.000Z', 'zzz-old');
    const newer = runIndexKey('churn', '2026-01-02T00:00:00.000Z', 'aaa-new');
    // then
    expect([older, newer].sort()).toEqual([newer, older]);
  });

  it('reads the run id and start time back from a key', () => {
    const key = runIndexKey('churn', '2026-03-04T05:06:07.089Z', 'churn-upload-abc_1');
    expect(parseRunIndexKey(key)).toEqual({ key, runId: 'churn-upload-abc_1', startedAt: '2026-03-04T05:06:07.089Z' });
    expect(parseRunIndexKey('runs/churn/run-1/record.json')).toBeNull();
  });

  it('pages through runs newest first with a cursor', async () => {
    // given five runs written in a shuffled order
    const store = new MemoryObjectStore();
    for (const day of [3, 1, 5, 2, 4]) await writeRunRecord(store, run(`run-${day}`, `2026-01-0${day}T00:00:00Z`));
    // when
    const first = await listRunIndexPage(store, 'churn', { size: 2 });
    const second = await listRunIndexPage(store, 'churn', { size: 2, after: first.next! });
    const last = await listRunIndexPage(store, 'churn', { size: 2, after: second.next! });
    // then
    expect(first.entries.map((e) => e.runId)).toEqual(['run-5', 'run-4']);
    expect(second.entries.map((e) => e.runId)).toEqual(['run-3', 'run-2']);
    expect(last.entries.map((e) => e.runId)).toEqual(['run-1']);
    expect(last.next).toBeNull();
  });

  it('writes a marker once even when a step is retried', async () => {
    const store = new MemoryObjectStore();
    await writeRunIndexEntry(store, run('run-1', '2026-01-01T00:00:00Z'));
    await writeRunIndexEntry(store, run('run-1', '2026-01-01T00:00:00Z'));
    expect(store.keys().filter((key) => key.includes('_index'))).toHaveLength(1);
  });

  it('backfills the markers of runs recorded before the index existed', async () => {
    // given a record written without its marker, and one with
    const store = new MemoryObjectStore();
    await store.put('runs/churn/old-run/record.json', JSON.stringify(run('old-run', '2025-12-31T00:00:00Z')));
    await writeRunRecord(store, run('new-run', '2026-01-01T00:00:00Z'));
    // when
    const added = await backfillRunIndex(store, 'churn', async () => '2025-12-31T00:00:00Z');
    // then
    expect(added).toBe(1);
    const page = await listRunIndexPage(store, 'churn', { size: 10 });
    expect(page.entries.map((e) => e.runId)).toEqual(['new-run', 'old-run']);
  });
});
