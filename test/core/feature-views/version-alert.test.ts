import { parseCsv } from '../../../core/data/csv';
import {
  type AnnounceOutcome,
  announceNewVersion,
  type ViewVersionAlert,
  viewVersionAlert,
} from '../../../core/feature-views/version-alert';
import { newVersionRecord, type ViewVersionRecord, viewVersionId } from '../../../core/feature-views/versions';

const FILE = 's3://curated/features/customer/2026-03-05.csv';

/** A version record as the materializer writes it: `columns` after a previous version of `previousColumns`. */
function recordOf(previousColumns: readonly string[] | undefined, columns: readonly string[]): ViewVersionRecord {
  const header = ['customer_id', 'event_time', ...columns];
  const rows = [1.5, 2.25, 3.75].map((value, i) => `${i},2026-03-05,${columns.map(() => value).join(',')}`);
  const table = parseCsv(`${header.join(',')}\n${rows.join('\n')}\n`, { numbers: true });
  const previous = previousColumns
    ? newVersionRecord({
        view: 'customer',
        key: 'features/customer/a.csv',
        table,
        featureColumns: previousColumns,
        previous: undefined,
        now: new Date('2026-03-01T00:00:00Z'),
      })
    : undefined;
  return newVersionRecord({
    view: 'customer',
    key: 'features/customer/2026-03-05.csv',
    table,
    featureColumns: columns,
    previous,
    now: new Date('2026-03-05T00:00:00Z'),
  });
}

describe('viewVersionAlert', () => {
  test('a new column: the subject counts it; the body names view, versions, file, the finding and what to do', () => {
    const record = recordOf(['spend'], ['spend', 'tenure']);
    const alert = viewVersionAlert({
      view: 'customer',
      version: record.version,
      previousVersion: record.previousVersion,
      file: FILE,
      schemaFindings: record.schemaFindings,
    });
    expect(alert.subject).toBe('Schema change in feature view customer: 1 new column(s)');
    expect(alert.message).toBe(
      [
        `Feature view customer has a new version ${viewVersionId(['spend', 'tenure'])} (previous version ${viewVersionId(['spend'])}), first carried by ${FILE}.`,
        'New columns: tenure. Removed columns: none.',
        '',
        'Schema findings:',
        '  - [warning] new numeric column "tenure" carried by 100.0% of rows',
        '',
        'What to do:',
        '  - Models reading this view are unaffected until retrained: serving reads only the features a model was trained on. To use the new column(s), retrain the model (its training joins the view).',
        '',
        `Version record: features/customer/_meta/versions/${viewVersionId(['spend', 'tenure'])}.json in the curated zone.`,
        '',
      ].join('\n'),
    );
  });

  test('a removed column is counted, listed as a high finding and says how a model trained on it is served', () => {
    const record = recordOf(['spend', 'tenure'], ['spend', 'plan']);
    const alert = viewVersionAlert({
      view: 'customer',
      version: record.version,
      file: FILE,
      schemaFindings: record.schemaFindings,
    });
    expect(alert.subject).toBe('Schema change in feature view customer: 1 new, 1 removed column(s)');
    expect(alert.message).toContain('(previous version none)');
    expect(alert.message).toContain('New columns: plan. Removed columns: tenure.');
    expect(alert.message).toContain('  - [high] feature "tenure" is missing from the current data');
    expect(alert.message).toContain('gets it as missing (imputed)');
  });

  test('the subject stays under 100 characters for the longest view name', () => {
    const alert = viewVersionAlert({
      view: 'v'.repeat(40),
      version: 'abc',
      file: FILE,
      schemaFindings: recordOf(
        ['a'],
        Array.from({ length: 12 }, (_, i) => `c${i}`),
      ).schemaFindings,
    });
    expect(alert.subject.length).toBeLessThan(100);
  });
});

describe('announceNewVersion', () => {
  function announcer(publish: (alert: ViewVersionAlert) => Promise<unknown>) {
    const published: ViewVersionAlert[] = [];
    const counted: Array<[string, number]> = [];
    const logged: Array<{ level: string; message: string; details?: Record<string, unknown> }> = [];
    return {
      published,
      counted,
      logged,
      announcer: {
        publish: async (alert: ViewVersionAlert) => {
          published.push(alert);
          return publish(alert);
        },
        countFindings: (view: string, findings: number) => counted.push([view, findings]),
        log: (level: 'info' | 'warn', message: string, details?: Record<string, unknown>) =>
          logged.push({ level, message, details }),
      },
    };
  }

  test('a version with findings is published once and counted once, the message id logged', async () => {
    const given = announcer(async () => 'msg-1');
    const outcome: AnnounceOutcome = await announceNewVersion(
      recordOf(['spend'], ['spend', 'tenure']),
      FILE,
      given.announcer,
    );
    expect(outcome).toBe('published');
    expect(given.published.map((alert) => alert.subject)).toEqual([
      'Schema change in feature view customer: 1 new column(s)',
    ]);
    expect(given.counted).toEqual([['customer', 1]]);
    expect(given.logged).toEqual([
      expect.objectContaining({ level: 'info', details: expect.objectContaining({ messageId: 'msg-1' }) }),
    ]);
  });

  test("a view's first version (no findings) is neither published nor counted", async () => {
    const given = announcer(async () => 'msg-1');
    expect(await announceNewVersion(recordOf(undefined, ['spend']), FILE, given.announcer)).toBe('no-findings');
    expect(given.published).toEqual([]);
    expect(given.counted).toEqual([]);
  });

  test('a publish that fails is logged as a warning and does not throw', async () => {
    const given = announcer(async () => {
      throw new Error('AuthorizationError: not allowed to publish');
    });
    const outcome = await announceNewVersion(recordOf(['spend'], ['spend', 'tenure']), FILE, given.announcer);
    expect(outcome).toBe('failed');
    expect(given.logged).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'feature view alert not published; the version record stands',
        details: expect.objectContaining({ error: 'AuthorizationError: not allowed to publish' }),
      }),
    ]);
  });
});
