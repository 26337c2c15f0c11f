import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../core/config/parse';
import type { PlatformInfo } from '../../core/local/platform-info';
import { createServingAnnouncer } from '../../local/ready-banner';

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((_, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ model: { version: 1 } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const info = (extra: Partial<PlatformInfo>): PlatformInfo => ({
  s3Endpoint: 'http://127.0.0.1:4566',
  awsEndpoint: 'http://127.0.0.1:4599',
  httpUrl: url,
  buckets: { raw: 'p-raw', curated: 'p-curated', artifacts: 'p-artifacts', monitoring: 'p-monitoring' },
  models: [],
  dataDir: '/tmp/x',
  builtInData: {
    v1Path: 'v1',
    v2Path: 'v2',
    corruptPath: 'c',
    rows: 1,
    exampleInstance: {},
    customerFeaturesPath: 'customer-features.csv',
    entityOnlyInstance: { customer_id: 'C1' },
  },
  pid: 1,
  ...extra,
});

test('with feature views, the ready lines name the feature upload prefix and the DynamoDB endpoint', async () => {
  const config = parseConfig(
    {
      models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', featureView: 'customer' }],
      featureViews: [{ name: 'customer', entityKey: 'customer_id' }],
    },
    'test',
  );
  const lines: string[] = [];
  await createServingAnnouncer(
    info({ dynamodbEndpoint: 'http://127.0.0.1:4569', featureTable: 'FeatureStoreTable' }),
    config,
    (line) => lines.push(line),
  )('churn');
  expect(lines).toContainEqual(
    expect.stringMatching(/features: .* s3 cp <file\.csv> s3:\/\/p-curated\/features\/customer\/$/),
  );
  expect(lines).toContain(
    '  online store: DynamoDB http://127.0.0.1:4569, table FeatureStoreTable; reload: npx mlops features materialize customer',
  );
  // the walk-through's request by key only
  expect(lines).toContainEqual(
    expect.stringMatching(
      /by key only: {2}curl .*'\{"instances":\[\{"customer_id":"C1"\}\]\}' {3}\(the customer view supplies the rest\)$/,
    ),
  );
});

test('the console line carries the URL with its session token', async () => {
  const config = parseConfig({ models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes' }] }, 'test');
  const lines: string[] = [];
  await createServingAnnouncer(
    info({}),
    config,
    (line) => lines.push(line),
    'http://127.0.0.1:3000/ui/#token=abc',
  )('churn');
  expect(lines).toContain(
    '  console:      http://127.0.0.1:3000/ui/#token=abc   (the token in it allows actions; keep it private)',
  );
});

test('without feature views, no feature lines', async () => {
  const config = parseConfig({ models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes' }] }, 'test');
  const lines: string[] = [];
  await createServingAnnouncer(info({}), config, (line) => lines.push(line))('churn');
  expect(lines.some((line) => line.includes('version 1 serves'))).toBe(true);
  expect(lines.some((line) => line.includes('features'))).toBe(false);
});
