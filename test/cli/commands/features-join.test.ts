import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFeaturesJoin } from '../../../cli/commands/features-join';
import { main } from '../../../cli/main';
import { parseCsv } from '../../../core/data/csv';
import { getColumn } from '../../../core/data/table';
import { captureIo } from '../../support/cli-io';
import { useEmptiedLocalS3Bucket } from '../../support/local-s3-harness';

const CONFIG = {
  models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', featureView: 'customer' }],
  featureViews: [{ name: 'customer', entityKey: 'customer_id', ttlSeconds: 30 * 86400 }],
};

const V1 = 'customer_id,event_time,spend\nc1,2026-03-01,10\nc2,2026-01-01,5\n';
const V2 = 'customer_id,event_time,spend,visits\nc1,2026-03-10,20,2\n';
const LABELS =
  'customer_id,label_time,churned\nc1,2026-03-05,no\nc1,2026-03-12,yes\nc2,2026-03-12,no\nc3,2026-03-12,no\n';

/** A folder with the config, a labels file and the view's two versions (v1 older than v2). */
function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-features-'));
  const config = join(dir, 'mlops.config.json');
  writeFileSync(config, JSON.stringify(CONFIG));
  writeFileSync(join(dir, 'labels.csv'), LABELS);
  const features = join(dir, 'customer');
  mkdirSync(join(features, '_meta'), { recursive: true });
  writeFileSync(join(features, 'v1.csv'), V1);
  writeFileSync(join(features, 'v2.csv'), V2);
  writeFileSync(join(features, '_meta', 'ignored.csv'), 'not,a,view\n1,2,3\n');
  utimesSync(join(features, 'v1.csv'), new Date('2026-03-02'), new Date('2026-03-02'));
  utimesSync(join(features, 'v2.csv'), new Date('2026-03-11'), new Date('2026-03-11'));
  const args = (...extra: string[]) => [
    'features',
    'join',
    '--view',
    'customer',
    '--labels',
    join(dir, 'labels.csv'),
    '--timestamp-column',
    'label_time',
    '--features',
    features,
    '--config',
    config,
    ...extra,
  ];
  return { dir, config, features, out: join(dir, 'train.csv'), args };
}

describe('mlops features join', () => {
  it('writes the point-in-time join of the labels with every version of the view', async () => {
    // given
    const ws = workspace();
    const run = captureIo();
    // when
    const code = await main(ws.args('--out', ws.out), run.io);
    // then each label gets the newest value at or before its time; c2's value is past the 30-day TTL
    expect(code).toBe(0);
    const written = parseCsv(readFileSync(ws.out, 'utf8'));
    expect(written.columnNames).toEqual(['customer_id', 'label_time', 'churned', 'spend', 'visits']);
    expect(getColumn(written, 'spend')).toEqual(['10', '20', null, null]);
    expect(getColumn(written, 'visits')).toEqual([null, '2', null, null]);
    expect(run.out.join('')).toBe(`${ws.out}\n`);
    expect(run.err.join('')).toMatch(
      /2 view file\(s\), 3 row\(s\).*\n.*joined 4 label\(s\): 2 matched, 2 unmatched \(1 of them stale/,
    );
  });

  it('prints a small stable JSON summary with --json', async () => {
    // given
    const ws = workspace();
    const run = captureIo();
    // when
    expect(await main(ws.args('--out', ws.out, '--json'), run.io)).toBe(0);
    // then
    const summary = JSON.parse(run.out.join(''));
    expect(Object.keys(summary).sort()).toEqual(
      ['columns', 'matched', 'out', 'rows', 'stale', 'unmatched', 'view', 'viewFiles', 'viewVersions'].sort(),
    );
    expect(summary).toMatchObject({ view: 'customer', rows: 4, matched: 2, unmatched: 2, stale: 1, viewFiles: 2 });
    expect(summary.columns).toEqual(['spend', 'visits']);
    expect(summary.viewVersions).toHaveLength(2);
  });

  it('never replaces an existing --out without --force', async () => {
    // given an output that exists
    const ws = workspace();
    writeFileSync(ws.out, 'precious\n');
    const refused = captureIo();
    // when
    const code = await main(ws.args('--out', ws.out), refused.io);
    // then it is untouched, and --force replaces it
    expect(code).toBe(2);
    expect(refused.err.join('')).toMatch(/--out .*train.csv exists; pass --force to replace it/);
    expect(readFileSync(ws.out, 'utf8')).toBe('precious\n');
    expect(await main(ws.args('--out', ws.out, '--force'), captureIo().io)).toBe(0);
    expect(readFileSync(ws.out, 'utf8')).toMatch(/^customer_id,label_time,churned,spend,visits\n/);
  });

  it('names the defined views when --view is unknown', async () => {
    const ws = workspace();
    const run = captureIo();
    const args = ws.args('--out', ws.out);
    args[args.indexOf('customer')] = 'shop';
    expect(await main(args, run.io)).toBe(2);
    expect(run.err.join('')).toMatch(/unknown feature view "shop" in .*; views are: customer/);
    expect(existsSync(ws.out)).toBe(false);
  });

  it('names the labels columns when --timestamp-column is not one, and writes nothing', async () => {
    const ws = workspace();
    const run = captureIo();
    const args = ws.args('--out', ws.out);
    args[args.indexOf('label_time')] = 'labelled_at';
    expect(await main(args, run.io)).toBe(2);
    expect(run.err.join('')).toMatch(
      /labels.csv: --timestamp-column "labelled_at" not found; columns are: customer_id, label_time, churned/,
    );
    expect(existsSync(ws.out)).toBe(false);
  });

  it('refuses a Parquet --out before reading anything', async () => {
    const ws = workspace();
    const run = captureIo();
    expect(await main(ws.args('--out', join(ws.dir, 'train.parquet')), run.io)).toBe(2);
    expect(run.err.join('')).toMatch(/write a .csv file/);
  });
});

describe('mlops features join over the curated zone (local S3, real SDK)', () => {
  const curated = useEmptiedLocalS3Bucket('curated');

  it('reads every file under features/<view>/ but _meta/, and the join leaks no later value', async () => {
    // given the two versions uploaded in order, and a platform record under _meta/
    const ws = workspace();
    await curated().put('features/customer/v1.csv', V1);
    await curated().put('features/customer/_meta/versions/x.json', '{}');
    await curated().put('features/customer/v2.csv', V2);
    const log: string[] = [];
    // when
    const summary = await runFeaturesJoin(
      {
        view: 'customer',
        labels: join(ws.dir, 'labels.csv'),
        timestampColumn: 'label_time',
        out: ws.out,
        config: ws.config,
      },
      { curated, log: (line) => log.push(line) },
    );
    // then
    expect(summary).toMatchObject({ rows: 4, matched: 2, viewFiles: 2 });
    expect(getColumn(parseCsv(readFileSync(ws.out, 'utf8')), 'spend')).toEqual(['10', '20', null, null]);
    expect(log[0]).toBe('reading feature view "customer" from s3://curated/features/customer/');
  });
});
