import { type FeatureViewInput, featureViewSchema } from '../../../core/config/feature-view-schema';
import { type Cell, tableFromRecords } from '../../../core/data/table';
import {
  FeatureStoreUnavailableError,
  lookupFeatureGroups,
  lookupFeatures,
  MAX_NAMED_ENTITIES,
  mergeIntoRecords,
  mergeIntoTable,
  recordLookupRows,
  tableLookupRows,
  viewFeaturesOfModel,
} from '../../../core/feature-views/lookup';
import { MemoryOnlineFeatureStore, type OnlineFeatureStore } from '../../../core/feature-views/online-store';

const NOW_MS = Date.parse('2026-06-01T12:00:00Z');
const HOUR_MICROS = 3600 * 1e6;
const MODEL_FEATURES = ['tenure', 'plan', 'spend'];

const viewOf = (input: Partial<FeatureViewInput> = {}) =>
  featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', ...input });

async function storeWith(
  rows: Array<{ key: string; values: Record<string, number | string | null>; ageHours?: number }>,
): Promise<MemoryOnlineFeatureStore> {
  const store = new MemoryOnlineFeatureStore();
  await store.write(
    'customer',
    rows.map((row) => ({
      entityKey: row.key,
      eventTimeMicros: NOW_MS * 1000 - (row.ageHours ?? 1) * HOUR_MICROS,
      viewVersion: 'v1',
      values: row.values,
    })),
  );
  store.reads = 0;
  return store;
}

const lookup = (records: Array<Record<string, Cell>>, store: OnlineFeatureStore, view = viewOf()) =>
  lookupFeatures(recordLookupRows(records), { view, modelFeatures: MODEL_FEATURES, store, nowMs: NOW_MS });

describe('lookupFeatures', () => {
  it('fills an entity-only row with the stored values and says which came from the store', async () => {
    // Given a stored customer
    const store = await storeWith([{ key: 'c1', values: { tenure: 12, plan: 'pro', spend: 40.5 } }]);
    // When a row sends only the key
    const records = [{ customer_id: 'c1' }];
    const result = await lookup(records, store);
    // Then the merged row holds the stored features and no entity key
    expect(mergeIntoRecords(records, result, 'customer_id')).toEqual([{ tenure: 12, plan: 'pro', spend: 40.5 }]);
    expect(result.fromStore).toEqual([['tenure', 'plan', 'spend']]);
    expect(result.warnings).toEqual([]);
  });

  it('keeps what the request sent: request values win over stored ones', async () => {
    const store = await storeWith([{ key: 'c1', values: { tenure: 12, plan: 'pro', spend: 40.5 } }]);
    const records = [{ customer_id: 'c1', tenure: 99, plan: null }];
    const result = await lookup(records, store);
    expect(mergeIntoRecords(records, result, 'customer_id')).toEqual([{ tenure: 99, plan: 'pro', spend: 40.5 }]);
    expect(result.fromStore).toEqual([['plan', 'spend']]);
  });

  it('reads the store once for a batch, each entity once, projecting only the columns some row lacks', async () => {
    // Given 100 rows of 50 entities, none sending spend, all sending tenure and plan
    const store = await storeWith(
      Array.from({ length: 50 }, (_, i) => ({ key: `c${i}`, values: { tenure: i, plan: 'basic', spend: i * 2 } })),
    );
    const reads: Array<{ keys: readonly string[]; columns: readonly string[] }> = [];
    const spy: OnlineFeatureStore = {
      read: (view, keys, columns) => {
        reads.push({ keys, columns });
        return store.read(view, keys, columns);
      },
      write: (view, rows) => store.write(view, rows),
    };
    const records = Array.from({ length: 100 }, (_, i) => ({ customer_id: `c${i % 50}`, tenure: 1, plan: 'x' }));
    // When the batch is looked up
    const result = await lookup(records, spy);
    // Then one read of 50 keys for the spend column only
    expect(reads).toHaveLength(1);
    expect(reads[0]!.keys).toHaveLength(50);
    expect(reads[0]!.columns).toEqual(['spend']);
    expect(result.entitiesRead).toBe(50);
    expect(mergeIntoRecords(records, result, 'customer_id')[51]).toEqual({ tenure: 1, plan: 'x', spend: 2 });
  });

  it('makes no read when every row sent every view feature', async () => {
    const store = await storeWith([{ key: 'c1', values: { tenure: 12, plan: 'pro', spend: 40.5 } }]);
    const result = await lookup([{ customer_id: 'c1', tenure: 1, plan: 'a', spend: 2 }], store);
    expect(store.reads).toBe(0);
    expect(result.fromStore).toEqual([[]]);
  });

  it('treats the number 42 and the text "42" as one entity', async () => {
    const store = await storeWith([{ key: '42', values: { tenure: 3, plan: 'pro', spend: 1 } }]);
    const result = await lookup([{ customer_id: 42 }, { customer_id: '42' }], store);
    expect(result.fromStore).toEqual([MODEL_FEATURES, MODEL_FEATURES]);
    expect(result.entitiesRead).toBe(1);
  });

  it('treats a stored row older than the TTL as missing and warns', async () => {
    // Given a view with a one-day TTL and rows 23 and 25 hours old
    const store = await storeWith([
      { key: 'fresh', values: { tenure: 1, plan: 'a', spend: 1 }, ageHours: 23 },
      { key: 'stale', values: { tenure: 2, plan: 'b', spend: 2 }, ageHours: 25 },
    ]);
    const records = [{ customer_id: 'fresh' }, { customer_id: 'stale' }];
    const result = await lookup(records, store, viewOf({ ttlSeconds: 86_400 }));
    // Then only the fresh row is filled; the stale one is left to imputation with a warning
    expect(mergeIntoRecords(records, result, 'customer_id')).toEqual([{ tenure: 1, plan: 'a', spend: 1 }, {}]);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^feature view "customer": 1 entity older than ttlSeconds 86400, features imputed: "stale"/,
      ),
    ]);
    expect(result.rejected.size).toBe(0);
  });

  it('imputes an unknown entity with a warning naming it (onMissingEntity impute, the default)', async () => {
    const store = await storeWith([{ key: 'c1', values: { tenure: 1, plan: 'a', spend: 1 } }]);
    const result = await lookup([{ customer_id: 'c1' }, { customer_id: 'nobody' }], store);
    expect(result.filled[1]).toBeUndefined();
    expect(result.fromStore[1]).toEqual([]);
    expect(result.warnings).toEqual([
      'feature view "customer": 1 entity not in the online store, features imputed: "nobody" (instances[1].customer_id)',
    ]);
  });

  it('rejects the row of an unknown entity under onMissingEntity reject, and only that row', async () => {
    const store = await storeWith([{ key: 'c1', values: { tenure: 1, plan: 'a', spend: 1 } }]);
    const result = await lookup(
      [{ customer_id: 'c1' }, { customer_id: 'nobody' }],
      store,
      viewOf({ onMissingEntity: 'reject' }),
    );
    expect([...result.rejected]).toEqual([
      [1, 'instances[1].customer_id: entity "nobody" is not in feature view "customer" (onMissingEntity: reject)'],
    ]);
    expect(result.fromStore[0]).toEqual(MODEL_FEATURES);
    expect(result.warnings).toEqual([]);
  });

  it('names a few unknown entities and counts the rest', async () => {
    const store = await storeWith([]);
    const records = Array.from({ length: MAX_NAMED_ENTITIES + 3 }, (_, i) => ({ customer_id: `u${i}` }));
    const result = await lookup(records, store);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/8 entities not in the online store.* and 3 more$/);
  });

  it('warns about rows that lack view features and the entity key', async () => {
    const store = await storeWith([]);
    const result = await lookup([{ tenure: 1 }], store);
    expect(store.reads).toBe(0);
    expect(result.warnings).toEqual([
      'feature view "customer": 1 row(s) without the entity key customer_id lack view features, imputed: instances[0].customer_id',
    ]);
  });

  it('leaves a stored null missing and does not count it as from the store', async () => {
    const store = await storeWith([{ key: 'c1', values: { tenure: null, plan: 'a', spend: 1 } }]);
    const result = await lookup([{ customer_id: 'c1' }], store);
    expect(result.fromStore).toEqual([['plan', 'spend']]);
    expect(result.filled[0]).toEqual({ plan: 'a', spend: 1 });
  });

  it('turns a store failure into FeatureStoreUnavailableError naming the store', async () => {
    const failing: OnlineFeatureStore = {
      read: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4567')),
      write: () => Promise.reject(new Error('unused')),
    };
    const attempt = lookupFeatures(recordLookupRows([{ customer_id: 'c1' }]), {
      view: viewOf(),
      modelFeatures: MODEL_FEATURES,
      store: failing,
      nowMs: NOW_MS,
      storeName: 'DynamoDB table mlops-features',
    });
    await expect(attempt).rejects.toThrow(FeatureStoreUnavailableError);
    await expect(attempt).rejects.toThrow(
      'the online feature store (DynamoDB table mlops-features) could not be read for feature view "customer": connect ECONNREFUSED',
    );
  });
});

describe('lookupFeatureGroups', () => {
  it("reads once for every group and names each group's own rows in its warnings", async () => {
    // Given two stream records, the second with an unknown entity
    const store = await storeWith([{ key: 'c1', values: { tenure: 1, plan: 'a', spend: 1 } }]);
    const groups: Array<Array<Record<string, Cell>>> = [
      [{ customer_id: 'c1' }],
      [{ customer_id: 'c1', tenure: 5 }, { customer_id: 'nobody' }],
    ];
    // When both are looked up together
    const [first, second] = await lookupFeatureGroups(groups.map(recordLookupRows), {
      view: viewOf(),
      modelFeatures: MODEL_FEATURES,
      store,
      nowMs: NOW_MS,
    });
    // Then one read served both, and the warning names instances[1] of the second record
    expect(store.reads).toBe(1);
    expect(first!.fromStore).toEqual([MODEL_FEATURES]);
    expect(first!.warnings).toEqual([]);
    expect(second!.fromStore).toEqual([['plan', 'spend'], []]);
    expect(second!.warnings).toEqual([
      'feature view "customer": 1 entity not in the online store, features imputed: "nobody" (instances[1].customer_id)',
    ]);
  });
});

describe('viewFeaturesOfModel', () => {
  it('is the model features but the entity key and event time for a view of all columns', () => {
    expect(viewFeaturesOfModel(viewOf(), ['customer_id', 'event_time', 'tenure', 'age'])).toEqual(['tenure', 'age']);
  });

  it('is the model features the view lists', () => {
    expect(viewFeaturesOfModel(viewOf({ features: ['tenure'] }), ['tenure', 'age'])).toEqual(['tenure']);
  });
});

describe('mergeIntoTable', () => {
  it('keeps the request columns in place, fills their gaps, appends the columns the request lacked and drops the key', async () => {
    const store = await storeWith([
      { key: 'c1', values: { tenure: 12, plan: 'pro', spend: 40.5 } },
      { key: 'c2', values: { tenure: 7, plan: 'basic', spend: 3 } },
    ]);
    const table = tableFromRecords(
      [
        { customer_id: 'c1', tenure: null },
        { customer_id: 'c2', tenure: 1 },
      ],
      ['customer_id', 'tenure'],
    );
    const rows = tableLookupRows(table, (row, column) => `instances[${row}].${column}`);
    const result = await lookupFeatures(rows, { view: viewOf(), modelFeatures: MODEL_FEATURES, store, nowMs: NOW_MS });
    const merged = mergeIntoTable(table, result, { dropColumn: 'customer_id', rowsWithColumn: [2, 1] });
    expect(merged.table).toEqual({
      columnNames: ['tenure', 'plan', 'spend'],
      columns: [
        [12, 1],
        ['pro', 'basic'],
        [40.5, 3],
      ],
      rowCount: 2,
    });
    expect(merged.rowsWithColumn).toEqual([1, 2, 2]);
    // The caller's table is not changed
    expect(table.columns[1]).toEqual([null, 1]);
  });
});
