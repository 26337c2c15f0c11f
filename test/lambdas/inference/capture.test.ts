import { captureLineSchema } from '../../../core/capture/record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import { parseCaptureLine } from '../../../lambdas/drift-monitor/capture-window';
import { CAPTURE_BYTE_DEFAULTS, CaptureBuffer, type CaptureRecord } from '../../../lambdas/inference/capture';
import type { Instance } from '../../../lambdas/inference/request';

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
    expect(capture.drops.bufferFull).toBe(2);
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

  it('is due as soon as the buffered JSON reaches the object size limit', () => {
    // given a 2 KiB object limit and a row limit far away
    const capture = buffer(new MemoryObjectStore(), { maxObjectBytes: 2048, maxLineBytes: 1024, maxRows: 1000 });
    // when requests of about 600 bytes each are added
    capture.add(bigRecord('2026-11-29T10:00:00.000Z', 1, 500, 'a'), 0);
    capture.add(bigRecord('2026-11-29T10:00:00.000Z', 1, 500, 'b'), 0);
    expect(capture.isDue(0)).toBe(false);
    capture.add(bigRecord('2026-11-29T10:00:00.000Z', 1, 500, 'c'), 0);
    capture.add(bigRecord('2026-11-29T10:00:00.000Z', 1, 500, 'd'), 0);
    // then it is due by bytes alone
    expect(capture.bufferedBytes).toBeGreaterThanOrEqual(2048);
    expect(capture.isDue(0)).toBe(true);
  });

  it('holds at most its byte bound of multi-MB requests while S3 fails, counting and reporting every dropped line', async () => {
    // given a monitoring store that always fails, and the default byte bounds
    const failing: ObjectStore = Object.assign(Object.create(new MemoryObjectStore('monitoring')), {
      put: async () => {
        throw new Error('S3 unavailable');
      },
    });
    const problems: Array<{ message: string; details: Record<string, unknown> }> = [];
    const capture = buffer(failing, {
      maxRows: 1000,
      onProblem: (message, details) => problems.push({ message, details }),
    });
    // when 10 sampled requests of 1,000 rows and about 5.5 MB each arrive, each followed by its due flush
    const instances = Array.from({ length: 1000 }, (_, i) => ({ age: i, note: 'x'.repeat(5500) }));
    let largest = 0;
    let linesPerRequest = 0;
    for (let i = 0; i < 10; i++) {
      capture.add({ ...record('2026-11-29T10:00:00.000Z', 0, `r${i}`), instances, predictions: scores(1000) }, i);
      if (i === 0) linesPerRequest = capture.bufferedRecords;
      largest = Math.max(largest, capture.bufferedBytes);
      await capture.flushIfDue(i);
      largest = Math.max(largest, capture.bufferedBytes);
    }
    // then the memory held never went above 32 MiB, though 55 MB were captured
    expect(largest).toBeLessThanOrEqual(CAPTURE_BYTE_DEFAULTS.maxBufferedBytes);
    expect(largest).toBeGreaterThan(CAPTURE_BYTE_DEFAULTS.maxBufferedBytes * 0.8);
    // and every line not held was counted as dropped and reported
    expect(linesPerRequest).toBeGreaterThan(1);
    expect(capture.drops.bufferFull + capture.bufferedRecords).toBe(10 * linesPerRequest);
    expect(capture.drops.bufferFull).toBeGreaterThan(0);
    const reported = problems
      .filter((problem) => problem.message === 'capture buffer full; oldest records dropped')
      .reduce((sum, problem) => sum + (problem.details.dropped as number), 0);
    expect(reported).toBe(capture.drops.bufferFull);
  });

  it('splits a request larger than the line limit into parts whose rows add up to the request', async () => {
    // given a 1 KiB line limit and a request of 20 rows of about 200 bytes each
    const store = new MemoryObjectStore('monitoring');
    const capture = buffer(store, { maxLineBytes: 1024, maxObjectBytes: 4096, maxRows: 1000 });
    const big = bigRecord('2026-11-29T10:00:00.000Z', 20, 150, 'big');
    // when it is added and flushed
    capture.add(big, 0);
    const result = await capture.flush();
    // then every line is within the limit, numbered, and together they hold every row in order
    const texts = await Promise.all(
      result.keys.map(async (key) => new TextDecoder().decode((await store.get(key))!.body)),
    );
    const rawLines = texts.flatMap((text) => text.trim().split('\n'));
    for (const line of rawLines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024);
    const parsed = rawLines.map((line) => JSON.parse(line) as CaptureRecord);
    expect(parsed.length).toBeGreaterThan(1);
    expect(parsed.map((line) => line.part)).toEqual(parsed.map((_, i) => i + 1));
    expect(parsed.every((line) => line.parts === parsed.length && line.requestId === 'big')).toBe(true);
    expect(parsed.flatMap((line) => line.instances)).toEqual(big.instances);
    expect(parsed.flatMap((line) => line.predictions)).toEqual(big.predictions);
    expect(parsed.every((line) => line.model === 'churn' && line.version === 3 && line.time === big.time)).toBe(true);
  });

  it('writes lines the capture line schema accepts, whole and split, as the drift monitor reads them', async () => {
    // given a whole request with a warning and one split over several lines
    const store = new MemoryObjectStore('monitoring');
    const capture = buffer(store, { maxLineBytes: 1024, maxObjectBytes: 4096, maxRows: 1000 });
    capture.add({ ...record('2026-11-29T10:00:00.000Z', 2, 'small'), warnings: ['unknown column "x" ignored'] }, 0);
    capture.add(bigRecord('2026-11-29T10:00:01.000Z', 20, 150, 'big'), 0);
    // when they are flushed
    const result = await capture.flush();
    // then every line parses with the shared schema, and the reader counts two requests of 22 rows
    const texts = await Promise.all(
      result.keys.map(async (key) => new TextDecoder().decode((await store.get(key))!.body)),
    );
    const rawLines = texts.flatMap((text) => text.trim().split('\n'));
    expect(rawLines.length).toBeGreaterThan(2);
    for (const line of rawLines) expect(captureLineSchema.safeParse(JSON.parse(line)).error).toBeUndefined();
    const read = rawLines.map((line) => parseCaptureLine(line)!);
    expect(read.filter((line) => line.startsRequest)).toHaveLength(2);
    expect(read.reduce((rows, line) => rows + line.instances.length, 0)).toBe(22);
  });

  it('writes no object larger than the object size limit', async () => {
    // given a 2 KiB object limit and 10 requests of about 600 bytes in one hour
    const store = new MemoryObjectStore('monitoring');
    const capture = buffer(store, { maxLineBytes: 1024, maxObjectBytes: 2048, maxRows: 1000 });
    for (let i = 0; i < 10; i++) capture.add(bigRecord('2026-11-29T10:00:00.000Z', 1, 500, `r${i}`), 0);
    const counted = capture.bufferedBytes;
    // when flushed
    const result = await capture.flush();
    // then they went into several objects, each within the limit, all lines kept
    expect(result.keys.length).toBeGreaterThan(1);
    const sizes = await Promise.all(result.keys.map(async (key) => (await store.get(key))!.body.byteLength));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(2048);
    expect(result.records).toBe(10);
    // and the bytes the buffer counted are exactly the bytes written
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(counted);
  });

  it('drops and reports a single row larger than the line limit, keeping the rest of its request', async () => {
    // given a 1 KiB line limit and a request whose second row alone is 5 KB
    const store = new MemoryObjectStore('monitoring');
    const problems: string[] = [];
    const capture = buffer(store, { maxLineBytes: 1024, maxObjectBytes: 4096, onProblem: (m) => problems.push(m) });
    const request = record('2026-11-29T10:00:00.000Z', 3, 'odd');
    const instances: Instance[] = [{ age: 1 }, { age: 2, note: 'y'.repeat(5000) }, { age: 3 }];
    // when it is added and flushed
    capture.add({ ...request, instances }, 0);
    const result = await capture.flush();
    // then the oversized row is counted and reported, and the other two rows are written
    expect(capture.drops.rowTooLarge).toBe(1);
    expect(problems).toContain('capture row larger than the line limit; row not captured');
    const written = (await Promise.all(result.keys.map((key) => lines(store, key)))).flat();
    expect(written.flatMap((line) => line.instances)).toEqual([{ age: 1 }, { age: 3 }]);
  });

  it('counts and reports a record whose serialisation throws, without throwing, and still writes the others', async () => {
    // given a record holding a value JSON cannot serialise (a BigInt) between two ordinary ones
    const store = new MemoryObjectStore('monitoring');
    const problems: string[] = [];
    const capture = buffer(store, { onProblem: (message) => problems.push(message) });
    const odd = { ...record('2026-11-29T10:00:00.000Z', 1, 'odd'), instances: [{ age: 10n as unknown as number }] };
    // when all three are added and flushed
    capture.add(record('2026-11-29T10:00:00.000Z', 1, 'a'), 0);
    expect(() => capture.add(odd, 0)).not.toThrow();
    capture.add(record('2026-11-29T10:00:00.000Z', 1, 'b'), 0);
    const result = await capture.flush();
    // then the odd one is counted and reported, and the others are written
    expect(capture.drops.unserializable).toBe(1);
    expect(problems).toEqual(['capture record could not be serialised; request not captured']);
    expect((await lines(store, result.keys[0]!)).map((line) => line.requestId)).toEqual(['a', 'b']);
  });
});

function scores(rows: number) {
  return Array.from({ length: rows }, () => ({ score: 0.5, label: 'yes' }));
}

/** A request of `rows` rows, each with a `note` of `noteChars` characters. */
function bigRecord(time: string, rows: number, noteChars: number, requestId: string): CaptureRecord {
  return {
    ...record(time, rows, requestId),
    instances: Array.from({ length: rows }, (_, i) => ({ age: i, note: `${i}`.padEnd(noteChars, 'z') })),
  };
}
