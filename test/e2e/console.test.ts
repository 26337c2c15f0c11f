/**
 * The console in a real browser (Chromium through playwright-core) against the local platform:
 * each page renders with no console errors and requests nothing beyond its own origin; promote
 * and roll back through the page move production, and the endpoint serves the version they chose;
 * writes without the session token, or from another origin or Host, are refused. Screenshots of
 * each page go to CONSOLE_SHOTS (default /work/wt/console-shots when it exists, else a temp dir).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Browser, chromium, type Page } from 'playwright-core';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { churnCsv, generateChurn } from '../../core/datasets/churn';
import { ModelRegistry } from '../../core/registry/registry';
import type { Platform } from '../../local/platform';
import { settleRuns, startTestPlatform } from '../support/local-platform';
import { requireTool, TOOLS } from '../support/tools';

const CHROMIUM = requireTool(TOOLS.chromium, 'the console browser test') ?? '';
const describeWithChromium = CHROMIUM ? describe : describe.skip;
/** Screenshots of each page, for a person to review: CONSOLE_SHOTS=<dir>, else a temporary folder. */
const SHOTS = process.env.CONSOLE_SHOTS ?? mkdtempSync(join(tmpdir(), 'console-shots-'));

let dataDir: string;
let platform: Platform;
let client: S3Client;
let browser: Browser;
let consoleUrl: string;
let origin: string;
let token: string;

beforeAll(async () => {
  if (!CHROMIUM) return;
  mkdirSync(SHOTS, { recursive: true });
  ({ platform, client, dataDir } = await startTestPlatform({
    project: 'console',
    batchingWindowMs: 300,
    // Every request captured, so one request gives the drift check its rows.
    model: { retrain: { onDrift: false }, endpoint: { captureSampleRate: 1 } },
    featureViews: [{ name: 'customer', entityKey: 'customer_id', ttlSeconds: 86_400 }],
  }));
  consoleUrl = platform.consoleUrl!;
  origin = new URL(consoleUrl).origin;
  token = new URL(consoleUrl).hash.replace('#token=', '');
  await client.send(
    new PutObjectCommand({
      Bucket: platform.info.buckets.raw,
      Key: 'churn/v1.csv',
      Body: churnCsv({ rows: 400, seed: 1 }),
    }),
  );
  await settleRuns(platform);
  // Two files of a feature view, the second with a new column: two view versions to show.
  for (const [name, body] of [
    ['customers-1.csv', 'customer_id,event_time,spend\nc1,2026-03-01,10\nc2,2026-03-01,5\n'],
    ['customers-2.csv', 'customer_id,event_time,spend,visits\nc1,2026-03-10,20,2\n'],
  ]) {
    await client.send(
      new PutObjectCommand({ Bucket: platform.info.buckets.curated, Key: `features/customer/${name}`, Body: body }),
    );
    await platform.idle();
  }
  // A second version to promote: v1's own artifact registered again, as `mlops register` would leave it (pending).
  const registry = new ModelRegistry({
    store: new S3ObjectStore(client, platform.info.buckets.artifacts),
  });
  const v1 = (await registry.getVersion('churn', 1))!;
  await registry.register({
    model: 'churn',
    artifact: (await registry.getArtifact('churn', 1))!,
    lineage: { ...v1.lineage, runId: 'second-registration' },
  });
  // Traffic with shifted values, then a drift check, so the drift page has a report and a trend.
  const table = generateChurn({ rows: 200, seed: 7, batch: 'v2' });
  const instances = Array.from({ length: 200 }, (_, row) =>
    Object.fromEntries(
      table.columnNames
        .map((name, c) => [name, table.columns[c]![row]] as const)
        .filter(
          ([name, value]) => name !== 'customer_id' && name !== 'churned' && value !== null && value !== undefined,
        ),
    ),
  );
  const predicted = await fetch(`${platform.info.httpUrl}/churn/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances }),
  });
  if (predicted.status !== 200) throw new Error(`predict answered ${predicted.status}: ${await predicted.text()}`);
  // Captures land a moment after the response: check until the monitor has the rows.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const summary = (await platform.runDrift('churn')) as { status?: string; rows?: number };
    if (summary.status === 'checked' && (summary.rows ?? 0) >= 200) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  client?.destroy();
  await platform?.close();
  if (dataDir && !process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });
});

interface Opened {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

async function open(hash: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (req) => requests.push(req.url()));
  // The token first (as a person opens the printed URL), then the page under test.
  await page.goto(consoleUrl, { waitUntil: 'load' });
  await page.locator('main h1').waitFor();
  if (hash !== '#/') await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  return { page, errors, requests };
}

async function servedVersion(): Promise<number> {
  const response = await fetch(`${platform.info.httpUrl}/churn/`);
  return ((await response.json()) as { model: { version: number } }).model.version;
}

async function waitForServed(version: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await servedVersion()) === version) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await servedVersion()).toBe(version);
}

function expectCleanPage(opened: Opened): void {
  expect(opened.errors).toEqual([]);
  expect(opened.requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
}

describeWithChromium('the console in Chromium', () => {
  it('lists the models with production, last run, drift status and data freshness', async () => {
    const opened = await open('#/');
    const { page } = opened;
    const row = page.locator('table').first().locator('tbody tr', { hasText: 'churn' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/v1.*succeeded.*trigger upload/s);
    await page.screenshot({ path: join(SHOTS, '1-models.png'), fullPage: true });
    expectCleanPage(opened);
    await page.close();
  });

  it('shows each feature view with its versions, their column changes and its files', async () => {
    const opened = await open('#/');
    const { page } = opened;
    const section = page.locator('section', { hasText: 'View customer' });
    await section.waitFor();
    // Materialization is asynchronous: reload until both versions are recorded.
    for (let attempt = 0; attempt < 40 && !(await section.textContent())?.includes('2 version(s)'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await page.reload();
      await section.waitFor();
    }
    const text = (await section.textContent()) ?? '';
    expect(text).toContain('Keyed by customer_id, event time event_time');
    expect(text).toContain('TTL 86400 s');
    expect(text).toContain('2 data file(s) under features/customer/');
    expect(text).toContain('2 version(s)');
    const rows = section.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    // newest first: the version that added visits, then the first one
    await expect(rows.nth(0).textContent()).resolves.toMatch(/features\/customer\/customers-2\.csv.*2visits–/s);
    await expect(rows.nth(1).textContent()).resolves.toMatch(/features\/customer\/customers-1\.csv1––/s);
    await page.screenshot({ path: join(SHOTS, '9-feature-views.png'), fullPage: true });
    expectCleanPage(opened);
    await page.close();
  });

  it('shows the versions, the metric chart and the production history of a model', async () => {
    const opened = await open('#/m/churn');
    const { page } = opened;
    await page.locator('text=Metrics across versions').waitFor();
    await page.locator('.uplot').first().waitFor();
    await expect(page.locator('#versions tbody tr').count()).resolves.toBe(2);
    await page.screenshot({ path: join(SHOTS, '2-model.png'), fullPage: true });
    expectCleanPage(opened);
    await page.close();
  });

  it('lists runs and shows one run with its step timeline and gate decision', async () => {
    const opened = await open('#/m/churn/runs');
    const { page } = opened;
    await page.locator('tbody tr').first().waitFor();
    await page.screenshot({ path: join(SHOTS, '3-runs.png'), fullPage: true });
    await page.locator('tbody tr a').first().click();
    await page.locator('text=Gate decision').waitFor();
    await expect(page.locator('.timeline .row').count()).resolves.toBeGreaterThanOrEqual(3);
    await expect(page.locator('main').textContent()).resolves.toMatch(/candidate \d\.\d{4}/);
    await page.screenshot({ path: join(SHOTS, '4-run.png'), fullPage: true });
    expectCleanPage(opened);
    await page.close();
  });

  it('shows the drift trend and opens a drift report in place', async () => {
    const opened = await open('#/m/churn/drift');
    const { page } = opened;
    await page.locator('.uplot').first().waitFor();
    await page.screenshot({ path: join(SHOTS, '5-drift.png'), fullPage: true });
    await page.locator('a', { hasText: 'drift report' }).first().click();
    const frame = page.frameLocator('iframe.report');
    await frame.getByRole('heading', { name: /drift report/i }).waitFor();
    await page.locator('iframe.report').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, '6-drift-report.png') });
    expectCleanPage(opened);
    await page.close();
  });

  it('promotes and rolls back through the page, and the endpoint serves what they chose', async () => {
    // given v1 in production and v2 registered
    expect(await servedVersion()).toBe(1);
    const opened = await open('#/m/churn');
    const { page } = opened;
    // when promoting v2 with a reason
    await page.getByRole('button', { name: 'Promote version 2 to production' }).click();
    await page.getByLabel('Reason (required, kept in the history)').fill('canary looked good');
    await page.screenshot({ path: join(SHOTS, '7-confirm-promote.png') });
    await page.getByRole('button', { name: 'Confirm' }).click();
    // then the endpoint serves v2, and the history keeps the reason and the console as actor
    await waitForServed(2);
    await page.locator('.alias-timeline li', { hasText: 'canary looked good' }).waitFor();
    // when rolling back (the dialog refuses an empty reason first)
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect(page.locator('#confirm-error').textContent()).resolves.toMatch(/reason/);
    await page.getByLabel('Reason (required, kept in the history)').fill('latency regression');
    await page.getByRole('button', { name: 'Confirm' }).click();
    // then v1 serves again
    await waitForServed(1);
    await page.locator('.alias-timeline li', { hasText: 'latency regression' }).waitFor();
    await page.screenshot({ path: join(SHOTS, '8-after-rollback.png'), fullPage: true });
    const history = (await (await fetch(`${origin}/ui/api/models/churn/history`)).json()) as {
      items: Array<{ kind: string; actor: string; reason: string }>;
    };
    expect(history.items.slice(0, 2).map((m) => [m.kind, m.actor, m.reason])).toEqual([
      ['rollback', 'console', 'latency regression'],
      ['promote', 'console', 'canary looked good'],
    ]);
    expectCleanPage(opened);
    await page.close();
  });
});

/** A raw request, so the test can set Host and Origin as a hostile page or a rebinding DNS would. */
function post(path: string, headers: Record<string, string>, body: unknown): Promise<number> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describeWithChromium('the console refuses writes it cannot trust', () => {
  const promote = { version: 2, reason: 'should never happen' };
  const json = { 'content-type': 'application/json' };

  it('refuses an action without the session token', async () => {
    expect(await post('/ui/api/models/churn/promote', json, promote)).toBe(403);
  });

  it('refuses an action from another origin, even with the token', async () => {
    const headers = { ...json, 'x-console-token': token, origin: 'http://evil.example' };
    expect(await post('/ui/api/models/churn/promote', headers, promote)).toBe(403);
    expect(
      await post(
        '/ui/api/models/churn/promote',
        { ...json, 'x-console-token': token, 'sec-fetch-site': 'cross-site' },
        promote,
      ),
    ).toBe(403);
  });

  it('refuses a request that names a non-loopback Host (DNS rebinding)', async () => {
    const headers = { ...json, 'x-console-token': token, host: 'attacker.example' };
    expect(await post('/ui/api/models/churn/promote', headers, promote)).toBe(403);
    expect(await servedVersion()).toBe(1);
  });

  it('accepts the token from its own origin, with a reason', async () => {
    const headers = { ...json, 'x-console-token': token, origin };
    expect(await post('/ui/api/models/churn/promote', headers, { version: 1, reason: '' })).toBe(400);
    expect(await post('/ui/api/models/churn/promote', headers, { version: 1, reason: 'already there' })).toBe(200);
  });
});

describeWithChromium('mlops ui', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGINT');
  });

  it('serves the console on a loopback port of its own with a token of its own', async () => {
    // given `mlops ui` started against the running local platform
    child = spawn(process.execPath, [join(__dirname, '../../bin/mlops.js'), 'ui', '--port', '0'], {
      env: { ...process.env, MLOPS_LOCAL_DIR: dataDir, MLOPS_ARTIFACTS_BUCKET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /console \(local platform\): (\S+)/.exec(out);
        if (found) resolve(found[1]!);
      });
      child!.once('exit', (code) => reject(new Error(`mlops ui exited with ${code}: ${out}`)));
    });
    const uiOrigin = new URL(url).origin;
    const uiToken = new URL(url).hash.replace('#token=', '');
    // then it lists the platform's models, and its own token (not the platform's) allows an action
    expect(uiOrigin.startsWith('http://127.0.0.1:')).toBe(true);
    expect(uiToken).not.toBe(token);
    const models = (await (await fetch(`${uiOrigin}/ui/api/models`)).json()) as { models: Array<{ name: string }> };
    expect(models.models.map((m) => m.name)).toEqual(['churn']);
    const headers = { 'content-type': 'application/json', 'x-console-token': token };
    const refused = await fetch(`${uiOrigin}/ui/api/models/churn/promote`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ version: 1, reason: 'the platform token is not this one' }),
    });
    expect(refused.status).toBe(403);
    const accepted = await fetch(`${uiOrigin}/ui/api/models/churn/promote`, {
      method: 'POST',
      headers: { ...headers, 'x-console-token': uiToken },
      body: JSON.stringify({ version: 1, reason: 'checking mlops ui' }),
    });
    expect(accepted.status).toBe(200);
  }, 60_000);
});
