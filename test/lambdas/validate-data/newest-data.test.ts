import type { RunRecord } from '../../../core/runs/run-record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { newestDataKey } from '../../../lambdas/validate-data/validate';

function failedRun(dataKey: string, startedAt: string): RunRecord {
  return {
    runId: `r-${startedAt}`,
    model: 'churn',
    trigger: { kind: 'upload', objects: [dataKey] },
    startedAt,
    inputs: { dataKey },
    parameters: {},
    metrics: {},
    registeredVersion: null,
    timings: {},
    outcome: 'failed',
    failure: { step: 'validate', reason: 'bad' },
  } as RunRecord;
}

describe('newestDataKey', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const store = new MemoryObjectStore('raw', () => new Date(now));
  const put = async (key: string) => {
    now += 60_000;
    await store.put(key, 'a,b\n1,2\n');
  };

  it('takes the newest data file and ignores files that are not data', async () => {
    await put('churn/a.csv');
    await put('churn/b.csv');
    await put('churn/notes.md');
    await expect(newestDataKey(store, 'churn')).resolves.toBe('churn/b.csv');
  });

  it('skips a file that failed validation unchanged, so one bad upload does not poison later retrains', async () => {
    await put('churn/bad.csv');
    const runs = [failedRun('churn/bad.csv', new Date(now + 1000).toISOString())];
    await expect(newestDataKey(store, 'churn', runs)).resolves.toBe('churn/b.csv');
  });

  it('takes a failed file again once it is re-uploaded', async () => {
    const runs = [failedRun('churn/bad.csv', new Date(now + 1000).toISOString())];
    now += 10_000;
    await put('churn/bad.csv');
    await expect(newestDataKey(store, 'churn', runs)).resolves.toBe('churn/bad.csv');
  });
});
