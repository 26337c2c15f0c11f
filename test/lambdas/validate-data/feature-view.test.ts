import { parseCsv } from '../../../core/data/csv';
import { sha256Hex } from '../../../core/data/read';
import { DataError, getColumn } from '../../../core/data/table';
import { viewVersionId } from '../../../core/feature-views/versions';
import { readRunRecord } from '../../../core/runs/run-record';
import { snapshotKey } from '../../../core/workflow/layout';
import { WorkflowConfigError } from '../../../lambdas/shared/step-errors';
import { validateStep } from '../../../lambdas/validate-data/validate';
import { churnModel, memoryZones, sequentialRunIds, steppingClock, uploadInput } from '../fixtures/workflow';
import { CUSTOMERS, labels, STALE, spendAtLabel, VIEW, viewV1, viewV2 } from './fixtures/customer-view';

/** Zones whose clock moves a minute per write, so the view's files are in upload order. */
async function withView(modelOverrides: Parameters<typeof churnModel>[0] = {}) {
  let minute = 0;
  const zones = memoryZones(() => new Date(Date.UTC(2026, 2, 21, 0, minute++)));
  await zones.curated.put('features/customer/2026-03-v1.csv', viewV1());
  await zones.curated.put('features/customer/_meta/versions/abc.json', '{"not":"data"}');
  await zones.curated.put('features/customer/2026-03-v2.csv', viewV2());
  const notes: string[] = [];
  const deps = {
    model: churnModel({ featureView: 'customer', ...modelOverrides }),
    ...zones,
    featureView: VIEW,
    clock: steppingClock(Date.parse('2026-03-22T00:00:00Z')),
    newRunId: sequentialRunIds(),
    onNote: (note: string) => notes.push(note),
  };
  return { deps, notes };
}

describe('validate step with a feature view', () => {
  it('snapshots the labels joined with the view as of each label time: no later value, stale past the TTL', async () => {
    // given
    const { deps, notes } = await withView();
    await deps.raw.put('churn/labels.csv', labels());
    // when
    const result = await validateStep(uploadInput('churn/labels.csv'), deps);
    // then the snapshot is the joined training set, without the key and the label time
    const body = (await deps.curated.get(result.snapshotKey))!.body;
    const snapshot = parseCsv(body, { numbers: true });
    expect(snapshot.columnNames).toEqual(['age', 'churned', 'spend', 'visits']);
    const expected = Array.from({ length: CUSTOMERS }, (_, i) => spendAtLabel(i));
    expect(getColumn(snapshot, 'spend')).toEqual(expected);
    expect(getColumn(snapshot, 'spend').filter((value) => value === null)).toHaveLength(STALE);
    expect(getColumn(snapshot, 'visits').slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(getColumn(snapshot, 'visits')).not.toContain(999);
    // and the hash, the key and the result are of the joined bytes
    expect(result.snapshotSha256).toBe(sha256Hex(body));
    expect(result.snapshotKey).toBe(snapshotKey('churn', sha256Hex(body), '.csv'));
    expect(result).toMatchObject({ dataSha256: sha256Hex(body), rowCount: CUSTOMERS, columnCount: 4 });
    expect(notes.join('\n')).toMatch(/"customer_id", "event_time" left out of the training set/);
  });

  it('records which view files (keys and ETags) at which versions were joined', async () => {
    // given
    const { deps } = await withView();
    await deps.raw.put('churn/labels.csv', labels());
    // when
    const result = await validateStep(uploadInput('churn/labels.csv'), deps);
    // then
    const record = await readRunRecord(deps.artifacts, 'churn', result.runId);
    const etag = async (key: string) => (await deps.curated.head(key))!.etag;
    expect(record?.inputs?.featureView).toEqual({
      view: 'customer',
      versions: [viewVersionId(['spend']), viewVersionId(['spend', 'visits'])],
      files: [
        {
          key: 'features/customer/2026-03-v1.csv',
          etag: await etag('features/customer/2026-03-v1.csv'),
          version: viewVersionId(['spend']),
        },
        {
          key: 'features/customer/2026-03-v2.csv',
          etag: await etag('features/customer/2026-03-v2.csv'),
          version: viewVersionId(['spend', 'visits']),
        },
      ],
      fileCount: 2,
      labelTimeColumn: 'event_time',
      joinedColumns: ['spend', 'visits'],
      keptFromUpload: [],
      unmatchedRows: STALE,
      expiredRows: STALE,
    });
  });

  it('joins at the model labelTimeColumn', async () => {
    // given labels whose time column is labelled_at
    const { deps } = await withView({ labelTimeColumn: 'labelled_at' });
    await deps.raw.put('churn/labels.csv', labels().replace('event_time', 'labelled_at'));
    // when
    const result = await validateStep(uploadInput('churn/labels.csv'), deps);
    // then
    const snapshot = parseCsv((await deps.curated.get(result.snapshotKey))!.body, { numbers: true });
    expect(snapshot.columnNames).toEqual(['age', 'churned', 'spend', 'visits']);
    expect(getColumn(snapshot, 'spend')[1]).toBe(spendAtLabel(1));
  });

  it('fails naming the entity key for labels without it, and writes no snapshot', async () => {
    // given
    const { deps } = await withView();
    await deps.raw.put('churn/labels.csv', labels({ keyColumn: null }));
    // when
    const run = validateStep(uploadInput('churn/labels.csv'), deps);
    // then
    await expect(run).rejects.toThrow(DataError);
    await expect(validateStep(uploadInput('churn/labels.csv'), deps)).rejects.toThrow(
      /churn\/labels.csv has no column "customer_id", the entity key of feature view "customer"/,
    );
    expect(await deps.curated.list('churn/snapshots/')).toEqual([]);
  });

  it('fails clearly when the view history is over training.maxDataMiB', async () => {
    // given a cap below the two view files' size
    const { deps } = await withView({ training: { maxDataMiB: 0.002 } });
    await deps.raw.put('churn/labels.csv', labels().split('\n').slice(0, 2).join('\n'));
    // when / then
    await expect(validateStep(uploadInput('churn/labels.csv'), deps)).rejects.toThrow(
      /history of feature view "customer" under s3:\/\/curated\/features\/customer\/ is \d+ bytes in 2 file\(s\), over training.maxDataMiB of model churn/,
    );
  });

  it('refuses to run for a model with a view when the function was not given the view', async () => {
    const { deps } = await withView();
    await deps.raw.put('churn/labels.csv', labels());
    const { featureView: _view, ...withoutView } = deps;
    await expect(validateStep(uploadInput('churn/labels.csv'), withoutView)).rejects.toThrow(WorkflowConfigError);
  });

  it('joins every upload of a window run, and joins an upload again once the view history changed', async () => {
    // given two uploads of a window run
    const { deps } = await withView({ training: { data: { source: 'window', windowDays: 30 } } });
    await deps.raw.put('churn/a.csv', labels());
    await deps.raw.put('churn/b.csv', labels());
    const first = await validateStep(uploadInput('churn/b.csv'), deps);
    const manifest = JSON.parse(new TextDecoder().decode((await deps.curated.get(first.trainingInputKey))!.body));
    const other = manifest.uploads[0];
    // then the other upload's snapshot is joined too
    expect(other.source).toBe('churn/a.csv');
    expect(other.snapshotKey).toMatch(/\.csv$/);
    const otherSnapshot = parseCsv((await deps.curated.get(other.snapshotKey))!.body, { numbers: true });
    expect(otherSnapshot.columnNames).toEqual(['age', 'churned', 'spend', 'visits']);
    // when a late view row changes a past value and the next run starts
    await deps.curated.put('features/customer/late.csv', 'customer_id,event_time,spend\nc1,2026-03-09T00:00:00Z,55\n');
    const second = await validateStep(uploadInput('churn/b.csv'), deps);
    const again = JSON.parse(new TextDecoder().decode((await deps.curated.get(second.trainingInputKey))!.body));
    // then the other upload is joined with the new history, not taken from the earlier snapshot
    const rejoined = parseCsv((await deps.curated.get(again.uploads[0].snapshotKey))!.body, { numbers: true });
    expect(getColumn(rejoined, 'spend')[1]).toBe(55);
  });
});
