import { type Cell, DataError, type DataTable, getColumn, tableFromRecords } from '../../../core/data/table';
import { createRandom } from '../../../core/datasets/random';
import { parseTimestamp, pointInTimeJoin } from '../../../core/feature-views/point-in-time-join';

const options = { entityKey: 'customer_id', timestampColumn: 'label_time' } as const;

function labels(rows: ReadonlyArray<[Cell, Cell]>): DataTable {
  return tableFromRecords(
    rows.map(([customer_id, label_time]) => ({ customer_id, label_time, churned: 1 })),
    ['customer_id', 'label_time', 'churned'],
  );
}

function features(rows: ReadonlyArray<[Cell, Cell, Cell]>): DataTable {
  return tableFromRecords(
    rows.map(([customer_id, event_time, spend]) => ({ customer_id, event_time, spend })),
    ['customer_id', 'event_time', 'spend'],
  );
}

const spend = (table: DataTable) => getColumn(table, 'spend');

describe('pointInTimeJoin: no value written after the label leaks', () => {
  it('ignores a value written one millisecond after the label and takes the one before', () => {
    // Given a history with a value just before and one a millisecond after the label
    const history = features([
      ['c1', '2026-03-01T09:59:59.999Z', 10],
      ['c1', '2026-03-01T10:00:00.001Z', 99],
    ]);
    // When the label at 10:00:00.000 is joined
    const result = pointInTimeJoin(labels([['c1', '2026-03-01T10:00:00.000Z']]), history, options);
    // Then the earlier value is used
    expect(spend(result.table)).toEqual([10]);
  });

  it('ignores a value written later within the same second', () => {
    const history = features([
      ['c1', '2026-03-01T09:00:00Z', 10],
      ['c1', '2026-03-01T10:00:00.500Z', 99],
    ]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-01T10:00:00Z']]), history, options);
    expect(spend(result.table)).toEqual([10]);
  });

  it('ignores a value written one microsecond after the label (pandas writes microseconds)', () => {
    const history = features([
      ['c1', '2026-03-01 09:00:00', 10],
      ['c1', '2026-03-01 10:00:00.000001', 99],
    ]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-01 10:00:00']]), history, options);
    expect(spend(result.table)).toEqual([10]);
  });

  it('takes a value written exactly at the label time', () => {
    const history = features([
      ['c1', '2026-03-01T09:00:00Z', 10],
      ['c1', '2026-03-01T10:00:00Z', 20],
      ['c1', '2026-03-01T10:00:01Z', 99],
    ]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-01T10:00:00Z']]), history, options);
    expect(spend(result.table)).toEqual([20]);
  });

  it('leaves a label before all of its entity history missing and counts it', () => {
    const history = features([['c1', '2026-03-02T00:00:00Z', 99]]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-01T00:00:00Z']]), history, options);
    expect(spend(result.table)).toEqual([null]);
    expect(result.unmatchedRows).toBe(1);
  });

  it('compares instants across zones, not clock readings', () => {
    // 11:30+02:00 is 09:30Z, after the label at 09:00Z; 10:30+02:00 is 08:30Z, before it
    const history = features([
      ['c1', '2026-03-01T10:30:00+02:00', 10],
      ['c1', '2026-03-01T11:30:00+0200', 99],
    ]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-01T09:00:00Z']]), history, options);
    expect(spend(result.table)).toEqual([10]);
  });
});

describe('pointInTimeJoin: histories', () => {
  it('finds the newest eligible row in unsorted input for several entities', () => {
    const history = features([
      ['c2', '2026-03-05T00:00:00Z', 25],
      ['c1', '2026-03-03T00:00:00Z', 13],
      ['c2', '2026-03-01T00:00:00Z', 21],
      ['c1', '2026-03-01T00:00:00Z', 11],
      ['c1', '2026-03-02T00:00:00Z', 12],
      ['c2', '2026-03-03T00:00:00Z', 23],
    ]);
    const result = pointInTimeJoin(
      labels([
        ['c1', '2026-03-02T12:00:00Z'],
        ['c2', '2026-03-04T00:00:00Z'],
        ['c1', '2026-03-09T00:00:00Z'],
        ['c2', '2026-03-01T00:00:00Z'],
      ]),
      history,
      options,
    );
    expect(spend(result.table)).toEqual([12, 23, 13, 21]);
    expect(result.unmatchedRows).toBe(0);
  });

  it('sorts a long unsorted history of one entity', () => {
    const days = Array.from({ length: 100 }, (_, day) => day).reverse();
    const history = features(days.map((day) => ['c1', day * 86_400, day]));
    const result = pointInTimeJoin(labels([['c1', 41 * 86_400 + 5]]), history, options);
    expect(spend(result.table)).toEqual([41]);
  });

  it('takes the last row in input order when two rows share an event time', () => {
    const history = features([
      ['c1', '2026-03-01T00:00:00Z', 1],
      ['c1', '2026-03-01T00:00:00Z', 2],
      ['c1', '2026-02-01T00:00:00Z', 0],
    ]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-02T00:00:00Z']]), history, options);
    expect(spend(result.table)).toEqual([2]);
  });

  it('leaves unknown and missing entity keys missing and counts them', () => {
    const history = features([['c1', '2026-03-01T00:00:00Z', 10]]);
    const result = pointInTimeJoin(
      labels([
        ['c1', '2026-03-02T00:00:00Z'],
        ['nobody', '2026-03-02T00:00:00Z'],
        [null, '2026-03-02T00:00:00Z'],
      ]),
      history,
      options,
    );
    expect(spend(result.table)).toEqual([10, null, null]);
    expect(result.unmatchedRows).toBe(2);
    expect(result.expiredRows).toBe(0);
  });

  it('keeps 5,000 entities apart', () => {
    const ids = Array.from({ length: 5000 }, (_, id) => id);
    const history = features(ids.map((id) => [`k${id}`, 0, id]));
    const result = pointInTimeJoin(labels([...ids].reverse().map((id) => [`k${id}`, 1])), history, options);
    expect(spend(result.table)).toEqual([...ids].reverse());
  });

  it('compares keys as text: the number 42 matches "42" but not "42.0"', () => {
    const history = features([
      ['42', '2026-03-01T00:00:00Z', 10],
      ['42.0', '2026-03-01T00:00:00Z', 99],
    ]);
    const result = pointInTimeJoin(labels([[42, '2026-03-02T00:00:00Z']]), history, options);
    expect(spend(result.table)).toEqual([10]);
  });

  it('keeps the label columns and rows as they are and appends the feature columns', () => {
    const history = tableFromRecords([{ customer_id: 'c1', event_time: 0, spend: 5, visits: 3 }]);
    const input = labels([['c1', 10]]);
    const result = pointInTimeJoin(input, history, { ...options, featureColumns: ['visits'] });
    expect(result.table.columnNames).toEqual(['customer_id', 'label_time', 'churned', 'visits']);
    expect(result.table.columns).toEqual([['c1'], [10], [1], [3]]);
    expect(result.table.columns[0]).toBe(input.columns[0]);
  });

  it('reads the event time from a named column', () => {
    const history = tableFromRecords([{ customer_id: 'c1', written: '2026-03-01', spend: 5 }]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-02']]), history, { ...options, eventTimeColumn: 'written' });
    expect(spend(result.table)).toEqual([5]);
  });
});

describe('pointInTimeJoin: TTL', () => {
  const hour = 3_600_000;
  const history = features([['c1', '2026-03-01T00:00:00Z', 10]]);

  it('keeps a value exactly TTL old', () => {
    const result = pointInTimeJoin(labels([['c1', '2026-03-01T01:00:00Z']]), history, { ...options, ttlMs: hour });
    expect(spend(result.table)).toEqual([10]);
    expect(result.expiredRows).toBe(0);
  });

  it('treats a value older than the TTL as missing, without falling back to an older row', () => {
    const withOlder = features([
      ['c1', '2026-02-01T00:00:00Z', 1],
      ['c1', '2026-03-01T00:00:00Z', 10],
    ]);
    const result = pointInTimeJoin(labels([['c1', '2026-03-01T01:00:00.001Z']]), withOlder, {
      ...options,
      ttlMs: hour,
    });
    expect(spend(result.table)).toEqual([null]);
    expect(result.unmatchedRows).toBe(1);
    expect(result.expiredRows).toBe(1);
  });

  it('rejects a negative TTL', () => {
    expect(() => pointInTimeJoin(labels([]), history, { ...options, ttlMs: -1 })).toThrow(DataError);
  });
});

describe('pointInTimeJoin: errors', () => {
  it('names the table, row and column of a bad label timestamp', () => {
    const input = labels([
      ['c1', '2026-03-01T00:00:00Z'],
      ['c1', '2026-02-30T00:00:00Z'],
    ]);
    expect(() => pointInTimeJoin(input, features([]), { ...options, labelsSource: 'labels.csv' })).toThrow(
      /^labels\.csv, row 2, column "label_time": "2026-02-30T00:00:00Z" is not a timestamp/,
    );
  });

  it('names the row of a missing feature event time', () => {
    const history = features([
      ['c1', '2026-03-01T00:00:00Z', 1],
      ['c1', null, 2],
    ]);
    expect(() => pointInTimeJoin(labels([]), history, options)).toThrow(
      'features, row 2, column "event_time": a missing value is not a timestamp',
    );
  });

  it('names feature columns that collide with label columns', () => {
    const history = tableFromRecords([{ customer_id: 'c1', event_time: 0, churned: 0, spend: 1 }]);
    expect(() => pointInTimeJoin(labels([['c1', 1]]), history, options)).toThrow(
      'feature column(s) "churned" of features also exist in labels',
    );
  });

  it('names a missing key column and the table it is missing from', () => {
    const history = tableFromRecords([{ id: 'c1', event_time: 0, spend: 1 }]);
    expect(() => pointInTimeJoin(labels([['c1', 1]]), history, options)).toThrow(
      'features: column "customer_id" not found; columns are: id, event_time, spend',
    );
  });
});

describe('parseTimestamp', () => {
  const ms = (iso: string) => Date.parse(iso) * 1000;

  it.each([
    ['2026-03-01', ms('2026-03-01T00:00:00Z')],
    ['2026-03-01T10:00', ms('2026-03-01T10:00:00Z')],
    ['2026-03-01 10:00:00', ms('2026-03-01T10:00:00Z')],
    ['2026-03-01T10:00:00.123456Z', ms('2026-03-01T10:00:00.123Z') + 456],
    ['2026-03-01T10:00:00.123456000', ms('2026-03-01T10:00:00.123Z') + 456],
    ['2026-03-01T10:00:00-05', ms('2026-03-01T15:00:00Z')],
    ['2024-02-29T00:00:00Z', ms('2024-02-29T00:00:00Z')],
    ['0050-01-01T00:00:00Z', ms('0050-01-01T00:00:00Z')],
    [1772359200, ms('2026-03-01T10:00:00Z')],
    [1772359200.5, ms('2026-03-01T10:00:00.500Z')],
    [1772359200123, ms('2026-03-01T10:00:00.123Z')],
    ['1772359200', ms('2026-03-01T10:00:00Z')],
    ['1772359200123', ms('2026-03-01T10:00:00.123Z')],
  ] as const)('reads %p', (cell, micros) => {
    expect(parseTimestamp(cell)).toBe(micros);
  });

  it('agrees with Date.parse on random instants from the year 1 to 9999, in UTC and with offsets', () => {
    const random = createRandom(99);
    const first = Date.parse('0001-01-01T00:00:00Z');
    const last = Date.parse('9999-12-31T23:59:59Z');
    for (let i = 0; i < 2000; i++) {
      const instant = first + Math.floor(random.next() * (last - first));
      const iso = new Date(instant).toISOString();
      expect(parseTimestamp(iso)).toBe(instant * 1000);
      expect(parseTimestamp(iso.replace('Z', '-05:30'))).toBe((instant + 5.5 * 3_600_000) * 1000);
    }
  });

  it('reads bare numbers in the unit asked for', () => {
    expect(parseTimestamp(1000, 'milliseconds')).toBe(1_000_000);
    expect(parseTimestamp(1000, 'seconds')).toBe(1_000_000_000);
  });

  it.each([
    '2026-13-01',
    '2023-02-29',
    '2026-03-01T24:00:00Z',
    '2026-03-01T10:60',
    '2026-03-01T10:00:60Z',
    '2026-03-01T10:00:00.0000001Z',
    '2026-03-01T10:00:00+25:00',
    '2026-03-01T10:00:00 UTC',
    '2026-03-01T10',
    '2026-03-01Z',
    '2026-03-01T10:00:00.',
    '2026-03-01T10:00:00+02:',
    '2026-03-01T10:00:00+2',
    '2026-03-01T10:00:00Zx',
    '2026-3-01',
    '01/03/2026',
    'yesterday',
    '',
    ' 1772359200',
    '1e9',
    true,
    null,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ])('rejects %p', (cell) => {
    expect(parseTimestamp(cell)).toBeNull();
  });
});

describe('pointInTimeJoin agrees with a brute-force join on random data', () => {
  function bruteForce(labelRows: Array<[string, number]>, featureRows: Array<[string, number, number]>, ttl: number) {
    return labelRows.map(([key, time]) => {
      let best = -1;
      featureRows.forEach(([featureKey, eventTime], row) => {
        if (featureKey !== key || eventTime > time) return;
        if (best < 0 || eventTime >= featureRows[best][1]) best = row;
      });
      return best < 0 || time - featureRows[best][1] > ttl ? null : featureRows[best][2];
    });
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %p', (seed) => {
    // Given few entities and few distinct times, so ties and exact matches are common
    const random = createRandom(seed);
    const entities = random.int(1, 8);
    const times = random.int(1, 40);
    const ttl = random.next() < 0.5 ? Number.POSITIVE_INFINITY : random.int(0, 10) * 1000;
    const featureRows = Array.from(
      { length: random.int(0, 300) },
      (_, row) => [`e${random.int(0, entities)}`, random.int(0, times) * 1000, row] as [string, number, number],
    );
    const labelRows = Array.from(
      { length: random.int(0, 200) },
      () => [`e${random.int(0, entities)}`, random.int(-1, times + 1) * 1000] as [string, number],
    );
    // When both joins run (times as epoch milliseconds)
    const result = pointInTimeJoin(labels(labelRows), features(featureRows), {
      ...options,
      epochUnit: 'milliseconds',
      ...(Number.isFinite(ttl) ? { ttlMs: ttl } : {}),
    });
    // Then they agree row by row
    const expected = bruteForce(labelRows, featureRows, ttl);
    expect(spend(result.table)).toEqual(expected);
    expect(result.unmatchedRows).toBe(expected.filter((value) => value === null).length);
  });
});
