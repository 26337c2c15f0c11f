import { featureViewSchema } from '../../../core/config/feature-view-schema';
import { MemoryOnlineFeatureStore } from '../../../core/feature-views/online-store';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { materializeUpload, type UploadDeps } from '../../../lambdas/materialize-features/materialize-upload';

const customer = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id' });
const manual = featureViewSchema.parse({ name: 'manual', entityKey: 'id', materialize: { onUpload: false } });

function setup() {
  const curated = new MemoryObjectStore('curated');
  const online = new MemoryOnlineFeatureStore();
  const logged: Array<{ level: string; message: string; details?: Record<string, unknown> }> = [];
  const deps: UploadDeps = {
    views: [customer, manual],
    curatedBucket: 'curated',
    curated,
    online,
    log: (level, message, details) => logged.push({ level, message, details }),
  };
  return { curated, online, logged, deps };
}

const created = (key: string, bucket = 'curated') => ({
  source: 'aws.s3' as const,
  'detail-type': 'Object Created' as const,
  detail: { bucket: { name: bucket }, object: { key } },
});

describe('materializeUpload', () => {
  test('an uploaded view file lands in the online store, and a redelivered event writes nothing', async () => {
    const { curated, online, deps } = setup();
    await curated.put('features/customer/a.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    const outcome = await materializeUpload(created('features/customer/a.csv'), deps);
    expect(outcome).toMatchObject({ status: 'materialized', summary: { written: 1, skipped: 0 } });
    expect((await online.read('customer', ['1'], ['spend'])).get('1')?.values).toEqual({ spend: 10 });
    expect(await materializeUpload(created('features/customer/a.csv'), deps)).toMatchObject({
      summary: { written: 0, skipped: 1 },
    });
  });

  test('a new column is logged as a warning with its schema finding', async () => {
    const { curated, logged, deps } = setup();
    await curated.put('features/customer/a.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    await curated.put('features/customer/b.csv', 'customer_id,event_time,spend,tenure\n1,2026-03-02,10,4\n');
    await materializeUpload(created('features/customer/a.csv'), deps);
    await materializeUpload(created('features/customer/b.csv'), deps);
    expect(logged.map((entry) => entry.level)).toEqual(['info', 'warn']);
    expect(logged[1].details?.schemaFindings).toEqual([
      expect.objectContaining({ kind: 'newColumn', column: 'tenure' }),
    ]);
  });

  test("ignores the view's own records, other buckets and views without onUpload", async () => {
    const { deps } = setup();
    expect(await materializeUpload(created('features/customer/_meta/versions/x.json'), deps)).toMatchObject({
      status: 'ignored',
    });
    expect(await materializeUpload(created('features/customer/a.csv', 'raw'), deps)).toMatchObject({
      status: 'ignored',
      reason: 'bucket raw is not the curated zone',
    });
    expect(await materializeUpload(created('features/manual/a.csv'), deps)).toMatchObject({
      status: 'ignored',
      reason: 'view manual has materialize.onUpload false',
    });
  });
});
