/**
 * A feature view end to end on the local platform (issue 15): view files uploaded with the AWS CLI
 * under features/customer/ of the curated zone are materialized into the online store (dynalite,
 * through the synthesized upload rule and the materializer function), and curl requests that hold
 * only customer_id score exactly as requests that send every feature. Also: request values win,
 * an unknown entity is imputed with a warning, a value past the view's TTL is not used, a re-run of
 * `mlops features materialize` writes nothing, an older file uploaded after a newer one changes
 * nothing, a new column is a new view version with a schema finding, and `mlops features join`
 * reads the same history at each label's time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCsv } from '../../core/data/csv';
import { getColumn } from '../../core/data/table';
import { viewVersionsPrefix } from '../../core/feature-views/versions';
import { settleRuns, startTestPlatform, type TestPlatform } from '../support/local-platform';
import { requireTool, TOOLS } from '../support/tools';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const AWS_CLI = requireTool(TOOLS.aws, 'the feature-views end-to-end test') ?? '';
const CURL = requireTool(TOOLS.curl, 'the feature-views end-to-end test') ?? '';
const describeWithTools = AWS_CLI && CURL ? describe : describe.skip;

const DAY_MS = 86_400_000;
const TTL_DAYS = 7;

let platform: TestPlatform;
let work: string;
/** The built-in v1 rows by customer id, as the request JSON a caller would send (all features). */
let fullInstances: Map<string, Record<string, string | number>>;
let viewColumns: string[];

interface Prediction {
  score: number;
  from_store: string[];
}

async function predict(instances: readonly Record<string, unknown>[]): Promise<{
  predictions: Prediction[];
  warnings: string[];
}> {
  const { stdout } = await run(CURL, [
    '-sS',
    '--max-time',
    '30',
    '-X',
    'POST',
    `${platform.platform.info.httpUrl}/churn/predict`,
    '-H',
    'content-type: application/json',
    '-d',
    JSON.stringify({ instances }),
  ]);
  const body = JSON.parse(stdout);
  if (!Array.isArray(body.predictions)) throw new Error(`POST /churn/predict answered ${stdout.slice(0, 500)}`);
  return body;
}

async function mlops(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/mlops.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, MLOPS_LOCAL_DIR: platform.dataDir },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function aws(...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', platform.platform.info.s3Endpoint, ...args], { env });
  return stdout;
}

/** Uploads a view file with the AWS CLI and waits until the platform has handled the upload. */
async function uploadViewFile(name: string, text: string): Promise<void> {
  const file = join(work, name);
  writeFileSync(file, text);
  await aws('s3', 'cp', file, `s3://${platform.platform.info.buckets.curated}/features/customer/${name}`);
  await settleRuns(platform.platform, 500);
}

/** Waits until a key-only request of this customer gets a value from the store (materialization is asynchronous). */
async function waitForStore(customerId: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const { predictions } = await predict([{ customer_id: customerId }]);
    if (predictions[0]!.from_store.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`customer ${customerId} never reached the online store`);
}

function isoDaysAgo(days: number): string {
  return new Date(Date.now() - days * DAY_MS).toISOString();
}

/** A view file of these customers' built-in rows (with overrides), true at `eventTime`. */
function viewCsv(
  customerIds: readonly string[],
  eventTime: string,
  override: Record<string, string | number> = {},
  extraColumn?: string,
): string {
  const columns = ['customer_id', 'event_time', ...viewColumns, ...(extraColumn ? [extraColumn] : [])];
  const lines = customerIds.map((id) => {
    const instance = { ...fullInstances.get(id), ...override };
    return [id, eventTime, ...viewColumns.map((column) => instance[column] ?? ''), ...(extraColumn ? ['1'] : [])].join(
      ',',
    );
  });
  return `${[columns.join(','), ...lines].join('\n')}\n`;
}

describeWithTools('a feature view on the local platform', () => {
  beforeAll(async () => {
    platform = await startTestPlatform({
      project: 'fv-e2e',
      batchingWindowMs: 200,
      model: { featureView: 'customer' },
      featureViews: [{ name: 'customer', entityKey: 'customer_id', ttlSeconds: TTL_DAYS * 86_400 }],
    });
    work = mkdtempSync(join(tmpdir(), 'mlops-fv-e2e-'));
    const table = parseCsv(readFileSync(platform.platform.info.builtInData.v1Path, 'utf8'));
    viewColumns = table.columnNames.filter((name) => name !== 'customer_id' && name !== 'churned');
    fullInstances = new Map();
    const ids = getColumn(table, 'customer_id');
    for (let row = 0; row < 200; row++) {
      const instance: Record<string, string | number> = {};
      for (const column of viewColumns) {
        const cell = getColumn(table, column)[row];
        if (cell !== null && cell !== undefined) instance[column] = typeof cell === 'boolean' ? String(cell) : cell;
      }
      fullInstances.set(String(ids[row]), instance);
    }
    // The model trains on the built-in upload, which holds every view column (nothing to join).
    await aws(
      's3',
      'cp',
      platform.platform.info.builtInData.v1Path,
      `s3://${platform.platform.info.buckets.raw}/churn/`,
    );
    await settleRuns(platform.platform, 500);
    const runs = JSON.parse(await mlops('runs', 'churn', '--json')) as Array<{ outcome: string }>;
    if (runs[0]?.outcome !== 'succeeded') throw new Error(`the first run did not succeed: ${JSON.stringify(runs)}`);
    await uploadViewFile('customers-1.csv', viewCsv([...fullInstances.keys()], isoDaysAgo(1)));
    await waitForStore([...fullInstances.keys()][0]!);
  }, 240_000);

  afterAll(async () => {
    platform?.client.destroy();
    await platform?.platform.close();
  });

  test('requests with only the entity key score exactly as requests with every feature', async () => {
    const ids = [...fullInstances.keys()].slice(0, 50);
    const byKey = await predict(ids.map((id) => ({ customer_id: id })));
    const full = await predict(ids.map((id) => fullInstances.get(id)!));
    expect(byKey.predictions.map((p) => p.score)).toEqual(full.predictions.map((p) => p.score));
    // Every feature the caller would have sent came from the store (a missing cell stays missing).
    byKey.predictions.forEach((prediction, i) => {
      expect([...prediction.from_store].sort()).toEqual(Object.keys(fullInstances.get(ids[i]!)!).sort());
    });
    for (const prediction of full.predictions) expect(prediction.from_store).toEqual([]);
    // The same missing cells, imputed alike (the full rows also hear that they carry no key to look them up by).
    expect(byKey.warnings).toEqual(full.warnings.filter((warning) => !warning.includes('without the entity key')));
  });

  test('a value in the request wins over the store', async () => {
    const id = [...fullInstances.keys()][1]!;
    const withAge = await predict([{ customer_id: id, age: 81 }]);
    const full = await predict([{ ...fullInstances.get(id), age: 81 }]);
    expect(withAge.predictions[0]!.score).toBe(full.predictions[0]!.score);
    expect(withAge.predictions[0]!.from_store).not.toContain('age');
  });

  test('an unknown entity is imputed with a warning naming it', async () => {
    const { predictions, warnings } = await predict([{ customer_id: 'NO-SUCH-CUSTOMER' }]);
    expect(predictions[0]!.from_store).toEqual([]);
    expect(warnings.join('\n')).toContain('not in the online store, features imputed: "NO-SUCH-CUSTOMER"');
  });

  test('re-running materialization writes nothing; an older file after a newer one changes nothing', async () => {
    const summary = JSON.parse(await mlops('features', 'materialize', 'customer', '--json'));
    expect(summary).toMatchObject({ view: 'customer', files: 1, written: 0, skipped: fullInstances.size });

    const id = [...fullInstances.keys()][2]!;
    const before = (await predict([{ customer_id: id }])).predictions[0]!.score;
    // Newer values of one customer: served once materialized.
    await uploadViewFile('customers-2.csv', viewCsv([id], isoDaysAgo(0.5), { support_contacts: 9, plan: 'basic' }));
    const expected = (await predict([{ ...fullInstances.get(id), support_contacts: 9, plan: 'basic' }])).predictions[0]!
      .score;
    for (let attempt = 0; attempt < 120; attempt++) {
      if ((await predict([{ customer_id: id }])).predictions[0]!.score === expected) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await predict([{ customer_id: id }])).predictions[0]!.score).toBe(expected);
    expect(expected).not.toBe(before);
    // Older values uploaded later: the compare-and-swap on event time keeps the newer row.
    await uploadViewFile('customers-0.csv', viewCsv([id], isoDaysAgo(3), { support_contacts: 0 }));
    const again = JSON.parse(await mlops('features', 'materialize', 'customer', '--json'));
    expect(again.written).toBe(0);
    expect((await predict([{ customer_id: id }])).predictions[0]!.score).toBe(expected);
  });

  test('a stored value older than the TTL is not used', async () => {
    const [first] = fullInstances.values();
    await uploadViewFile('stale.csv', viewCsv(['STALE-1'], isoDaysAgo(TTL_DAYS + 3), first));
    const summary = JSON.parse(await mlops('features', 'materialize', 'customer', '--json'));
    expect(summary.written).toBe(0); // the upload itself already materialized it
    const { predictions, warnings } = await predict([{ customer_id: 'STALE-1' }]);
    expect(predictions[0]!.from_store).toEqual([]);
    expect(warnings.join('\n')).toContain(`older than ttlSeconds ${TTL_DAYS * 86_400}`);
  });

  test('a view file with a new column is a new view version with a schema finding, the old one kept', async () => {
    const id = [...fullInstances.keys()][3]!;
    await uploadViewFile('customers-3.csv', viewCsv([id], isoDaysAgo(0.2), {}, 'loyalty_points'));
    const listing = await aws(
      's3',
      'ls',
      `s3://${platform.platform.info.buckets.curated}/${viewVersionsPrefix('customer')}`,
    );
    const keys = listing
      .split('\n')
      .map((line) => line.trim().split(/\s+/).pop())
      .filter((name): name is string => Boolean(name?.endsWith('.json')));
    expect(keys).toHaveLength(2);
    const records = await Promise.all(
      keys.map(async (name) =>
        JSON.parse(
          await aws(
            's3',
            'cp',
            `s3://${platform.platform.info.buckets.curated}/${viewVersionsPrefix('customer')}${name}`,
            '-',
          ),
        ),
      ),
    );
    const newer = records.find((record) => record.columns.includes('loyalty_points'));
    expect(newer.firstSeenKey).toBe('features/customer/customers-3.csv');
    expect(JSON.stringify(newer.schemaFindings)).toContain('loyalty_points');
    // The model does not know the new column: a key-only request still scores, from the store.
    const { predictions } = await predict([{ customer_id: id }]);
    expect(predictions[0]!.from_store.length).toBeGreaterThan(0);
  });

  test('mlops features join reads the same history at each label time, never after it', async () => {
    const id = [...fullInstances.keys()][2]!;
    const labels = join(work, 'labels.csv');
    // Before customers-2 (0.5 days ago) the customer had the built-in values; after it, 9 support contacts.
    writeFileSync(
      labels,
      `customer_id,label_time,churned\n${id},${isoDaysAgo(0.75)},no\n${id},${isoDaysAgo(0.1)},yes\n`,
    );
    const out = join(work, 'joined.csv');
    const summary = JSON.parse(
      await mlops(
        'features',
        'join',
        '--view',
        'customer',
        '--labels',
        labels,
        '--timestamp-column',
        'label_time',
        '--out',
        out,
        '--json',
      ),
    );
    expect(summary).toMatchObject({ rows: 2, matched: 2 });
    const joined = parseCsv(readFileSync(out, 'utf8'));
    expect(getColumn(joined, 'support_contacts').map(Number)).toEqual([
      Number(fullInstances.get(id)!.support_contacts),
      9,
    ]);
  });

  test('mlops local info names the DynamoDB endpoint and the table', async () => {
    const info = JSON.parse(await mlops('local', 'info', '--json'));
    expect(info.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(typeof info.featureTable).toBe('string');
    // the console's URL, never its session token
    expect(info.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
  });
});
