import { runIndexKey } from '../../../core/runs/run-index';
import {
  listRuns,
  type RunRecordInput,
  readRunRecord,
  stepTiming,
  updateRunRecord,
  writeRunRecord,
} from '../../../core/runs/run-record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';

function runStarted(runId: string, startedAt: string, model = 'churn'): RunRecordInput {
  return {
    runId,
    model,
    trigger: { kind: 'upload', objects: ['churn/a.csv'] },
    startedAt,
    inputs: { dataKey: 'churn/a.csv' },
    outcome: 'running',
  };
}

describe('run records', () => {
  it('stores a record at runs/<model>/<runId>/record.json and its runs-index marker', async () => {
    // given
    const store = new MemoryObjectStore();
    // when
    await writeRunRecord(store, runStarted('run-1', '2026-01-01T00:00:00Z'));
    // then
    expect(store.keys()).toEqual([
      runIndexKey('churn', '2026-01-01T00:00:00Z', 'run-1'),
      'runs/churn/run-1/record.json',
    ]);
    expect((await readRunRecord(store, 'churn', 'run-1'))?.outcome).toBe('running');
  });

  it('merges an update into the stored record, key by key for metrics and timings', async () => {
    // given
    const store = new MemoryObjectStore();
    await writeRunRecord(store, {
      ...runStarted('run-1', '2026-01-01T00:00:00Z'),
      metrics: { auc: 0.8 },
      timings: { validate: stepTiming(new Date(0), new Date(1500)) },
    });
    // when
    const updated = await updateRunRecord(store, 'churn', 'run-1', {
      metrics: { logLoss: 0.4 },
      timings: { train: stepTiming(new Date(2000), new Date(5000)) },
      outcome: 'succeeded',
      registeredVersion: 3,
    });
    // then
    expect(updated.metrics).toEqual({ auc: 0.8, logLoss: 0.4 });
    expect(Object.keys(updated.timings)).toEqual(['validate', 'train']);
    expect(updated.timings.train?.durationMs).toBe(3000);
    expect(updated.inputs?.dataKey).toBe('churn/a.csv');
    expect(updated).toMatchObject({ outcome: 'succeeded', registeredVersion: 3 });
  });

  it('keeps both of two concurrent updates', async () => {
    // given
    const store = new MemoryObjectStore();
    await writeRunRecord(store, runStarted('run-1', '2026-01-01T00:00:00Z'));
    // when
    await Promise.all([
      updateRunRecord(store, 'churn', 'run-1', { metrics: { auc: 0.9 } }),
      updateRunRecord(store, 'churn', 'run-1', { parameters: { trees: 50 } }),
    ]);
    // then
    const record = await readRunRecord(store, 'churn', 'run-1');
    expect(record).toMatchObject({ metrics: { auc: 0.9 }, parameters: { trees: 50 } });
  });

  it('records a failure with its step and reason', async () => {
    // given
    const store = new MemoryObjectStore();
    await writeRunRecord(store, runStarted('run-1', '2026-01-01T00:00:00Z'));
    // when
    const failed = await updateRunRecord(store, 'churn', 'run-1', {
      outcome: 'failed',
      failure: { step: 'validate', reason: 'churn/a.csv row 3, column tenure: "abc" is not a number' },
    });
    // then
    expect(failed.failure?.step).toBe('validate');
  });

  it('refuses to update a run that has no record and names the key', async () => {
    // when
    const attempt = updateRunRecord(new MemoryObjectStore('artifacts'), 'churn', 'run-9', { outcome: 'failed' });
    // then
    await expect(attempt).rejects.toThrow('s3://artifacts/runs/churn/run-9/record.json');
  });

  it('refuses a record with an unknown outcome', async () => {
    // when
    const attempt = writeRunRecord(new MemoryObjectStore(), {
      ...runStarted('run-1', '2026-01-01T00:00:00Z'),
      outcome: 'done' as never,
    });
    // then
    await expect(attempt).rejects.toThrow(/run record for run run-1 of churn is invalid/);
  });

  it('lists a model’s runs newest first, ignoring other files and models', async () => {
    // given
    const store = new MemoryObjectStore();
    await writeRunRecord(store, runStarted('run-a', '2026-01-01T00:00:00Z'));
    await writeRunRecord(store, runStarted('run-c', '2026-01-03T00:00:00Z'));
    await writeRunRecord(store, runStarted('run-b', '2026-01-02T00:00:00Z'));
    await writeRunRecord(store, runStarted('run-x', '2026-01-04T00:00:00Z', 'fraud'));
    await store.put('runs/churn/run-a/candidate/model.json', '{}');
    await store.put('runs/churn/pending/marker.json', '{}');
    // when
    const runs = await listRuns(store, 'churn');
    // then
    expect(runs.map((run) => run.runId)).toEqual(['run-c', 'run-b', 'run-a']);
  });
});
