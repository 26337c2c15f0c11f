/**
 * The serving side of ground truth on the local platform, driven by curl through the Function URL
 * server: predictions come back with ids and are recorded for the join, outcomes posted to
 * /feedback are stored, a repeated caller id is refused, and an uploaded actuals file starts no
 * retrain.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { churnCsv } from '../../core/datasets/churn';
import { actualRecordSchema, predictionRecordSchema } from '../../core/ground-truth/records';
import type { Platform } from '../../local/platform';
import { settleRuns, startTestPlatform } from '../support/local-platform';
import { requireTool, TOOLS } from '../support/tools';

const run = promisify(execFile);
const CURL = requireTool(TOOLS.curl, 'the ground-truth serving test') ?? '';
const describeWithCurl = CURL ? describe : describe.skip;

let dataDir: string;
let platform: Platform;
let client: S3Client;
let monitoring: S3ObjectStore;

beforeAll(async () => {
  if (!CURL) return;
  ({ platform, client, dataDir } = await startTestPlatform({
    project: 'groundtruth',
    batchingWindowMs: 300,
    model: { predictions: { idField: 'order_id' } },
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

const settle = () => settleRuns(platform);

/** What the routes answer (one shape for all, the fields a test reads). */
interface Answer {
  readonly model?: { readonly version: number };
  readonly predictions?: ReadonlyArray<{ readonly id: string; readonly score: number }>;
  readonly warnings?: readonly string[];
  readonly error?: { readonly message: string; readonly field?: string };
}

/** POSTs JSON with curl; the status code and the parsed body. */
async function post(url: string, body: unknown): Promise<{ status: number; body: Answer }> {
  const { stdout } = await run(CURL, [
    '-sS',
    '--max-time',
    '30',
    '-X',
    'POST',
    url,
    '-H',
    'content-type: application/json',
    '-d',
    JSON.stringify(body),
    '-w',
    '\n%{http_code}',
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
}

async function linesUnder(prefix: string): Promise<unknown[]> {
  const lines: unknown[] = [];
  for (const object of await monitoring.list(prefix)) {
    const text = new TextDecoder().decode((await monitoring.get(object.key))!.body);
    lines.push(
      ...text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
  }
  return lines;
}

describeWithCurl('ground truth, serving side, on the local platform', () => {
  const model = () => platform.info.models.find((entry) => entry.name === 'churn')!;
  const instance = () => platform.info.builtInData.exampleInstance;

  it('returns an id with every prediction, the caller’s where given, and records each for the join', async () => {
    // given version 1 in production
    // when three instances are scored, two with the caller's order ids
    const response = await post(`${model().endpoint}predict`, {
      instances: [{ ...instance(), order_id: 'order-1' }, { ...instance(), order_id: 'order-2' }, instance()],
    });
    // then each prediction has its id, and no warning names the id field
    expect(response.status).toBe(200);
    const ids = response.body.predictions!.map((prediction) => prediction.id);
    expect(ids.slice(0, 2)).toEqual(['order-1', 'order-2']);
    expect(ids[2]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(JSON.stringify(response.body.warnings)).not.toContain('order_id');
    // and the prediction log holds one valid record per prediction, with the served score
    const records = (await linesUnder('predictions/churn/')).map((line) => predictionRecordSchema.parse(line));
    expect(records.map((record) => record.id)).toEqual(ids);
    expect(records.map((record) => record.score)).toEqual(
      response.body.predictions!.map((prediction) => prediction.score),
    );
    expect(records.every((record) => record.version === response.body.model!.version)).toBe(true);
  }, 60_000);

  it('answers 400 naming a caller id repeated in one request', async () => {
    const response = await post(`${model().endpoint}predict`, {
      instances: [
        { ...instance(), order_id: 'order-9' },
        { ...instance(), order_id: 'order-9' },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body.error?.field).toBe('instances[1].order_id');
  }, 60_000);

  it('stores posted outcomes at the feedback URL local info names, answering 202', async () => {
    // when outcomes for two predictions and one unknown id are posted
    const actuals = [
      { id: 'order-1', label: 'yes' },
      { id: 'order-2', label: 'no' },
      { id: 'never-predicted', label: 'yes' },
    ];
    const response = await post(model().feedback, { actuals });
    // then they are accepted and stored as one batch for the join
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ model: 'churn', accepted: 3, repeatedIds: 0 });
    const stored = (await linesUnder('actuals/churn/')).map((line) => actualRecordSchema.parse(line));
    expect(stored.map(({ id, label }) => ({ id, label }))).toEqual(actuals);
  }, 60_000);

  it('answers 400 naming the field of a bad outcome', async () => {
    const response = await post(model().feedback, { actuals: [{ id: 'order-1' }] });
    expect(response.status).toBe(400);
    expect(response.body.error?.field).toBe('actuals[0].label');
  }, 60_000);

  it('starts no retrain for an actuals file uploaded under feedback/churn/', async () => {
    const runsBefore = platform.stepFunctions.all().length;
    await upload('feedback/churn/outcomes.csv', 'id,label\norder-1,yes\norder-2,no\n');
    await settle();
    expect(platform.stepFunctions.all()).toHaveLength(runsBefore);
  }, 60_000);
});
