import { type FeatureViewInput, featureViewSchema } from '../../../core/config/feature-view-schema';
import { parseCsv } from '../../../core/data/csv';
import { getColumn } from '../../../core/data/table';
import { combineViewFiles, emptyViewHistory } from '../../../core/feature-views/view-history';
import { viewTrainingSet } from '../../../core/feature-views/view-training-set';

const view = (input: Partial<FeatureViewInput> = {}) =>
  featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id', ...input });

const history = (text: string, config = view()) =>
  combineViewFiles([{ table: parseCsv(text), source: 'v.csv' }], config);

const VIEW = 'customer_id,event_time,spend,visits\nc1,2026-03-01,10,1\nc1,2026-03-10,20,2\nc2,2026-03-01,5,9\n';

describe('viewTrainingSet', () => {
  it('trains on the upload alone while a view of "all" columns has no files yet, and says so', () => {
    // given a full upload and a view with no history
    const upload = parseCsv('customer_id,age,churned\nc1,30,no\nc2,40,yes\n');
    // when
    const set = viewTrainingSet(upload, emptyViewHistory(view()), view(), { source: 'churn/v1.csv' });
    // then nothing is joined and the key is still never a feature
    expect(set.table.columnNames).toEqual(['age', 'churned']);
    expect(set.joinedColumns).toEqual([]);
    expect(set.notes.join('\n')).toContain('has no data files yet; churn/v1.csv trains on its own columns');
  });

  it('refuses an upload lacking listed view columns while the view has no files', () => {
    // given a view that lists spend, no history, and labels without spend
    const listed = view({ features: ['spend'] });
    const upload = parseCsv('customer_id,event_time,churned\nc1,2026-03-05,no\n');
    // then the error names the view, the missing column and where to upload
    expect(() => viewTrainingSet(upload, emptyViewHistory(listed), listed, { source: 'churn/labels.csv' })).toThrow(
      'feature view "customer" has no data files yet and churn/labels.csv lacks its "spend": upload the view\'s history under features/customer/ in the curated zone first',
    );
  });

  it('joins the view columns at each label time and leaves the key and the label time out', () => {
    // given labels before and after c1's second value
    const upload = parseCsv(
      'customer_id,event_time,age,churned\nc1,2026-03-05,30,no\nc1,2026-03-12,30,yes\nc2,2026-03-02,40,no\n',
    );
    // when
    const set = viewTrainingSet(upload, history(VIEW), view(), { source: 'churn/labels.csv' });
    // then the value written after the first label never reaches it
    expect(set.table.columnNames).toEqual(['age', 'churned', 'spend', 'visits']);
    expect(getColumn(set.table, 'spend')).toEqual(['10', '20', '5']);
    expect(set.droppedColumns).toEqual(['customer_id', 'event_time']);
    expect(set.joinedColumns).toEqual(['spend', 'visits']);
  });

  it('keeps the upload values of a view column the upload also has, and says so', () => {
    // given an upload with its own spend
    const upload = parseCsv('customer_id,event_time,spend,churned\nc1,2026-03-12,999,yes\n');
    // when
    const set = viewTrainingSet(upload, history(VIEW), view(), { source: 'churn/labels.csv' });
    // then
    expect(getColumn(set.table, 'spend')).toEqual(['999']);
    expect(getColumn(set.table, 'visits')).toEqual(['2']);
    expect(set.keptFromUpload).toEqual(['spend']);
    expect(set.notes.join('\n')).toMatch(/churn\/labels.csv has its own "spend"; those values train, not the view's/);
  });

  it('reads the label time from labelTimeColumn when the model names one', () => {
    const upload = parseCsv('customer_id,labelled_at,churned\nc1,2026-03-05,no\n');
    const set = viewTrainingSet(upload, history(VIEW), view(), { source: 'u.csv', labelTimeColumn: 'labelled_at' });
    expect(getColumn(set.table, 'spend')).toEqual(['10']);
    expect(set.table.columnNames).toEqual(['churned', 'spend', 'visits']);
  });

  it('refuses an upload without the entity key, naming it', () => {
    const upload = parseCsv('event_time,spend,churned\n2026-03-05,1,no\n');
    expect(() => viewTrainingSet(upload, history(VIEW), view(), { source: 'churn/labels.csv' })).toThrow(
      /churn\/labels.csv has no column "customer_id", the entity key of feature view "customer"/,
    );
  });

  it('joins nothing for an upload without the key that has every view column', () => {
    const upload = parseCsv('event_time,spend,visits,churned\n2026-03-05,1,2,no\n');
    const set = viewTrainingSet(upload, history(VIEW), view(), { source: 'u.csv' });
    expect(set.joinedColumns).toEqual([]);
    expect(set.table.columnNames).toEqual(['spend', 'visits', 'churned']);
    expect(set.notes.join('\n')).toMatch(/has every view column; nothing joined/);
  });

  it('names the label time column and the config field when the upload lacks it', () => {
    const upload = parseCsv('customer_id,churned\nc1,no\n');
    expect(() => viewTrainingSet(upload, history(VIEW), view(), { source: 'u.csv' })).toThrow(
      /no column "event_time", the time of each label .* labelTimeColumn/,
    );
  });

  it('counts labels whose only value is older than the TTL as stale', () => {
    // given a TTL of a day and labels four days after c2's only value
    const config = view({ ttlSeconds: 86400 });
    const upload = parseCsv('customer_id,event_time,churned\nc2,2026-03-05,no\nc2,2026-03-01T12:00:00Z,no\n');
    // when
    const set = viewTrainingSet(upload, history(VIEW, config), config, { source: 'u.csv' });
    // then
    expect(getColumn(set.table, 'spend')).toEqual([null, '5']);
    expect(set.expiredRows).toBe(1);
    expect(set.unmatchedRows).toBe(1);
  });
});
