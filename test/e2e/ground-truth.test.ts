/**
 * Issue 13 end to end on the local platform, with real parts only: predictions through curl (some
 * with the caller's order ids), outcomes posted through curl and uploaded as CSV with the AWS CLI
 * (some late, some duplicated, some for ids never predicted, some before their prediction), the
 * quality monitor run and read through the `mlops` command line. The monitor's AUC is compared
 * with scikit-learn's on the joined rows in the monitoring zone, a join with nothing new must
 * leave the join's objects untouched, and a promoted version whose live outcomes disagree with it
 * must be rolled back, retrained and alerted on, as the quality config says.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { churnCsv, generateChurn } from '../../core/datasets/churn';
import { type JoinedRow, joinedRowSchema } from '../../core/ground-truth/records';
import { buildCli } from '../../lib/bundles';
import type { Platform } from '../../local/platform';
import { settleRuns, startTestPlatform } from '../support/local-platform';
import { requirePython } from '../support/python';
import { requireTool, TOOLS } from '../support/tools';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const CURL = requireTool(TOOLS.curl, 'the ground-truth end-to-end test') ?? '';
const AWS_CLI = requireTool(TOOLS.aws, 'the ground-truth end-to-end test') ?? '';
const PYTHON = requirePython(['sklearn'], 'the ground-truth end-to-end test') ?? '';
const describeWithTools = CURL && AWS_CLI && PYTHON ? describe : describe.skip;

/** Judged from 100 outcomes on; a version far below 0.6, or 0.2 below its validation AUC, is degraded. */
const QUALITY = {
  minLabeled: 100,
  minAuc: 0.6,
  maxAucDrop: 0.2,
  alert: true,
  retrain: true,
  rollbackOnRegression: true,
  rollbackMargin: 0.05,
};

let dataDir: string;
let platform: Platform;
let client: S3Client;
let monitoring: S3ObjectStore;

beforeAll(async () => {
  if (!(CURL && AWS_CLI && PYTHON)) return;
  // `mlops` runs as a user runs it: bin/mlops.js on the compiled CLI.
  buildCli();
  ({ platform, client, dataDir } = await startTestPlatform({
    project: 'gte2e',
    batchingWindowMs: 300,
    model: {
      predictions: { idField: 'order_id' },
      endpoint: { modelRefreshSeconds: 1 },
      quality: QUALITY,
    },
  }));
  monitoring = new S3ObjectStore(client, platform.info.buckets.monitoring);
  await upload('churn/v1.csv', churnCsv({ rows: 400, seed: 1 }));
  await settle();
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await platform?.close();
  if (dataDir && !process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });
});

const upload = (key: string, body: string) =>
  client.send(new PutObjectCommand({ Bucket: platform.info.buckets.raw, Key: key, Body: body }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const settle = () => settleRuns(platform);

/**
 * The local join leaves a log batch named in the last second for the next run (a writer may still
 * be putting it), so a run that must see what was just sent waits a little longer than that.
 */
const pastJoinSettle = () => sleep(1_500);

/** What the routes answer: the fields this test reads. */
interface Answer {
  readonly model?: { readonly version: number };
  readonly predictions?: ReadonlyArray<{ readonly id: string; readonly score: number }>;
}

async function curl(...args: string[]): Promise<{ status: number; body: Answer }> {
  const { stdout } = await run(CURL, ['-sS', '--max-time', '60', ...args, '-w', '\n%{http_code}'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
}

const postJson = (url: string, body: unknown) =>
  curl('-X', 'POST', url, '-H', 'content-type: application/json', '-d', JSON.stringify(body));

/** `mlops quality run <model> --json`: the fields this test reads (lambdas/quality-monitor/check.ts). */
interface CheckSummary {
  readonly status: string;
  readonly version: number | null;
  readonly labeled: number;
  readonly auc: number | null;
  readonly coverage: number | null;
  readonly reasons: string[];
  readonly join: { readonly status: string; readonly pending: number; readonly counts: Record<string, number> };
  readonly alerted: boolean;
  readonly retrain: { readonly status: string };
  readonly rollback: { readonly status: string; readonly from?: number; readonly to?: number };
}

/** Runs the command line against the platform and parses what `--json` printed. */
async function mlops<T>(...args: string[]): Promise<T> {
  const { MLOPS_ARTIFACTS_BUCKET: _deployed, ...env } = process.env;
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/mlops.js'), ...args], {
    cwd: ROOT,
    env: { ...env, MLOPS_LOCAL_DIR: dataDir },
  });
  return JSON.parse(stdout);
}

async function awsCli(...args: string[]): Promise<void> {
  await run(AWS_CLI, ['--endpoint-url', platform.info.s3Endpoint, ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
  });
}

/** A churn batch as predict instances (no customer id, no target, empty cells left out) and its outcomes. */
function traffic(rows: number, seed: number): { instances: Record<string, unknown>[]; outcomes: string[] } {
  const table = generateChurn({ rows, seed });
  const target = table.columnNames.indexOf('churned');
  const instances: Record<string, unknown>[] = [];
  for (let row = 0; row < rows; row++) {
    const instance: Record<string, unknown> = {};
    table.columnNames.forEach((name, c) => {
      const cell = table.columns[c][row];
      if (name === 'customer_id' || name === 'churned' || cell === null || cell === '') return;
      instance[name] = typeof cell === 'string' && !Number.isNaN(Number(cell)) ? Number(cell) : cell;
    });
    instances.push(instance);
  }
  return { instances, outcomes: table.columns[target].map(String) };
}

interface Served {
  readonly id: string;
  readonly score: number;
  readonly version: number;
}

/** Scores instances through the endpoint, 100 per request; what was served, in order. */
async function predict(instances: readonly Record<string, unknown>[]): Promise<Served[]> {
  const endpoint = platform.info.models[0].endpoint;
  const served: Served[] = [];
  for (let start = 0; start < instances.length; start += 100) {
    const response = await postJson(`${endpoint}predict`, { instances: instances.slice(start, start + 100) });
    expect(response.status).toBe(200);
    for (const prediction of response.body.predictions!) {
      served.push({ id: prediction.id, score: prediction.score, version: response.body.model!.version });
    }
  }
  return served;
}

async function postActuals(actuals: ReadonlyArray<{ id: string; label: string }>): Promise<void> {
  const response = await postJson(platform.info.models[0].feedback, { actuals });
  expect(response.status).toBe(202);
}

async function servingVersion(): Promise<number | undefined> {
  return (await curl(platform.info.models[0].endpoint)).body.model?.version;
}

/** Every object under the prefixes: key -> bytes and when it was last written. */
async function snapshot(prefixes: readonly string[]): Promise<Record<string, { text: string; lastModified: string }>> {
  const objects: Record<string, { text: string; lastModified: string }> = {};
  for (const prefix of prefixes) {
    for (const item of await monitoring.list(prefix)) {
      const body = (await monitoring.get(item.key))!.body;
      objects[item.key] = { text: Buffer.from(body).toString('base64'), lastModified: item.lastModified.toISOString() };
    }
  }
  return objects;
}

/** The joined rows as a reader must take them: per prediction id, the outcome received last. */
async function joinedRows(): Promise<JoinedRow[]> {
  const latest = new Map<string, JoinedRow>();
  for (const item of await monitoring.list('joined/churn/')) {
    const text = new TextDecoder().decode((await monitoring.get(item.key))!.body);
    for (const line of text.trim().split('\n')) {
      const row = joinedRowSchema.parse(JSON.parse(line));
      const seen = latest.get(row.id);
      if (!seen || Date.parse(row.receivedAt) >= Date.parse(seen.receivedAt)) latest.set(row.id, row);
    }
  }
  return [...latest.values()];
}

/** scikit-learn's roc_auc_score, in Debian's python3. */
function sklearnAuc(actuals: readonly number[], scores: readonly number[]): number {
  const result = spawnSync(
    PYTHON,
    [
      '-c',
      'import json, sys\nfrom sklearn.metrics import roc_auc_score\nd = json.load(sys.stdin)\nprint(repr(float(roc_auc_score(d["y"], d["s"]))))',
    ],
    { input: JSON.stringify({ y: actuals, s: scores }), encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

const flip = (label: string) => (label === 'yes' ? 'no' : 'yes');
const JOIN_OBJECTS = ['joined/churn/', 'ground-truth/churn/'];

describeWithTools('ground truth end to end on the local platform', () => {
  // What the test expects each prediction id to be joined with: the outcome written last.
  const expected = new Map<string, { score: number; actual: string }>();
  let secondRun: CheckSummary;

  it('joins posted and uploaded outcomes, late, duplicated and unknown ones, counting each kind', async () => {
    // given 310 customers of a batch version 1 never saw, and their true outcomes
    const { instances, outcomes } = traffic(310, 7);
    // the first 150 and the last 10 carry the caller's order id, the rest get ids of ours
    const orderId = (row: number) => `order-${row}`;
    const sent = instances.map((instance, row) =>
      row < 150 || row >= 300 ? { ...instance, order_id: orderId(row) } : instance,
    );
    // when 300 are scored now (the last 10 only after the first check: outcomes ahead of their predictions)
    const served = await predict(sent.slice(0, 300));
    expect(served.slice(0, 150).map((p) => p.id)).toEqual(sent.slice(0, 150).map((_, row) => orderId(row)));
    expect(served.every((p) => p.version === 1)).toBe(true);
    const id = (row: number) => served[row].id;
    const actual = (row: number) => ({ id: id(row), label: outcomes[row] });

    // and outcomes for rows 0-99 are posted, rows 0-19 with the wrong label first
    await postActuals([
      ...Array.from({ length: 20 }, (_, row) => ({ id: id(row), label: flip(outcomes[row]) })),
      ...Array.from({ length: 80 }, (_, k) => actual(20 + k)),
    ]);
    // and later (S3 keeps upload times to the second) a CSV uploaded with the AWS CLI corrects rows 0-19,
    // adds rows 150-249, 10 ids never predicted and 10 order ids whose predictions come later
    await sleep(1_500);
    const csvLines = [
      'id,label',
      ...Array.from({ length: 20 }, (_, row) => `${id(row)},${outcomes[row]}`),
      ...Array.from({ length: 100 }, (_, k) => `${id(150 + k)},${outcomes[150 + k]}`),
      ...Array.from({ length: 10 }, (_, k) => `never-predicted-${k},yes`),
      ...Array.from({ length: 10 }, (_, k) => `${orderId(300 + k)},${outcomes[300 + k]}`),
    ];
    const csvFile = join(dataDir, 'outcomes.csv');
    writeFileSync(csvFile, `${csvLines.join('\n')}\n`);
    await awsCli('s3', 'cp', csvFile, `s3://${platform.info.buckets.raw}/feedback/churn/outcomes.csv`);
    // and rows 20-29 are posted once more, unchanged
    await sleep(1_500);
    await postActuals(Array.from({ length: 10 }, (_, k) => actual(20 + k)));
    for (let row = 0; row < 100; row++) expected.set(id(row), { score: served[row].score, actual: outcomes[row] });
    for (let row = 150; row < 250; row++) expected.set(id(row), { score: served[row].score, actual: outcomes[row] });

    // then the first check joins 200 predictions, counts 30 duplicates and keeps 20 outcomes pending
    await pastJoinSettle();
    const firstRun = await mlops<CheckSummary>('quality', 'run', 'churn', '--json');
    expect(firstRun.join).toMatchObject({ status: 'joined', pending: 20 });
    expect(firstRun.join.counts).toMatchObject({
      predictions: 300,
      actuals: 100 + 140 + 10,
      joined: 200,
      duplicates: 30,
      unknown: 20,
      expired: 0,
      badLines: 0,
      rejectedUploads: 0,
    });
    expect(firstRun).toMatchObject({ version: 1, labeled: 200 });

    // when late outcomes arrive: rows 100-149 posted (100-104 twice in one request, the wrong label first),
    // rows 250-299 uploaded as JSON Lines, and corrections of rows 0-4, joined already
    await postActuals([
      ...Array.from({ length: 5 }, (_, k) => ({ id: id(100 + k), label: flip(outcomes[100 + k]) })),
      ...Array.from({ length: 50 }, (_, k) => actual(100 + k)),
      ...Array.from({ length: 5 }, (_, row) => ({ id: id(row), label: flip(outcomes[row]) })),
    ]);
    const jsonlFile = join(dataDir, 'late.jsonl');
    writeFileSync(jsonlFile, Array.from({ length: 50 }, (_, k) => `${JSON.stringify(actual(250 + k))}\n`).join(''));
    await awsCli('s3', 'cp', jsonlFile, `s3://${platform.info.buckets.raw}/feedback/churn/late.jsonl`);
    // and rows 300-309, whose outcomes came first, are scored
    const lateServed = await predict(sent.slice(300));
    expect(lateServed.map((p) => p.id)).toEqual(sent.slice(300).map((_, k) => orderId(300 + k)));
    for (let row = 100; row < 150; row++) expected.set(id(row), { score: served[row].score, actual: outcomes[row] });
    for (let row = 250; row < 300; row++) expected.set(id(row), { score: served[row].score, actual: outcomes[row] });
    for (let row = 0; row < 5; row++) expected.set(id(row), { score: served[row].score, actual: flip(outcomes[row]) });
    lateServed.forEach((p, k) => {
      expected.set(p.id, { score: p.score, actual: outcomes[300 + k] });
    });

    // then the second check joins them (the corrections again) and the pending ones whose predictions arrived;
    // the never-predicted wait on
    await pastJoinSettle();
    secondRun = await mlops<CheckSummary>('quality', 'run', 'churn', '--json');
    expect(secondRun.join).toMatchObject({ status: 'joined', pending: 10 });
    expect(secondRun.join.counts).toMatchObject({
      predictions: 10,
      actuals: 110,
      joined: 115,
      duplicates: 5,
      unknown: 10,
    });
    expect(secondRun).toMatchObject({ version: 1, labeled: 310, status: 'ok' });
    expect(secondRun.coverage).toBe(1);
    // and the one pending object left holds exactly the never-predicted ids
    const pending = await monitoring.list('ground-truth/churn/pending/');
    expect(pending).toHaveLength(1);
    const pendingText = new TextDecoder().decode((await monitoring.get(pending[0].key))!.body);
    const pendingIds = pendingText
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(pendingIds.sort()).toEqual(Array.from({ length: 10 }, (_, k) => `never-predicted-${k}`));
  }, 180_000);

  it('measures the AUC scikit-learn computes on the joined rows in the monitoring zone', async () => {
    // given the joined rows as stored, each with the outcome written last and the score served
    const rows = await joinedRows();
    expect(new Map(rows.map((row) => [row.id, { score: row.score, actual: String(row.actual) }]))).toEqual(expected);
    // when `mlops quality churn --json` reports on them
    const summary = await mlops<{ auc: number }>('quality', 'churn', '--json');
    expect(summary).toMatchObject({ model: 'churn', version: 1, status: 'ok', labeled: 310, rollback: 'not-needed' });
    // then its AUC is scikit-learn's on the same rows
    const auc = sklearnAuc(
      rows.map((row) => (row.actual === 'yes' ? 1 : 0)),
      rows.map((row) => row.score),
    );
    expect(summary.auc).toBeGreaterThan(QUALITY.minAuc);
    expect(Math.abs(summary.auc - auc)).toBeLessThan(1e-9);
    expect(summary.auc).toBe(secondRun.auc);
  }, 120_000);

  it('changes nothing when the join runs again with nothing new', async () => {
    const before = await snapshot(JOIN_OBJECTS);
    expect(Object.keys(before).some((key) => key.startsWith('joined/'))).toBe(true);
    await pastJoinSettle();
    const again = await mlops<CheckSummary>('quality', 'run', 'churn', '--json');
    expect(again.join.status).toBe('nothing-new');
    expect(again).toMatchObject({ labeled: 310, auc: secondRun.auc });
    expect(await snapshot(JOIN_OBJECTS)).toEqual(before);
  }, 120_000);

  it('rolls back, retrains and alerts when a promoted version’s live outcomes disagree with it', async () => {
    // given version 2 trained on a second batch and promoted over version 1
    await upload('churn/v2.csv', churnCsv({ rows: 400, seed: 2 }));
    await settle();
    await mlops('promote', 'churn', '2', '--json');
    for (let tries = 0; (await servingVersion()) !== 2; tries++) {
      if (tries > 60) throw new Error('version 2 never served');
      await sleep(500);
    }
    // when its 200 predictions meet outcomes opposite to the truth
    const { instances, outcomes } = traffic(200, 9);
    const served = await predict(instances);
    expect(served.every((p) => p.version === 2)).toBe(true);
    await postActuals(served.map((p, row) => ({ id: p.id, label: flip(outcomes[row]) })));
    await pastJoinSettle();
    const checked = await mlops<CheckSummary>('quality', 'run', 'churn', '--json');

    // then version 2 is degraded (below the floor, far below its validation AUC) and regressed against version 1
    expect(checked).toMatchObject({ version: 2, labeled: 200, status: 'degraded', alerted: true });
    expect(checked.auc!).toBeLessThan(QUALITY.minAuc);
    expect(checked.reasons.join('\n')).toMatch(/floor quality\.minAuc/);
    expect(checked.reasons.join('\n')).toMatch(/quality\.maxAucDrop/);
    expect(checked.reasons.join('\n')).toMatch(/version 2 live auc .* vs version 1 before it .*: worse/);
    // and production moved back to version 1, recorded by the monitor in the alias history
    expect(checked.rollback).toMatchObject({ status: 'rolled-back', from: 2, to: 1 });
    const history = await mlops<Array<{ kind: string; actor: string | null }>>('history', 'churn', '--json');
    expect(history.filter((move) => move.actor === 'quality-monitor')).toEqual([
      expect.objectContaining({ version: 1, previousVersion: 2, kind: 'rollback' }),
    ]);
    // and a retrain started with the quality trigger
    expect(checked.retrain.status).toBe('started');
    await settle();
    const runs = await mlops<Array<{ trigger: { kind: string } }>>('runs', 'churn', '--json');
    expect(runs.filter((entry) => entry.trigger.kind === 'quality')).toHaveLength(1);
    // and the alert was published, naming the rollback and every reason
    const notifications = readFileSync(join(dataDir, 'logs', 'notifications.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { subject?: string; message: string });
    const alert = notifications.find((entry) => entry.subject?.startsWith('Quality regression in churn'));
    expect(alert?.subject).toBe('Quality regression in churn: rolled back from version 2 to 1');
    for (const reason of checked.reasons) expect(alert?.message).toContain(reason);
  }, 240_000);
});
