import { featureViewSchema } from '../../../core/config/feature-view-schema';
import { parseConfig } from '../../../core/config/parse';
import { consoleFeatureViews, readFeatureViewSummary, summarizeVersions } from '../../../core/console/feature-views';
import type { ViewVersionRecord } from '../../../core/feature-views/versions';
import { MemoryObjectStore } from '../../../core/storage/memory-store';

const record = (version: string, columns: string[], at: string, previousVersion?: string): ViewVersionRecord => ({
  view: 'customer',
  version,
  columns,
  firstSeenKey: `features/customer/${version}.csv`,
  firstSeenAt: at,
  ...(previousVersion ? { previousVersion } : {}),
  schemaFindings: [],
});

describe('the console feature views', () => {
  it('names the models that read each view', () => {
    const config = parseConfig(
      {
        models: [
          { name: 'churn', target: 'churned', positiveLabel: 'yes', featureView: 'customer' },
          { name: 'ltv', target: 'value' },
        ],
        featureViews: [
          { name: 'customer', entityKey: 'customer_id' },
          { name: 'account', entityKey: 'account_id' },
        ],
      },
      'test',
    );
    expect(consoleFeatureViews(config).map((view) => [view.config.name, view.models])).toEqual([
      ['customer', ['churn']],
      ['account', []],
    ]);
  });

  it('lists versions newest first with the columns each added and removed, a tie in time by the chain', () => {
    const versions = summarizeVersions([
      record('bbb', ['spend', 'visits'], '2026-03-01T00:00:00.000Z', 'zzz'),
      record('zzz', ['spend'], '2026-03-01T00:00:00.000Z'),
      record('ccc', ['visits', 'tenure'], '2026-03-02T00:00:00.000Z', 'bbb'),
    ]);
    expect(versions.map((version) => [version.version, version.added, version.removed])).toEqual([
      ['ccc', ['tenure'], ['spend']],
      ['bbb', ['visits'], []],
      ['zzz', [], []],
    ]);
  });

  it("reads a view's versions and counts its data files, never its _meta records", async () => {
    const curated = new MemoryObjectStore('curated', () => new Date('2026-03-05T00:00:00Z'));
    await curated.put('features/customer/a.csv', 'customer_id,event_time,spend\nc1,2026-03-01,1\n');
    await curated.put('features/customer/b.parquet', 'not read');
    await curated.put('features/customer/notes.md', 'not data');
    await curated.put(
      'features/customer/_meta/versions/zzz.json',
      JSON.stringify(record('zzz', ['spend'], '2026-03-01T00:00:00.000Z')),
    );
    await curated.put('features/customer/_meta/versions/broken.json', '{');
    const view = { config: featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id' }), models: ['churn'] };
    const summary = await readFeatureViewSummary(curated, view);
    expect(summary).toMatchObject({
      name: 'customer',
      models: ['churn'],
      versionCount: 1,
      files: 2,
      filesCapped: false,
      newestFileAt: '2026-03-05T00:00:00.000Z',
    });
    expect(summary.versions.map((version) => version.version)).toEqual(['zzz']);
    // without a curated store, the definition alone
    expect(await readFeatureViewSummary(undefined, view)).toMatchObject({ versions: [], files: 0, newestFileAt: null });
  });
});
