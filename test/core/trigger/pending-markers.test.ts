import { ObjectStorePendingMarkers, pendingMarkerKey } from '../../../core/trigger/pending-markers';
import { useEmptiedLocalS3Bucket } from '../../support/local-s3-harness';

const BUCKET = 'artifacts';
const store = useEmptiedLocalS3Bucket(BUCKET);

const marker = {
  id: 'good',
  model: 'churn',
  objects: ['churn/a.csv'],
  newestKey: 'churn/a.csv',
  newestAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:01.000Z',
};

describe('ObjectStorePendingMarkers (local S3)', () => {
  it('skips a marker that is not JSON and reports it, still listing the valid ones', async () => {
    // given
    const skipped: string[] = [];
    const markers = new ObjectStorePendingMarkers(store(), (key) => skipped.push(key));
    await markers.write(marker);
    await store().put(pendingMarkerKey('churn', 'broken'), '{"id": ');
    // when
    const listed = await markers.list('churn');
    // then
    expect(listed).toEqual([marker]);
    expect(skipped).toEqual([pendingMarkerKey('churn', 'broken')]);
  });

  it('skips a marker that fails its schema and says why', async () => {
    // given
    const reasons: string[] = [];
    const markers = new ObjectStorePendingMarkers(store(), (_key, reason) => reasons.push(reason));
    await store().put(pendingMarkerKey('churn', 'odd'), JSON.stringify({ id: 'odd', objects: 'not a list' }));
    // when
    const listed = await markers.list('churn');
    // then
    expect(listed).toEqual([]);
    expect(reasons[0]).toContain('does not match its expected shape');
  });

  it('keeps markers under triggers/<model>/pending/, outside the runs/ prefix', async () => {
    // when
    await new ObjectStorePendingMarkers(store()).write(marker);
    // then
    expect((await store().list('')).map((item) => item.key)).toEqual(['triggers/churn/pending/good.json']);
  });
});
