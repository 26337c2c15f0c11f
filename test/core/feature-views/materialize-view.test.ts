import { featureViewSchema } from '../../../core/config/feature-view-schema';
import {
  type MaterializeProgress,
  materializeFiles,
  readViewFile,
  viewOfKey,
} from '../../../core/feature-views/materialize-view';
import { MemoryOnlineFeatureStore } from '../../../core/feature-views/online-store';
import { type ViewVersionRecord, viewVersionId, viewVersionKey } from '../../../core/feature-views/versions';
import { listViewDataFiles } from '../../../core/feature-views/view-history';
import { MemoryObjectStore } from '../../../core/storage/memory-store';

const view = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id' });

function setup() {
  let tick = Date.parse('2026-03-01T00:00:00Z');
  const clock = () => {
    tick += 1000;
    return new Date(tick);
  };
  const curated = new MemoryObjectStore('curated', clock);
  const online = new MemoryOnlineFeatureStore();
  return { curated, online, deps: { curated, online, now: clock } };
}

describe('listViewDataFiles', () => {
  test("lists the view's data files oldest first, never its _meta records or other views", async () => {
    const { curated } = setup();
    await curated.put('features/customer/b.csv', 'x');
    await curated.put('features/customer/a.csv', 'x');
    await curated.put('features/customer/_meta/versions/abc.json', '{}');
    await curated.put('features/customer/notes.md', 'x');
    await curated.put('features/customers/c.csv', 'x');
    const keys = (await listViewDataFiles(curated, 'customer')).map((object) => object.key);
    expect(keys).toEqual(['features/customer/b.csv', 'features/customer/a.csv']);
  });
});

describe('materializeFiles', () => {
  test('an unreadable version record stops a new version, naming the record', async () => {
    // given a view whose recorded version is corrupt, and a file with new columns
    const { curated, deps } = setup();
    await curated.put('features/customer/_meta/versions/abc.json', '{ not json');
    await curated.put('features/customer/1.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    // then materialization does not guess the previous version
    await expect(materializeFiles(deps, view, ['features/customer/1.csv'])).rejects.toThrow(
      's3://curated/features/customer/_meta/versions/abc.json is not valid JSON',
    );
  });

  test('writes the newest row of each entity, and a second run writes nothing', async () => {
    const { curated, online, deps } = setup();
    await curated.put(
      'features/customer/1.csv',
      'customer_id,event_time,spend\n1,2026-03-01,10\n2,2026-03-01,20\n1,2026-03-03,11\n',
    );
    await curated.put(
      'features/customer/2.csv',
      'customer_id,event_time,spend\n1,2026-03-02,99\n3,2026-03-02,30\n,2026-03-02,0\n',
    );
    const keys = ['features/customer/1.csv', 'features/customer/2.csv'];
    const progress: MaterializeProgress[] = [];
    const first = await materializeFiles(deps, view, keys, (step) => progress.push(step));
    expect(first).toMatchObject({ rowsRead: 6, missingKeyRows: 1, entities: 3, written: 3, skipped: 0 });
    expect(progress.at(-1)).toEqual({ rowsDone: 3, rowsTotal: 3 });
    const stored = await online.read('customer', ['1', '2', '3'], ['spend']);
    expect([...stored].map(([key, row]) => [key, row.values.spend])).toEqual([
      ['1', 11],
      ['2', 20],
      ['3', 30],
    ]);
    const again = await materializeFiles(deps, view, keys);
    expect(again).toMatchObject({ written: 0, skipped: 3 });
  });

  test('an older file materialized after a newer one leaves the newer values', async () => {
    const { curated, online, deps } = setup();
    await curated.put('features/customer/new.csv', 'customer_id,event_time,spend\n1,2026-03-05,50\n');
    await curated.put('features/customer/old.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    await materializeFiles(deps, view, ['features/customer/new.csv']);
    const late = await materializeFiles(deps, view, ['features/customer/old.csv']);
    expect(late).toMatchObject({ written: 0, skipped: 1 });
    expect((await online.read('customer', ['1'], ['spend'])).get('1')?.values).toEqual({ spend: 50 });
  });
});

describe('readViewFile: view versions', () => {
  test('the first file records the first version; a file with the same columns records nothing', async () => {
    const { curated, deps } = setup();
    await curated.put('features/customer/1.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    await curated.put('features/customer/2.csv', 'event_time,customer_id,spend\n2026-03-02,1,11\n');
    const first = await readViewFile(deps, view, 'features/customer/1.csv');
    expect(first.outcome.newVersion).toEqual({
      version: viewVersionId(['spend']),
      firstSeenKey: 'features/customer/1.csv',
      schemaFindings: [],
    });
    const record = await curated.get(viewVersionKey('customer', viewVersionId(['spend'])));
    expect(JSON.parse(new TextDecoder().decode(record?.body))).toMatchObject({
      columns: ['spend'],
      firstSeenKey: 'features/customer/1.csv',
    });
    const second = await readViewFile(deps, view, 'features/customer/2.csv');
    expect(second.outcome.newVersion).toBeUndefined();
    expect(second.outcome.viewVersion).toBe(first.outcome.viewVersion);
  });

  test('a file with a new column is a new version with a schema finding, and the old record is kept', async () => {
    const { curated, deps } = setup();
    await curated.put('features/customer/1.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    await curated.put('features/customer/2.csv', 'customer_id,event_time,spend,tenure\n1,2026-03-02,11,5\n');
    await readViewFile(deps, view, 'features/customer/1.csv');
    const before = await curated.get(viewVersionKey('customer', viewVersionId(['spend'])));
    const second = await readViewFile(deps, view, 'features/customer/2.csv');
    expect(second.outcome.newVersion).toMatchObject({
      version: viewVersionId(['spend', 'tenure']),
      previousVersion: viewVersionId(['spend']),
      schemaFindings: [expect.objectContaining({ kind: 'newColumn', column: 'tenure' })],
    });
    const after = await curated.get(viewVersionKey('customer', viewVersionId(['spend'])));
    expect(after?.etag).toBe(before?.etag);
  });

  test('a version recorded by a concurrent run is not overwritten', async () => {
    const { curated, deps } = setup();
    await curated.put('features/customer/1.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    const [a, b] = await Promise.all([
      readViewFile(deps, view, 'features/customer/1.csv'),
      readViewFile(deps, view, 'features/customer/1.csv'),
    ]);
    expect([a.outcome.newVersion, b.outcome.newVersion].filter(Boolean)).toHaveLength(1);
  });

  test('only the run whose record write won announces a version: once for two concurrent runs, never on a re-run', async () => {
    // given a first version and a file with a new column, and two runs racing over that file
    const { curated, deps } = setup();
    const announced: Array<{ version: string; previousVersion?: string; file: string }> = [];
    const announcing = {
      ...deps,
      onNewVersion: async (record: ViewVersionRecord, file: string) => {
        announced.push({ version: record.version, previousVersion: record.previousVersion, file });
      },
    };
    await curated.put('features/customer/1.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    await curated.put('features/customer/2.csv', 'customer_id,event_time,spend,tenure\n1,2026-03-02,11,5\n');
    await readViewFile(announcing, view, 'features/customer/1.csv');
    // when both runs read the new file, and a third reads it again later
    await Promise.all([
      readViewFile(announcing, view, 'features/customer/2.csv'),
      readViewFile(announcing, view, 'features/customer/2.csv'),
    ]);
    await materializeFiles(announcing, view, ['features/customer/2.csv']);
    // then each version was announced exactly once, with the file that first carried it
    expect(announced).toEqual([
      { version: viewVersionId(['spend']), previousVersion: undefined, file: 's3://curated/features/customer/1.csv' },
      {
        version: viewVersionId(['spend', 'tenure']),
        previousVersion: viewVersionId(['spend']),
        file: 's3://curated/features/customer/2.csv',
      },
    ]);
  });
});

describe('viewOfKey', () => {
  test("a data file under a view's prefix belongs to it; its _meta records and other files do not", () => {
    expect(viewOfKey([view], 'features/customer/2026/a.parquet')?.name).toBe('customer');
    expect(viewOfKey([view], 'features/customer/_meta/versions/x.json')).toBeUndefined();
    expect(viewOfKey([view], 'features/customer/_meta/x.csv')).toBeUndefined();
    expect(viewOfKey([view], 'features/other/a.csv')).toBeUndefined();
  });
});
