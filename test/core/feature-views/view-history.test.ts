import { type FeatureViewInput, featureViewSchema } from '../../../core/config/feature-view-schema';
import { parseCsv } from '../../../core/data/csv';
import { DataError, getColumn } from '../../../core/data/table';
import { viewVersionId } from '../../../core/feature-views/versions';
import {
  combineViewFiles,
  joinWithView,
  readViewHistory,
  viewDataFiles,
} from '../../../core/feature-views/view-history';
import { MemoryObjectStore } from '../../../core/storage/memory-store';

const view = (input: Partial<FeatureViewInput> = {}) =>
  featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', ...input });

const csv = (text: string, source = 'file.csv') => ({ table: parseCsv(text, { source }), source });

/** A store whose clock moves a minute per write, so upload order is file order. */
function steppingStore() {
  let minute = 0;
  return new MemoryObjectStore('curated', () => new Date(Date.UTC(2026, 0, 1, 0, minute++)));
}

describe('viewDataFiles', () => {
  it('keeps data files under the view prefix, oldest first, and never the _meta records', () => {
    // given
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
    const objects = [
      { key: 'features/customer/b.csv', size: 1, lastModified: at(2), etag: '"b"' },
      { key: 'features/customer/_meta/versions/x.json', size: 1, lastModified: at(0), etag: '"m"' },
      { key: 'features/customer/_meta/old.csv', size: 1, lastModified: at(0), etag: '"m2"' },
      { key: 'features/customer/a.parquet', size: 1, lastModified: at(1), etag: '"a"' },
      { key: 'features/customer/notes.md', size: 1, lastModified: at(0), etag: '"n"' },
      { key: 'features/customers/c.csv', size: 1, lastModified: at(0), etag: '"c"' },
    ];
    // when
    const files = viewDataFiles(objects, 'customer');
    // then
    expect(files.map((file) => file.key)).toEqual(['features/customer/a.parquet', 'features/customer/b.csv']);
  });
});

describe('combineViewFiles', () => {
  it('unions the columns of every version; a column an older version lacks is null in its rows', () => {
    // given a first version with spend, and a second that adds visits
    const v1 = csv('customer_id,event_time,spend\nc1,2026-01-01,10\n', 'v1.csv');
    const v2 = csv('customer_id,event_time,spend,visits\nc1,2026-02-01,20,3\n', 'v2.csv');
    // when
    const history = combineViewFiles([v1, v2], view());
    // then
    expect(history.table.columnNames).toEqual(['customer_id', 'event_time', 'spend', 'visits']);
    expect(getColumn(history.table, 'visits')).toEqual([null, '3']);
    expect(history.featureColumns).toEqual(['spend', 'visits']);
    expect(history.versions).toEqual([viewVersionId(['spend']), viewVersionId(['visits', 'spend'])]);
    expect(history.files.map((file) => [file.key, file.rows])).toEqual([
      ['v1.csv', 1],
      ['v2.csv', 1],
    ]);
  });

  it('takes a listed view column from the files that have it and leaves the rest of the columns out', () => {
    // given
    const v1 = csv('customer_id,event_time,spend,noise\nc1,2026-01-01,10,x\n');
    // when
    const history = combineViewFiles([v1], view({ features: ['spend'] }));
    // then
    expect(history.table.columnNames).toEqual(['customer_id', 'event_time', 'spend']);
  });

  it('refuses a listed column that no file has, naming it', () => {
    const v1 = csv('customer_id,event_time,spend\nc1,2026-01-01,10\n');
    expect(() => combineViewFiles([v1], view({ features: ['spend', 'visits'] }))).toThrow(/lists "visits"/);
  });

  it('refuses a file without the event time column, naming the file', () => {
    const bad = csv('customer_id,spend\nc1,10\n', 'features/customer/bad.csv');
    expect(() => combineViewFiles([bad], view())).toThrow(
      /features\/customer\/bad.csv: column "event_time" of feature view "customer" not found/,
    );
  });
});

describe('readViewHistory', () => {
  it('reads every file of the view with its ETag and version', async () => {
    // given
    const curated = steppingStore();
    await curated.put('features/customer/2026-01.csv', 'customer_id,event_time,spend\nc1,2026-01-01,10\n');
    await curated.put('features/customer/_meta/versions/abc.json', '{}');
    await curated.put('features/customer/2026-02.csv', 'customer_id,event_time,spend\nc1,2026-02-01,20\n');
    // when
    const history = await readViewHistory(curated, view(), { maxBytes: 1024 });
    // then
    expect(history.table.rowCount).toBe(2);
    expect(history.files.map((file) => file.key)).toEqual([
      'features/customer/2026-01.csv',
      'features/customer/2026-02.csv',
    ]);
    expect(history.files[0].etag).toBe((await curated.head('features/customer/2026-01.csv'))?.etag);
  });

  it('refuses a history over the cap across all files before reading any, naming the cap', async () => {
    // given two files of 40 bytes each under a cap of 60 bytes
    const curated = steppingStore();
    const file = 'customer_id,event_time,spend\nc1,2026-01-01,1\n';
    await curated.put('features/customer/a.csv', file);
    await curated.put('features/customer/b.csv', file);
    // when / then
    await expect(
      readViewHistory(curated, view(), { maxBytes: file.length + 10, capName: 'training.maxDataMiB' }),
    ).rejects.toThrow(/is 90 bytes in 2 file\(s\), over training.maxDataMiB/);
  });

  it('says where to upload when the view has no files', async () => {
    await expect(readViewHistory(steppingStore(), view(), { maxBytes: 1024 })).rejects.toThrow(
      /no data files under s3:\/\/curated\/features\/customer\//,
    );
  });
});

describe('joinWithView', () => {
  it('applies the view TTL: a value older than ttlSeconds at the label time is missing', () => {
    // given a value a day and a second before the label, under a TTL of a day
    const history = combineViewFiles(
      [csv('customer_id,event_time,spend\nc1,2026-03-01T00:00:00Z,10\n')],
      view({ ttlSeconds: 86400 }),
    );
    const labels = parseCsv('customer_id,label_time\nc1,2026-03-02T00:00:00Z\nc1,2026-03-02T00:00:01Z\n');
    // when
    const result = joinWithView(labels, history, view({ ttlSeconds: 86400 }), { timestampColumn: 'label_time' });
    // then exactly a day old is kept, a second more is stale
    expect(getColumn(result.table, 'spend')).toEqual(['10', null]);
    expect(result.expiredRows).toBe(1);
  });

  it('lets the later file win a tie on event time (a correction uploaded later)', () => {
    const history = combineViewFiles(
      [
        csv('customer_id,event_time,spend\nc1,2026-03-01,10\n', 'old.csv'),
        csv('customer_id,event_time,spend\nc1,2026-03-01,11\n', 'new.csv'),
      ],
      view(),
    );
    const labels = parseCsv('customer_id,label_time\nc1,2026-03-05\n');
    expect(getColumn(joinWithView(labels, history, view(), { timestampColumn: 'label_time' }).table, 'spend')).toEqual([
      '11',
    ]);
  });

  it('names a missing label time column', () => {
    const history = combineViewFiles([csv('customer_id,event_time,spend\nc1,2026-03-01,10\n')], view());
    const labels = parseCsv('customer_id,when\nc1,2026-03-05\n', { source: 'labels.csv' });
    expect(() =>
      joinWithView(labels, history, view(), { timestampColumn: 'label_time', labelsSource: 'labels.csv' }),
    ).toThrow(DataError);
  });
});
