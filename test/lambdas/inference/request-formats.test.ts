import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Cell } from '../../../core/data/table';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { InferenceApp } from '../../../lambdas/inference/app';
import type { InferenceConfig } from '../../../lambdas/inference/config';
import { createInferenceHandler } from '../../../lambdas/inference/handler';
import { inProcessBackend } from '../../../lambdas/inference/predict';
import type { HttpError } from '../../../lambdas/shared/http';
import { readJsonBody } from '../../../lambdas/shared/json-body';
import { startFunctionUrlServer } from '../../../local/function-url-server';
import { publish, testConfig, trainChurnArtifact, urlEvent } from './fixtures';

/** Every request format of POST /predict, through the middy handler with a real model. */
const context = { awsRequestId: 'formats', functionName: 'inference' } as Context;
const artifact = trainChurnArtifact();
const ROWS: Record<string, Cell>[] = [
  { age: 22, plan: 'basic', active: false },
  { age: 60, plan: 'team', active: true },
  { age: 41, plan: 'pro', active: true },
];
const COLUMNS = ['age', 'plan', 'active'];

async function setup(config: Partial<InferenceConfig> = {}) {
  const artifacts = new MemoryObjectStore('artifacts');
  const monitoring = new MemoryObjectStore('monitoring');
  await publish(artifacts, artifact);
  const app = new InferenceApp({
    config: testConfig(config),
    artifacts,
    monitoring,
    backend: inProcessBackend,
  });
  const handler = createInferenceHandler({ app: () => app, logger: new Logger({ logLevel: 'SILENT' }) });
  const post = async (
    body: string,
    options: { contentType?: string; query?: Record<string, string>; headers?: Record<string, string> } = {},
  ) => {
    const event = urlEvent('POST', '/predict', body);
    const response = await handler(
      {
        ...event,
        headers: { 'content-type': options.contentType ?? 'application/json', ...options.headers },
        ...(options.query ? { queryStringParameters: options.query } : {}),
      },
      context,
    );
    return { statusCode: response.statusCode, body: JSON.parse(response.body) };
  };
  const expected = async () => {
    const { scorer } = await app.cache.get();
    return ROWS.map((row) => scorer.scoreRecord(row));
  };
  return { app, post, monitoring, expected };
}

const csv = (lines: string[]) => `${lines.join('\n')}\n`;
const row = (instance: Record<string, Cell>) => COLUMNS.map((name) => instance[name]);

describe('request formats', () => {
  it.each([
    ['instances (ours)', JSON.stringify({ instances: ROWS })],
    [
      'dataframe_split',
      JSON.stringify({ dataframe_split: { columns: COLUMNS, data: ROWS.map(row), index: [0, 1, 2] } }),
    ],
    [
      'dataframe_split in another column order',
      JSON.stringify({
        dataframe_split: { columns: ['plan', 'active', 'age'], data: ROWS.map((r) => [r.plan, r.active, r.age]) },
      }),
    ],
    ['dataframe_records', JSON.stringify({ dataframe_records: ROWS })],
    ['inputs as records', JSON.stringify({ inputs: ROWS })],
    [
      'inputs as columns',
      JSON.stringify({ inputs: Object.fromEntries(COLUMNS.map((name) => [name, ROWS.map((r) => r[name])])) }),
    ],
  ])('scores %s exactly as the scorer scores the rows', async (_format, body) => {
    // given the production model
    const { post, expected } = await setup();
    // when the same three rows are sent in this format
    const response = await post(body);
    // then each gets the scorer's prediction and an id of ours, with no warnings
    expect(response.statusCode).toBe(200);
    expect(response.body.warnings).toEqual([]);
    expect(response.body.predictions.map(({ id: _id, ...prediction }: { id: string }) => prediction)).toEqual(
      await expected(),
    );
    for (const prediction of response.body.predictions) expect(prediction.id).toMatch(/^[0-9A-Z]{26}$/);
  });

  it.each([
    ['with a header row', 'text/csv', csv(['age,plan,active', ...ROWS.map((r) => row(r).join(','))])],
    [
      'with a header in another order, quoted fields and CRLF line ends',
      'text/csv; charset=utf-8',
      ['"active","age","plan"', ...ROWS.map((r) => `${r.active},${r.age},"${r.plan}"`)].join('\r\n'),
    ],
    ['without a header (SageMaker), in feature order', 'text/csv', csv(ROWS.map((r) => row(r).join(',')))],
    ['said to have no header', 'text/csv; header=absent', csv(ROWS.map((r) => row(r).join(',')))],
    [
      'said to have a header',
      'text/csv; header=present',
      csv(['age,plan,active', ...ROWS.map((r) => row(r).join(','))]),
    ],
  ])('scores CSV %s exactly as the scorer scores the rows', async (_case, contentType, body) => {
    const { post, expected } = await setup();
    const response = await post(body, { contentType });
    expect(response.statusCode).toBe(200);
    expect(response.body.predictions.map(({ id: _id, ...prediction }: { id: string }) => prediction)).toEqual(
      await expected(),
    );
  });

  it('reads dataframe_split without columns in the feature order GET / lists', async () => {
    const { post, expected } = await setup();
    const response = await post(JSON.stringify({ dataframe_split: { data: ROWS.map(row) } }));
    expect(response.statusCode).toBe(200);
    expect(response.body.predictions.map((p: { score: number }) => p.score)).toEqual(
      (await expected()).map((p) => p.score),
    );
  });

  it('reads a base64-encoded CSV body', async () => {
    const { app, expected } = await setup();
    const text = csv(['age,plan,active', ...ROWS.map((r) => row(r).join(','))]);
    const event = {
      ...urlEvent('POST', '/predict', Buffer.from(text).toString('base64'), true),
      headers: { 'content-type': 'text/csv' },
    };
    const outcome = await app.handle(event, 'r');
    const predictions = JSON.parse(outcome.response.body).predictions;
    expect(predictions.map((p: { score: number }) => p.score)).toEqual((await expected()).map((p) => p.score));
  });

  it('treats empty CSV fields as missing and imputes them with a warning', async () => {
    const { post } = await setup();
    const response = await post(csv(['age,plan,active', ',pro,true', '33,,NA']), { contentType: 'text/csv' });
    expect(response.statusCode).toBe(200);
    expect(response.body.warnings).toEqual([
      'feature "age" missing in 1 instance(s); imputed as in training',
      'feature "plan" missing in 1 instance(s); imputed as in training',
      'feature "active" missing in 1 instance(s); imputed as in training',
    ]);
  });
});

describe('request format errors', () => {
  it.each([
    [
      'a bad value in dataframe_split',
      { dataframe_split: { columns: COLUMNS, data: [row(ROWS[0]!), [30, 'pro', true], ['old', 'pro', true]] } },
      'dataframe_split.data[2][0]',
      /^dataframe_split\.data\[2\]\[0\] \(age\) must be a number, got "old"$/,
    ],
    [
      'a dataframe_split row of the wrong length',
      { dataframe_split: { columns: COLUMNS, data: [row(ROWS[0]!), [30, 'pro']] } },
      'dataframe_split.data[1]',
      /has 2 values; 3 expected/,
    ],
    [
      'a repeated dataframe_split column',
      { dataframe_split: { columns: ['age', 'age'], data: [[1, 2]] } },
      'dataframe_split.columns[1]',
      /repeats the column "age"/,
    ],
    [
      'an object in a dataframe_split cell',
      { dataframe_split: { columns: COLUMNS, data: [[{ v: 1 }, 'pro', true]] } },
      'dataframe_split.data[0][0]',
      /must be a string, number, boolean or null, got an object/,
    ],
    [
      'an unknown key in dataframe_split',
      { dataframe_split: { columns: COLUMNS, data: [row(ROWS[0]!)], dtypes: {} } },
      'dataframe_split.dtypes',
      /unknown field/,
    ],
    [
      'dataframe_split without columns and the wrong width',
      { dataframe_split: { data: [[1, 'pro']] } },
      'dataframe_split.columns',
      /model's feature order: 3 values per row \(age, plan, active\), got 2/,
    ],
    [
      'a bad value in dataframe_records',
      { dataframe_records: [ROWS[0], { ...ROWS[1], active: 'maybe' }] },
      'dataframe_records[1].active',
      /^dataframe_records\[1\]\.active must be a boolean, got "maybe"$/,
    ],
    [
      'columnar inputs of unequal length',
      { inputs: { age: [1, 2], plan: ['pro'] } },
      'inputs.plan',
      /has 1 values; inputs\.age has 2/,
    ],
    [
      'a bad value in columnar inputs',
      { inputs: { age: [1, 'x'], plan: ['pro', 'pro'], active: [true, true] } },
      'inputs.age[1]',
      /^inputs\.age\[1\] must be a number, got "x"$/,
    ],
    ['two envelopes', { instances: ROWS, dataframe_records: ROWS }, 'dataframe_records', /send one of them/],
    ['MLflow params', { dataframe_records: ROWS, params: { x: 1 } }, 'params', /unknown field "params"/],
    ['tensor inputs', { inputs: [[1, 2, 3]] }, 'inputs[0]', /must be an object of feature values/],
  ])('answers 400 for %s, naming the field in its format', async (_case, body, field, message) => {
    const { post } = await setup();
    const response = await post(JSON.stringify(body));
    expect(response.statusCode).toBe(400);
    expect(response.body.error.field).toBe(field);
    expect(response.body.error.message).toMatch(message);
  });

  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  it.each([
    ['a forbidden key in an instance', '{"instances":[{"age":3},{"age":4,"__proto__":{"x":1}}]}'],
    ['a forbidden key in a dataframe_records row', '{"dataframe_records":[{"constructor":1}]}'],
    ['a forbidden column of columnar inputs', '{"inputs":{"age":[1],"prototype":[2]}}'],
    [
      'a forbidden key in a dataframe_split index label',
      '{"dataframe_split":{"columns":["age"],"data":[[1]],"index":[{"__proto__":1}]}}',
    ],
    ['a number too large in a dataframe_split cell', '{"dataframe_split":{"columns":["age"],"data":[[1e400]]}}'],
    ['a number too large in an instance', '{"instances":[{"age":-1e400}]}'],
    ['a number too large in an index label', '{"dataframe_split":{"data":[[1,"pro",true]],"index":[1e400]}}'],
    ['deep nesting in an index label', `{"dataframe_split":{"data":[[1,"pro",true]],"index":[${deep(40)}]}}`],
    ['deep nesting in a cell', `{"instances":[{"age":${deep(40)}}]}`],
    ['a forbidden key next to an unknown envelope', '{"rows":[],"x":{"__proto__":1}}'],
  ])('answers 400 for %s with the message every JSON body gets', async (_case, body) => {
    // Given the checks readJsonBody makes of any JSON body
    const expected = (() => {
      try {
        readJsonBody({ body }, { maxBytes: 1_000_000 });
      } catch (error) {
        return error as HttpError;
      }
      throw new Error('readJsonBody accepted the body');
    })();
    // When the body is posted to /predict, which checks each value as its format reads it
    const { post } = await setup();
    const response = await post(body);
    // Then the answer is readJsonBody's, field and message
    expect(response.statusCode).toBe(400);
    expect(response.body.error.message).toBe(expected.message);
    expect(response.body.error.field).toBe(expected.field);
  });

  it.each([
    [
      'a bad value',
      csv(['age,plan,active', '30,pro,true', 'old,pro,true']),
      'text/csv',
      'csv[1][0]',
      /^csv\[1\]\[0\] \(age\) must be a number, got "old"$/,
    ],
    [
      'rows of different widths',
      csv(['age,plan,active', '30,pro,true', '31,pro']),
      'text/csv',
      'csv line 3',
      /line 3 has 2 fields; line 1 has 3/,
    ],
    [
      'no header and the wrong width',
      csv(['30,pro']),
      'text/csv',
      'csv',
      /no header row .* 3 fields per row \(age, plan, active\), got 2/,
    ],
    ['an unclosed quote', csv(['age,plan,active', '30,"pro,true']), 'text/csv', 'csv', /quoted field is not closed/],
    ['a repeated header column', csv(['age,age,active', '30,31,true']), 'text/csv', 'csv', /repeats the column "age"/],
    [
      'a bad header parameter',
      csv(['age,plan,active', '30,pro,true']),
      'text/csv; header=maybe',
      'content-type',
      /present or absent/,
    ],
    ['a header only', csv(['age,plan,active']), 'text/csv', 'csv', /csv is empty/],
  ])('answers 400 for CSV with %s, naming the field', async (_case, body, contentType, field, message) => {
    const { post } = await setup();
    const response = await post(body, { contentType });
    expect(response.statusCode).toBe(400);
    expect(response.body.error.field).toBe(field);
    expect(response.body.error.message).toMatch(message);
  });

  it('names the missing feature of a dataframe_split row when missing features are rejected', async () => {
    const { post } = await setup({ missingFeatures: 'reject' });
    const response = await post(JSON.stringify({ dataframe_split: { columns: ['age', 'plan'], data: [[30, 'pro']] } }));
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toEqual({
      message: 'dataframe_split.data[0] (active) is missing; the model requires it',
      field: 'dataframe_split.data[0]',
    });
  });

  it.each([
    [
      'dataframe_split',
      JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [...ROWS, ...ROWS].map(row) } }),
      'application/json',
      'dataframe_split.data',
    ],
    ['inputs as columns', JSON.stringify({ inputs: { age: [1, 2, 3, 4, 5, 6] } }), 'application/json', 'inputs.age'],
    ['text/csv', csv(['age,plan,active', ...[...ROWS, ...ROWS].map((r) => row(r).join(','))]), 'text/csv', 'csv'],
    ['headerless text/csv', csv([...ROWS, ...ROWS].map((r) => row(r).join(','))), 'text/csv', 'csv'],
  ])('answers 400 when %s holds more rows than a request may', async (_format, body, contentType, field) => {
    const { post } = await setup({ maxInstances: 3 });
    const response = await post(body, { contentType });
    expect(response.statusCode).toBe(400);
    expect(response.body.error.field).toBe(field);
    expect(response.body.error.message).toMatch(/holds 6 rows; at most 3/);
  });

  it.each([
    ['JSON', 'application/json', JSON.stringify({ dataframe_records: Array(100).fill(ROWS[0]) })],
    ['CSV', 'text/csv', csv(['age,plan,active', ...Array(200).fill('30,pro,true')])],
  ])('answers 413 for a %s body over the byte limit', async (_format, contentType, body) => {
    const { post } = await setup({ maxBodyBytes: 2048 });
    expect(body.length).toBeGreaterThan(2048);
    const response = await post(body, { contentType });
    expect(response.statusCode).toBe(413);
  });
});

describe('response formats', () => {
  it.each([
    ['the query parameter', { query: { response: 'mlflow' } }],
    ['the header', { headers: { 'x-response-format': 'MLflow' } }],
  ])("answers MLflow's {predictions} when asked by %s", async (_how, options) => {
    const { post, expected } = await setup();
    const response = await post(JSON.stringify({ dataframe_records: ROWS }), options);
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.body)).toEqual(['predictions']);
    expect(response.body.predictions).toEqual(
      (await expected()).map((prediction) => ({ id: expect.stringMatching(/^[0-9A-Z]{26}$/), ...prediction })),
    );
  });

  it('answers ours for response=mlops, and 400 naming the parameter for another value', async () => {
    const { post } = await setup();
    const ours = await post(JSON.stringify({ instances: ROWS }), { query: { response: 'mlops' } });
    expect(Object.keys(ours.body)).toEqual(['model', 'predictions', 'warnings']);
    const bad = await post(JSON.stringify({ instances: ROWS }), { query: { response: 'xml' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body.error.field).toBe('response');
  });
});

describe('prediction ids in every format', () => {
  it.each([
    [
      'dataframe_split',
      (ids: string[]) =>
        JSON.stringify({
          dataframe_split: { columns: [...COLUMNS, 'order_id'], data: ROWS.map((r, i) => [...row(r), ids[i]]) },
        }),
      'application/json',
    ],
    [
      'columnar inputs',
      (ids: string[]) =>
        JSON.stringify({
          inputs: { ...Object.fromEntries(COLUMNS.map((name) => [name, ROWS.map((r) => r[name])])), order_id: ids },
        }),
      'application/json',
    ],
    [
      'text/csv',
      (ids: string[]) => csv(['age,plan,active,order_id', ...ROWS.map((r, i) => `${row(r).join(',')},${ids[i]}`)]),
      'text/csv',
    ],
  ])('takes the caller ids from %s, answers, logs and captures them', async (_format, body, contentType) => {
    // given caller ids in the order_id column, every request captured
    const { app, post, monitoring } = await setup({
      predictionIdField: 'order_id',
      captureSampleRate: 1,
      captureMaxAgeSeconds: 0,
    });
    const ids = ['o-1', 'o-2', 'o-3'];
    // when the rows are scored
    const response = await post(body(ids), { contentType });
    await app.settled();
    // then the answer, the prediction log and the capture carry the caller's ids, and the id is no feature
    expect(response.statusCode).toBe(200);
    expect(response.body.warnings).toEqual([]);
    expect(response.body.predictions.map((p: { id: string }) => p.id)).toEqual(ids);
    const read = async (prefix: string) => {
      const keys = monitoring.keys().filter((key) => key.startsWith(prefix));
      const texts = await Promise.all(
        keys.map(async (key) => new TextDecoder().decode((await monitoring.get(key))!.body)),
      );
      return texts.flatMap((text) =>
        text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      );
    };
    expect((await read('predictions/')).map((record) => record.id)).toEqual(ids);
    const [captured] = await read('capture/');
    expect(captured.predictions.map((p: { id: string }) => p.id)).toEqual(ids);
    expect(captured.instances).toHaveLength(3);
    for (const instance of captured.instances) expect(instance).not.toHaveProperty('order_id');
  });

  it('names a repeated caller id in the format of the request', async () => {
    const { post } = await setup({ predictionIdField: 'order_id' });
    const response = await post(
      JSON.stringify({
        dataframe_split: {
          columns: ['age', 'order_id'],
          data: [
            [1, 'a'],
            [2, 'a'],
          ],
        },
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.body.error.field).toBe('dataframe_split.data[1][1]');
  });
});

describe("through the local platform's Function URL host, with curl", () => {
  it("answers a headerless CSV body with MLflow's response", async () => {
    // given the handler behind the local Function URL host, as `npm start` serves it
    const artifacts = new MemoryObjectStore('artifacts');
    await publish(artifacts, artifact);
    const app = new InferenceApp({
      config: testConfig(),
      artifacts,
      monitoring: new MemoryObjectStore('monitoring'),
      backend: inProcessBackend,
    });
    const handler = createInferenceHandler({ app: () => app, logger: new Logger({ logLevel: 'SILENT' }) });
    const server = await startFunctionUrlServer({ port: 0 });
    server.route('churn', (event) => handler(event, context));
    try {
      // when curl posts SageMaker's CSV and asks for MLflow's response
      const { stdout } = await promisify(execFile)('curl', [
        '-s',
        '-X',
        'POST',
        `${server.url}/churn/predict?response=mlflow`,
        '-H',
        'content-type: text/csv',
        '--data-binary',
        csv(ROWS.map((r) => row(r).join(','))),
      ]);
      // then the answer is {"predictions": [...]} with the scorer's scores
      const { scorer } = await app.cache.get();
      expect(JSON.parse(stdout)).toEqual({
        predictions: ROWS.map((r) => ({ id: expect.stringMatching(/^[0-9A-Z]{26}$/), ...scorer.scoreRecord(r) })),
      });
    } finally {
      await server.close();
    }
  });
});
