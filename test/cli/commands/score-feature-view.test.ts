import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbOnlineFeatureStore } from '../../../adapters/dynamodb-feature-store';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { main } from '../../../cli/main';
import { parseConfig } from '../../../core/config/parse';
import { formatCsv, parseCsv } from '../../../core/data/csv';
import { tableFromRecords } from '../../../core/data/table';
import { churnRecords, publish, trainChurnArtifact } from '../../core/score/fixtures';
import { type DynaliteTable, startDynaliteTable } from '../../support/dynalite-table';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';

/** `mlops score` of a model with a feature view: the view read from the online store on dynalite. */
let s3: LocalS3Harness;
let dynamo: DynaliteTable;
const saved = { ...process.env };
const startDir = process.cwd();
const customers = churnRecords(30, 21).map(({ age, plan, active }, index) => ({
  customer_id: `c${index}`,
  age: age as number,
  plan: plan as string,
  active: String(active),
}));
const platform = {
  featureViews: [{ name: 'customer', entityKey: 'customer_id' }],
  models: [
    { name: 'churn', target: 'churned', positiveLabel: 'yes', featureView: 'customer', predictions: { log: false } },
  ],
};

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3Harness(['artifacts']), startDynaliteTable()]);
  await publish(new S3ObjectStore(s3.client, 'artifacts'), trainChurnArtifact());
  await new DynamoDbOnlineFeatureStore(dynamo.client, dynamo.table).write(
    'customer',
    customers.map(({ customer_id, ...values }) => ({
      entityKey: customer_id,
      eventTimeMicros: Date.now() * 1000,
      viewVersion: 'v1',
      values,
    })),
  );
  Object.assign(process.env, {
    MLOPS_ARTIFACTS_BUCKET: 'artifacts',
    AWS_ENDPOINT_URL_S3: s3.server.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  });
});

beforeEach(() => {
  process.chdir(mkdtempSync(join(tmpdir(), 'mlops-score-fv-')));
  writeFileSync('keys.csv', formatCsv(tableFromRecords(customers.map(({ customer_id }) => ({ customer_id })))));
  writeFileSync('full.csv', formatCsv(tableFromRecords(customers)));
});

afterAll(async () => {
  process.chdir(startDir);
  process.env = saved;
  await Promise.all([s3.stop(), dynamo.stop()]);
});

async function score(input: string, out: string): Promise<{ code: number; err: string; scores: string[] }> {
  const err: string[] = [];
  const code = await main(['score', '--model', 'churn', '--input', input, '--out', out], {
    out: () => undefined,
    err: (text: string) => err.push(text),
    interactive: false,
  });
  if (code !== 0) return { code, err: err.join(''), scores: [] };
  const scored = parseCsv(readFileSync(out, 'utf8'));
  return { code, err: err.join(''), scores: scored.columns[scored.columnNames.indexOf('score')] as string[] };
}

describe('mlops score with a feature view', () => {
  test('in the Batch job (view and table from the environment), a file of keys scores as the full file', async () => {
    process.env.MLOPS_MODEL_CONFIG = JSON.stringify(parseConfig(platform, 'test').models[0]);
    process.env.MLOPS_FEATURE_VIEW = JSON.stringify(parseConfig(platform, 'test').featureViews[0]);
    process.env.MLOPS_FEATURE_TABLE = dynamo.table;
    try {
      const byKey = await score('keys.csv', 'keys-scored.csv');
      const full = await score('full.csv', 'full-scored.csv');
      expect(byKey.code).toBe(0);
      expect(byKey.scores).toHaveLength(30);
      expect(byKey.scores).toEqual(full.scores);
    } finally {
      delete process.env.MLOPS_MODEL_CONFIG;
      delete process.env.MLOPS_FEATURE_VIEW;
      delete process.env.MLOPS_FEATURE_TABLE;
    }
  });

  test('with a config file, the view comes from it and the table from MLOPS_FEATURE_TABLE', async () => {
    writeFileSync('mlops.config.json', JSON.stringify(platform));
    process.env.MLOPS_FEATURE_TABLE = dynamo.table;
    try {
      const byKey = await score('keys.csv', 'keys-scored.csv');
      const full = await score('full.csv', 'full-scored.csv');
      expect(byKey.scores).toEqual(full.scores);
    } finally {
      delete process.env.MLOPS_FEATURE_TABLE;
    }
  });

  test('with a config file and no table, it is refused naming the variable', async () => {
    writeFileSync('mlops.config.json', JSON.stringify(platform));
    const run = await score('keys.csv', 'keys-scored.csv');
    expect(run.code).toBe(2);
    expect(run.err).toContain('model churn reads feature view "customer": set MLOPS_FEATURE_TABLE');
  });
});
