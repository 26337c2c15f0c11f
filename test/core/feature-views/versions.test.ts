import { tableFromRecords } from '../../../core/data/table';
import { schemaFindingSchema } from '../../../core/drift/report';
import {
  newestVersion,
  newVersionRecord,
  type ViewVersionRecord,
  viewSchemaFindings,
  viewVersionId,
  viewVersionKey,
} from '../../../core/feature-views/versions';

describe('viewVersionId', () => {
  test('depends on the column names, not their order', () => {
    expect(viewVersionId(['b', 'a'])).toBe(viewVersionId(['a', 'b']));
    expect(viewVersionId(['a', 'b'])).not.toBe(viewVersionId(['a', 'b', 'c']));
    expect(viewVersionId(['a', 'b'])).toMatch(/^[0-9a-f]{12}$/);
  });

  test('keeps names with separators apart', () => {
    expect(viewVersionId(['a,b'])).not.toBe(viewVersionId(['a', 'b']));
  });

  test("the record lives under the view's _meta/versions/", () => {
    expect(viewVersionKey('customer', 'abc')).toBe('features/customer/_meta/versions/abc.json');
  });
});

describe('viewSchemaFindings', () => {
  test('a new column and a removed one are schema findings in the drift report format', () => {
    const table = tableFromRecords([
      { id: 1, spend: 3, segment: 'smb' },
      { id: 2, spend: 4, segment: null },
    ]);
    const findings = viewSchemaFindings(['spend', 'plan'], table, ['spend', 'segment']);
    expect(findings).toEqual([
      {
        kind: 'missingColumn',
        column: 'plan',
        severity: 'high',
        message: 'feature "plan" is missing from the current data',
      },
      {
        kind: 'newColumn',
        column: 'segment',
        severity: 'warning',
        message: 'new categorical column "segment" carried by 50.0% of rows',
      },
    ]);
    for (const finding of findings) expect(schemaFindingSchema.parse(finding)).toEqual(finding);
  });
});

describe('newVersionRecord', () => {
  const table = tableFromRecords([{ spend: 1, tenure: 2 }]);
  const now = new Date('2026-03-01T00:00:00Z');

  test('the first version has no previous version and no findings', () => {
    const record = newVersionRecord({
      view: 'v',
      key: 'k',
      table,
      featureColumns: ['tenure', 'spend'],
      previous: undefined,
      now,
    });
    expect(record).toEqual({
      view: 'v',
      version: viewVersionId(['spend', 'tenure']),
      columns: ['spend', 'tenure'],
      firstSeenKey: 'k',
      firstSeenAt: '2026-03-01T00:00:00.000Z',
      schemaFindings: [],
    });
  });

  test('a later version names the previous one and the columns that changed', () => {
    const previous: ViewVersionRecord = {
      view: 'v',
      version: 'old',
      columns: ['spend'],
      firstSeenKey: 'a',
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      schemaFindings: [],
    };
    const record = newVersionRecord({ view: 'v', key: 'k', table, featureColumns: ['spend', 'tenure'], previous, now });
    expect(record.previousVersion).toBe('old');
    expect(record.schemaFindings.map((finding) => [finding.kind, finding.column])).toEqual([['newColumn', 'tenure']]);
  });
});

describe('newestVersion', () => {
  test('the record first seen last', () => {
    const record = (version: string, firstSeenAt: string): ViewVersionRecord => ({
      view: 'v',
      version,
      columns: [],
      firstSeenKey: 'k',
      firstSeenAt,
      schemaFindings: [],
    });
    expect(
      newestVersion([record('a', '2026-01-02'), record('b', '2026-01-03'), record('c', '2026-01-01')])?.version,
    ).toBe('b');
    expect(newestVersion([])).toBeUndefined();
  });
});
