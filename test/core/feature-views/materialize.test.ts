import { featureViewSchema } from '../../../core/config/feature-view-schema';
import { DataError, tableFromRecords } from '../../../core/data/table';
import { materializeFile, newestAcrossFiles, viewFileFeatureColumns } from '../../../core/feature-views/materialize';
import type { OnlineFeatureRow } from '../../../core/feature-views/online-store';
import { parseTimestamp } from '../../../core/feature-views/point-in-time-join';
import { viewVersionId } from '../../../core/feature-views/versions';

const view = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id' });
const micros = (iso: string) => parseTimestamp(iso) as number;

describe('materializeFile', () => {
  test('keeps the newest row of each entity, whatever the file order', () => {
    const table = tableFromRecords([
      { customer_id: 1, event_time: '2026-03-02', spend: 20 },
      { customer_id: 1, event_time: '2026-03-01', spend: 10 },
      { customer_id: 2, event_time: '2026-03-01', spend: 5 },
    ]);
    const file = materializeFile(table, view, 'f.csv');
    expect(file.rows).toEqual([
      {
        entityKey: '1',
        eventTimeMicros: micros('2026-03-02'),
        viewVersion: viewVersionId(['spend']),
        values: { spend: 20 },
      },
      {
        entityKey: '2',
        eventTimeMicros: micros('2026-03-01'),
        viewVersion: viewVersionId(['spend']),
        values: { spend: 5 },
      },
    ]);
  });

  test('on a tie in event time the last row in file order wins, as in the point-in-time join', () => {
    const table = tableFromRecords([
      { customer_id: 'a', event_time: '2026-03-01T10:00:00Z', spend: 1 },
      { customer_id: 'a', event_time: '2026-03-01T10:00:00Z', spend: 2 },
      { customer_id: 'a', event_time: '2026-03-01T09:00:00Z', spend: 3 },
    ]);
    expect(materializeFile(table, view, 'f.csv').rows[0].values).toEqual({ spend: 2 });
  });

  test('42 and "42" are one entity', () => {
    const table = tableFromRecords([
      { customer_id: 42, event_time: '2026-03-01', spend: 1 },
      { customer_id: '42', event_time: '2026-03-02', spend: 2 },
    ]);
    const rows = materializeFile(table, view, 'f.csv').rows;
    expect(rows.map((row) => [row.entityKey, row.values.spend])).toEqual([['42', 2]]);
  });

  test('rows without an entity key are skipped and counted', () => {
    const table = tableFromRecords([
      { customer_id: null, event_time: '2026-03-01', spend: 1 },
      { customer_id: '', event_time: '2026-03-01', spend: 1 },
      { customer_id: 7, event_time: '2026-03-01', spend: 1 },
    ]);
    const file = materializeFile(table, view, 'f.csv');
    expect(file.missingKeyRows).toBe(2);
    expect(file.rowsRead).toBe(3);
    expect(file.rows.map((row) => row.entityKey)).toEqual(['7']);
  });

  test('a missing event time is a DataError naming the file, row and column', () => {
    const table = tableFromRecords([
      { customer_id: 1, event_time: '2026-03-01', spend: 1 },
      { customer_id: 2, event_time: null, spend: 1 },
    ]);
    expect(() => materializeFile(table, view, 's3://c/features/customer/a.csv')).toThrow(
      new DataError(
        's3://c/features/customer/a.csv, row 2, column "event_time": a missing value is not a timestamp; expected ISO 8601 ' +
          '(2026-03-01T10:00:00Z, with or without a zone, no zone meaning UTC) or epoch seconds or milliseconds',
      ),
    );
  });

  test('an unreadable event time is a DataError quoting the value', () => {
    const table = tableFromRecords([{ customer_id: 1, event_time: 'yesterday', spend: 1 }]);
    expect(() => materializeFile(table, view, 'a.csv')).toThrow(/a\.csv, row 1, column "event_time": "yesterday"/);
  });

  test("keeps only the view's listed feature columns, and stores booleans as text and non-finite numbers as missing", () => {
    const listed = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', features: ['vip', 'ratio'] });
    const table = tableFromRecords([
      { customer_id: 1, event_time: '2026-03-01', vip: true, ratio: Number.NaN, other: 'x' },
    ]);
    const file = materializeFile(table, listed, 'f.csv');
    expect(file.rows[0].values).toEqual({ vip: 'true', ratio: null });
    expect(file.featureColumns).toEqual(['vip', 'ratio']);
  });
});

describe('viewFileFeatureColumns', () => {
  test("with features 'all', every column but the entity key and event time", () => {
    expect(viewFileFeatureColumns(view, ['spend', 'customer_id', 'event_time', 'plan'], 'f')).toEqual([
      'spend',
      'plan',
    ]);
  });

  test('a file without the entity key column is a DataError naming it', () => {
    expect(() => viewFileFeatureColumns(view, ['event_time', 'spend'], 'f.csv')).toThrow(
      'f.csv: column "customer_id" of view "customer" not found; columns are: event_time, spend',
    );
  });

  test('a file without a listed feature column is a DataError naming it', () => {
    const listed = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', features: ['spend', 'plan'] });
    expect(() => viewFileFeatureColumns(listed, ['customer_id', 'event_time', 'spend'], 'f.csv')).toThrow(
      /feature column\(s\) "plan" of view "customer" not found/,
    );
  });
});

describe('newestAcrossFiles', () => {
  const row = (entityKey: string, eventTimeMicros: number, spend: number): OnlineFeatureRow => ({
    entityKey,
    eventTimeMicros,
    viewVersion: 'v',
    values: { spend },
  });

  test('a later event time wins; on a tie the older file stays, as the store keeps it', () => {
    const merged = newestAcrossFiles([
      [row('a', 2, 1), row('b', 1, 1)],
      [row('a', 1, 2), row('b', 1, 2), row('c', 5, 2)],
      [row('a', 3, 3)],
    ]);
    expect(merged.map((r) => [r.entityKey, r.values.spend])).toEqual([
      ['a', 3],
      ['b', 1],
      ['c', 2],
    ]);
  });
});
