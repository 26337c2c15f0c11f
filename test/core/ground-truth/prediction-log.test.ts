import type { Cell } from '../../../core/data/table';
import {
  actualRecords,
  jsonLines,
  PredictionBatches,
  predictionLines,
  predictionRecords,
  recordableFeatureNames,
  recordedFeatures,
  recordedFeaturesOfRows,
  takeCallerIds,
  trainsOnFeedback,
  writeActualsBatch,
  writePredictionBatch,
} from '../../../core/ground-truth/prediction-log';
import {
  actualRecordSchema,
  MAX_RECORDED_VALUE_CHARS,
  predictionIdTime,
  predictionRecordSchema,
  type RecordedFeatures,
} from '../../../core/ground-truth/records';
import { MemoryObjectStore } from '../../../core/storage/memory-store';

const noFeature = () => false;

describe('takeCallerIds', () => {
  it('takes the id field out of each instance and keeps the rest', () => {
    // given instances with an order_id field, one without
    const instances: Record<string, Cell>[] = [{ order_id: 'o-1', age: 30 }, { age: 40 }, { order_id: 'o-3', age: 50 }];
    // when the ids are taken
    const split = takeCallerIds(instances, 'order_id', noFeature);
    // then the features remain, and the ids line up with the instances
    expect(split.instances).toEqual([{ age: 30 }, { age: 40 }, { age: 50 }]);
    expect(split.callerIds).toEqual(['o-1', undefined, 'o-3']);
  });

  it('takes a whole-number id as its decimal text and leaves other values for the id check', () => {
    const split = takeCallerIds([{ id: 12345 }, { id: 1.5 }, { id: true }], 'id', noFeature);
    expect(split.callerIds).toEqual(['12345', 1.5, true]);
  });

  it('keeps the field in the instance when the model was trained with a feature of that name', () => {
    const split = takeCallerIds([{ id: 'a', age: 1 }], 'id', (name) => name === 'id');
    expect(split.instances).toEqual([{ id: 'a', age: 1 }]);
    expect(split.callerIds).toEqual(['a']);
  });

  it('gives no caller ids when no id field is configured', () => {
    const split = takeCallerIds([{ id: 'a' }], undefined, noFeature);
    expect(split.instances).toEqual([{ id: 'a' }]);
    expect(split.callerIds).toEqual([undefined]);
  });
});

describe('prediction and actual records', () => {
  const time = new Date('2026-11-29T10:15:00.000Z');

  it('pairs ids with predictions in order, each a valid record', () => {
    const records = predictionRecords('churn', 3, time, ['a', 'b'], [{ score: 0.9, label: 'yes' }, { score: 0.1 }]);
    expect(records).toEqual([
      { id: 'a', model: 'churn', version: 3, time: '2026-11-29T10:15:00.000Z', score: 0.9, label: 'yes' },
      { id: 'b', model: 'churn', version: 3, time: '2026-11-29T10:15:00.000Z', score: 0.1 },
    ]);
    for (const record of records) expect(predictionRecordSchema.parse(record)).toEqual(record);
  });

  it('refuses ids and predictions of different lengths', () => {
    expect(() => predictionRecords('churn', 1, time, ['a'], [])).toThrow('1 prediction ids for 0 predictions');
  });

  it('stamps actuals with the time they were received', () => {
    const records = actualRecords([{ id: 'a', label: 'yes' }], time);
    expect(records).toEqual([{ id: 'a', label: 'yes', receivedAt: '2026-11-29T10:15:00.000Z' }]);
    expect(actualRecordSchema.parse(records[0])).toEqual(records[0]);
  });

  it('writes one JSON line per record', () => {
    expect(jsonLines([{ a: 1 }, { b: 'x' }])).toBe('{"a":1}\n{"b":"x"}\n');
  });
});

describe('batch writes', () => {
  it('writes a prediction batch under predictions/<model>/ in the hour its name was made', async () => {
    // given a store and two records
    const store = new MemoryObjectStore('monitoring');
    const records = predictionRecords('churn', 1, new Date(), ['a', 'b'], [{ score: 0.5 }, { score: 0.25 }]);
    // when the batch is written
    const before = Date.now();
    const key = await writePredictionBatch(store, 'churn', records);
    // then the key is a ULID-named JSON Lines object under the hour partition of its name
    const match = /^predictions\/churn\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([0-9A-Z]{26})\.jsonl$/.exec(key);
    expect(match).not.toBeNull();
    const madeAt = predictionIdTime(match![3]!)!;
    expect(madeAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(`${match![1]}T${match![2]}`).toBe(madeAt.toISOString().slice(0, 13));
    const body = Buffer.from((await store.get(key))!.body).toString();
    expect(
      body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(records);
  });

  it('writes an actuals batch under actuals/<model>/', async () => {
    const store = new MemoryObjectStore('monitoring');
    const key = await writeActualsBatch(store, 'churn', actualRecords([{ id: 'a', label: 1 }], new Date()));
    expect(key).toMatch(/^actuals\/churn\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[0-9A-Z]{26}\.jsonl$/);
    expect(JSON.parse(Buffer.from((await store.get(key))!.body).toString())).toMatchObject({ id: 'a', label: 1 });
  });
});

describe('PredictionBatches', () => {
  const at = new Date('2026-12-07T10:00:00.000Z');
  const record = (i: number) => ({ id: `p-${i}`, model: 'churn', version: 2, time: at.toISOString(), score: i / 100 });

  /** A store that counts puts in flight at once. */
  class SlowStore extends MemoryObjectStore {
    inFlight = 0;
    mostInFlight = 0;
    override async put(...args: Parameters<MemoryObjectStore['put']>) {
      this.inFlight++;
      this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      try {
        return await super.put(...args);
      } finally {
        this.inFlight--;
      }
    }
  }

  it('writes batches of at most maxRecords, one at a time, each record a valid prediction record', async () => {
    // given batches of 4 over a store that answers a tick later
    const store = new SlowStore();
    const batches = new PredictionBatches(store, 'churn', { maxRecords: 4, now: () => at });
    // when 10 records are added in three calls, then the batches closed
    await batches.add([0, 1, 2].map(record));
    await batches.add([3, 4, 5, 6, 7].map(record));
    await batches.add([8, 9].map(record));
    await batches.close();
    // then 3 objects of 4, 4 and 2 records in order, never two writes at once
    const bodies = await Promise.all(
      batches.keys.map(async (key) => new TextDecoder().decode((await store.get(key))!.body)),
    );
    const lines = bodies.map((body) =>
      body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
    expect(lines.map((batch) => batch.length)).toEqual([4, 4, 2]);
    expect(lines.flat().map((line) => predictionRecordSchema.parse(line).id)).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `p-${i}`),
    );
    expect(store.mostInFlight).toBe(1);
    expect(batches.recordsWritten).toBe(10);
    expect(batches.keys.every((key) => key.startsWith('predictions/churn/dt=2026-12-07/hour=10/'))).toBe(true);
  });

  it('writes a batch that is not full once its oldest record is maxAgeMs old', async () => {
    // given a clock that moves 3 minutes per add and batches that age out at 5 minutes
    let now = at.getTime();
    const store = new MemoryObjectStore();
    const batches = new PredictionBatches(store, 'churn', { maxAgeMs: 300_000, now: () => new Date(now) });
    // when records 0, 1 and 2 are added 3 minutes apart, then record 3 right after, and the batches closed
    for (const i of [0, 1, 2]) {
      await batches.add([record(i)]);
      now += 180_000;
    }
    await batches.add([record(3)]);
    await batches.close();
    // then the first batch went out when its oldest record was 6 minutes old, and record 3 is in a second one
    const sizes = await Promise.all(
      batches.keys.map(
        async (key) =>
          new TextDecoder()
            .decode((await store.get(key))!.body)
            .trimEnd()
            .split('\n').length,
      ),
    );
    expect(sizes).toEqual([3, 1]);
  });

  it('a failed write fails the next call, and close, instead of being lost', async () => {
    // given a store whose puts fail
    const store = new MemoryObjectStore();
    store.put = async () => {
      throw new Error('S3 is down');
    };
    const batches = new PredictionBatches(store, 'churn', { maxRecords: 1, now: () => at });
    // when a full batch is written, then the next add and close reject with the write's error
    await batches.add([record(0)]);
    await expect(batches.add([record(1)])).rejects.toThrow('S3 is down');
    await expect(batches.close()).rejects.toThrow('S3 is down');
    expect(batches.recordsWritten).toBe(0);
  });
});

describe('predictionLines', () => {
  test('writes the JSON of predictionRecords byte for byte, for the included rows only', () => {
    // given ids and labels that need escaping, ULID-shaped ids, and scores of every JSON number form (NaN is null)
    const at = new Date('2026-12-07T10:00:00.000Z');
    const ids = [
      'plain',
      'quote"d',
      'back\\slash',
      'ünïcode',
      'tab\tinside',
      '01KQ2ZD3V5X9M8N7P6R4S3T2V1',
      'X'.repeat(26),
    ];
    const scores = Float64Array.from([0, 1, 1e-7, 0.1 + 0.2, 123456789.125, Number.NaN, -1e21]);
    const labels = ['yes', 'no', 'yes', 'n"o', 'no', 'yes', 'no'];
    const include = [true, true, false, true, true, true, true];
    // when written as lines, then each equals JSON.stringify of the same record
    const lines = predictionLines('churn', 4, at, ids, scores, labels, include);
    const records = predictionRecords(
      'churn',
      4,
      at,
      ids,
      Array.from(scores, (score, i) => ({ score, label: labels[i]! })),
    ).filter((_, i) => include[i]);
    expect(lines).toEqual(records.map((record) => JSON.stringify(record)));
    // and without labels (regression), no label key is written
    expect(predictionLines('churn', 4, at, ['a'], [2.5], undefined, [true])).toEqual([
      JSON.stringify(predictionRecords('churn', 4, at, ['a'], [{ score: 2.5 }])[0]),
    ]);
  });

  test('writes recorded features as predictionRecords does, when given', () => {
    // given
    const at = new Date('2026-12-07T10:00:00.000Z');
    const features: RecordedFeatures[] = [{ tenure: 3, plan: 'a"b' }, { tenure: null }];
    // when
    const lines = predictionLines('churn', 4, at, ['a', 'b'], [0.5, 0.25], ['yes', 'no'], [true, true], features);
    // then
    const records = predictionRecords(
      'churn',
      4,
      at,
      ['a', 'b'],
      [
        { score: 0.5, label: 'yes' },
        { score: 0.25, label: 'no' },
      ],
      features,
    );
    expect(lines).toEqual(records.map((record) => JSON.stringify(record)));
    expect(records.map((record) => predictionRecordSchema.parse(record).features)).toEqual(features);
  });
});

describe('recorded features', () => {
  test('are recorded only for a model that trains on its feedback', () => {
    expect(trainsOnFeedback({ training: { data: { source: 'window-and-feedback' } } })).toBe(true);
    expect(trainsOnFeedback({ training: { data: { source: 'window' } } })).toBe(false);
    expect(trainsOnFeedback({ training: { data: { source: 'newest' } } })).toBe(false);
  });

  test("keep the model's features only, absent ones left out, long text cut, non-finite numbers as null", () => {
    // given a request instance with an unknown field, a long text and an infinite number
    const instance: Record<string, Cell> = {
      tenure: Number.POSITIVE_INFINITY,
      plan: 'x'.repeat(MAX_RECORDED_VALUE_CHARS + 50),
      secret_note: 'not a feature',
    };
    // when
    const recorded = recordedFeatures(instance, ['tenure', 'plan', 'region']);
    // then
    expect(recorded).toEqual({ tenure: null, plan: 'x'.repeat(MAX_RECORDED_VALUE_CHARS) });
  });

  test('never cut a surrogate pair in half', () => {
    const text = `${'a'.repeat(MAX_RECORDED_VALUE_CHARS - 1)}😀`;
    expect(recordedFeatures({ plan: text }, ['plan']).plan).toBe('a'.repeat(MAX_RECORDED_VALUE_CHARS - 1));
  });

  test("are taken from a scored table's feature columns, for the included rows", () => {
    // given
    const table = {
      columnNames: ['tenure', 'id'],
      columns: [
        [1, 2],
        ['a', 'b'],
      ],
      rowCount: 2,
    };
    const schema = {
      columns: [
        { name: 'tenure', role: 'feature' },
        { name: 'id', role: 'excluded' },
        { name: 'churned', role: 'target' },
      ],
    };
    // when
    const records = recordedFeaturesOfRows(table, recordableFeatureNames(schema), [true, false]);
    // then
    expect(recordableFeatureNames(schema)).toEqual(['tenure']);
    expect(records).toEqual([{ tenure: 1 }, {}]);
  });
});
