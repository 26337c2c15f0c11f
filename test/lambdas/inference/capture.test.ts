import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import { CaptureBuffer, type CaptureRecord } from '../../../lambdas/inference/capture';

function record(time: string, rows = 1, requestId = 'r1'): CaptureRecord {
  return {
    requestId,
    time,
    model: 'churn',
    version: 3,
    instances: Array.from({ length: rows }, (_, i) => ({ age: i })),
    predictions: Array.from({ length: rows }, () => ({ score: 0.5, label: 'yes' })),
    warnings: [],
  };
}

function buffer(store: ObjectStore, overrides: Partial<ConstructorParameters<typeof CaptureBuffer>[0]> = {}) {
  return new CaptureBuffer({
    store,
    model: 'churn',
    sampleRate: 1,
    maxRows: 10,
    maxAgeMs: 60_000,
    writerId: 'w1',
    ...overrides,
  });
}

async function lines(store: MemoryObjectStore, key: string): Promise<CaptureRecord[]> {
  const object = await store.get(key);
  return new TextDecoder()
    .decode(object!.body)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('CaptureBuffer', () => {
  it('samples about the configured share of requests', () => {
    // given a 25% sample rate and a deterministic sequence of draws
    let draw = 0;
    const capture = buffer(new MemoryObjectStore(), { sampleRate: 0.25, random: () => (draw++ % 100) / 100 });
    // when 1000 requests are sampled
    const sampled = Array.from({ length: 1000 }, () => capture.sample()).filter(Boolean).length;
    // then exactly a quarter are kept
    expect(sampled).toBe(250);
  });

  it('is not due until the row limit or the age limit is reached', () => {
    // given a buffer with one 5-row request added at t=0
    const capture = buffer(new MemoryObjectStore());
    capture.add(record('2026-11-29T10:00:00.000Z', 5), 0);
    // then it is due only once 60 s have passed
    expect(capture.isDue(59_999)).toBe(false);
    expect(capture.isDue(60_000)).toBe(true);
  });

  it('is due as soon as the buffered rows reach the limit', () => {
    const capture = buffer(new MemoryObjectStore());
    capture.add(record('2026-11-29T10:00:00.000Z', 10), 0);
    expect(capture.isDue(0)).toBe(true);
  });

  it('writes buffered requests as JSON Lines under the hour partition', async () => {
    // given two captured requests in the same hour
    const store = new MemoryObjectStore('monitoring');
    const capture = buffer(store);
    capture.add(record('2026-11-29T10:05:00.000Z', 1, 'a'), 0);
    capture.add(record('2026-11-29T10:59:00.000Z', 2, 'b'), 0);
    // when flushed
    const result = await capture.flush();
    // then one object holds both lines, partitioned by date and hour
    expect(result.keys).toHaveLength(1);
    expect(result.keys[0]).toMatch(/^capture\/churn\/dt=2026-11-29\/hour=10\/20261129T100500000Z-w1-000000\.jsonl$/);
    expect((await lines(store, result.keys[0]!)).map((line) => line.requestId)).toEqual(['a', 'b']);
    expect(capture.bufferedRecords).toBe(0);
  });

  it('splits a batch that spans an hour boundary into one object per hour', async () => {
    const store = new MemoryObjectStore('monitoring');
    const capture = buffer(store);
    capture.add(record('2026-11-29T10:59:59.000Z'), 0);
    capture.add(record('2026-11-29T11:00:01.000Z'), 0);
    const result = await capture.flush();
    expect(result.keys.map((key) => key.split('/')[3])).toEqual(['hour=10', 'hour=11']);
  });

  it('keeps the records of a failed flush for the next one', async () => {
    // given a store that fails once
    const store = new MemoryObjectStore('monitoring');
    let failures = 1;
    const flaky: ObjectStore = Object.assign(Object.create(store), {
      put: async (...args: Parameters<ObjectStore['put']>) => {
        if (failures-- > 0) throw new Error('S3 unavailable');
        return store.put(...args);
      },
    });
    const problems: string[] = [];
    const capture = buffer(flaky, { onProblem: (message) => problems.push(message) });
    capture.add(record('2026-11-29T10:00:00.000Z', 1, 'kept'), 0);
    // when the first flush fails and a second one runs
    const first = await capture.flush();
    const second = await capture.flush();
    // then the record is written by the second
    expect(first.failed).toBe(1);
    expect(problems).toEqual(['capture flush failed; records kept for the next flush']);
    expect((await lines(store, second.keys[0]!))[0]!.requestId).toBe('kept');
  });

  it('drops the oldest requests when S3 keeps failing and the buffer is full', () => {
    // given a buffer bounded at 3 rows
    const capture = buffer(new MemoryObjectStore(), { maxBufferedRows: 3 });
    // when 5 one-row requests are added
    for (let i = 0; i < 5; i++) capture.add(record('2026-11-29T10:00:00.000Z', 1, `r${i}`), i);
    // then 2 were dropped and 3 remain
    expect(capture.droppedRecords).toBe(2);
    expect(capture.bufferedRows).toBe(3);
  });

  it('starts at most one flush at a time', async () => {
    const store = new MemoryObjectStore('monitoring');
    const capture = buffer(store, { maxRows: 1 });
    capture.add(record('2026-11-29T10:00:00.000Z'), 0);
    const first = capture.flushIfDue(0);
    capture.add(record('2026-11-29T10:00:01.000Z'), 0);
    // while the first flush runs, no second starts
    expect(capture.flushIfDue(0)).toBeUndefined();
    await first;
    await capture.flushIfDue(0);
    expect(store.keys()).toHaveLength(2);
  });
});
