import type { ModelArtifact } from '../../../core/artifact/format';
import { type Cell, tableFromRecords } from '../../../core/data/table';
import { createRandom } from '../../../core/datasets/random';
import { buildImportedArtifact } from '../../../core/import/artifact';
import type { ImportedTreeJson } from '../../../core/learners/trees';
import { Scorer } from '../../../core/score/scorer';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { trainModel } from '../../../core/train/train';
import { classifyInferenceError, InferenceApp } from '../../../lambdas/inference/app';
import {
  checkExplainable,
  EXPLAIN_NS_PER_STEP,
  EXPLAIN_TIME_BUDGET_MS,
  EXPLANATION_BUDGET_BYTES,
  explainMsPerRow,
  explanationBytesPerRow,
  maxExplainedRows,
  maxExplainedRowsInTime,
} from '../../../lambdas/inference/explain';
import { inProcessBackend } from '../../../lambdas/inference/predict';
import { toHttpResponse } from '../../../lambdas/shared/error-middleware';
import type { HttpResponse } from '../../../lambdas/shared/http';
import { churnRecords, publish, testConfig, trainChurnArtifact, urlEvent } from './fixtures';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Lambda's limit on a synchronous response. */
const LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;

function trainGbdt(records: Record<string, Cell>[]): ModelArtifact {
  return trainModel(tableFromRecords(records), {
    target: 'churned',
    positiveLabel: 'yes',
    learner: 'gbdt',
    learnerParams: { gbdt: { nEstimators: 20, maxDepth: 4 } },
    seed: 42,
    dataSha256: 'd'.repeat(64),
    createdAt: '2026-12-07T10:00:00.000Z',
  });
}

const gbdtArtifact = trainGbdt(churnRecords(500, 5));

async function setup(artifact: ModelArtifact) {
  const artifacts = new MemoryObjectStore('artifacts');
  await publish(artifacts, artifact);
  const app = new InferenceApp({
    config: testConfig(),
    artifacts,
    monitoring: new MemoryObjectStore('monitoring'),
    backend: inProcessBackend,
    now: () => Date.parse('2026-12-07T10:15:00.000Z'),
    logger: silent,
  });
  const predict = async (instances: unknown[], query?: Record<string, string>): Promise<HttpResponse> => {
    const event = {
      ...urlEvent('POST', '/predict', JSON.stringify({ instances })),
      ...(query ? { rawQueryString: new URLSearchParams(query).toString(), queryStringParameters: query } : {}),
    };
    try {
      return (await app.handle(event, 'request-1')).response;
    } catch (error) {
      return toHttpResponse(error, { classify: classifyInferenceError, logger: silent });
    }
  };
  return { app, predict };
}

const instances = [
  { age: 22, plan: 'basic', active: false },
  { age: 60, plan: 'team', active: true },
  { age: 41, plan: 'pro' },
];

describe('POST /predict?explain=true', () => {
  it('adds per input feature contributions and the base value that add up to the log-odds', async () => {
    // Given a GBDT in production
    const { predict } = await setup(gbdtArtifact);
    // When instances are sent with explain=true
    const response = await predict(instances, { explain: 'true' });
    // Then each prediction carries its explanation, per input feature, in log-odds
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body.explanation.units).toBe('log-odds');
    for (const prediction of body.predictions) {
      const { base, contributions } = prediction.explanation;
      expect(Object.keys(contributions)).toEqual(['age', 'plan', 'active']);
      const margin = base + Object.values<number>(contributions).reduce((sum, value) => sum + value, 0);
      expect(margin).toBeCloseTo(Math.log(prediction.score / (1 - prediction.score)), 9);
    }
    // And the scores are those of a request without explain
    const plain = JSON.parse((await predict(instances)).body);
    expect(body.predictions.map((p: { score: number }) => p.score)).toEqual(
      plain.predictions.map((p: { score: number }) => p.score),
    );
    expect(plain.explanation).toBeUndefined();
    expect(plain.predictions[0].explanation).toBeUndefined();
  });

  it('treats explain=false as no explanation and rejects any other value with a 400', async () => {
    const { predict } = await setup(gbdtArtifact);
    expect(JSON.parse((await predict(instances, { explain: 'false' })).body).explanation).toBeUndefined();
    const response = await predict(instances, { explain: 'yes' });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toEqual({
      message: 'explain must be true or false, got "yes"',
      field: 'explain',
    });
  });

  it('validates instances as without explain: a bad value is the same 400', async () => {
    const { predict } = await setup(gbdtArtifact);
    const bad = [{ age: 'old', plan: 'pro', active: true }];
    const withExplain = await predict(bad, { explain: 'true' });
    expect(withExplain.statusCode).toBe(400);
    expect(withExplain.body).toBe((await predict(bad)).body);
  });

  it('answers a linear model with a 400 that says only tree models are explained', async () => {
    const { predict } = await setup(trainChurnArtifact());
    const response = await predict(instances, { explain: 'true' });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.message).toContain('tree models only');
  });

  it('keeps a 1,000-row explained response under Lambda 6 MB, within the computed worst case', async () => {
    // Given 1,000 rows, the most a request may hold
    const { app, predict } = await setup(gbdtArtifact);
    const rows = churnRecords(1000, 9).map(({ churned: _target, ...features }) => features);
    const response = await predict(rows, { explain: 'true' });
    expect(response.statusCode).toBe(200);
    // Then the response as Lambda returns it (the body escaped in its JSON envelope) fits
    const envelopeBytes = Buffer.byteLength(JSON.stringify(response));
    expect(envelopeBytes).toBeLessThan(LAMBDA_RESPONSE_BYTES);
    // And the explanations take no more than the bound the cap is computed from
    const plainBytes = Buffer.byteLength(JSON.stringify(await predict(rows)));
    const scorer = (await app.cache.get()).scorer;
    expect(envelopeBytes - plainBytes).toBeLessThanOrEqual(1000 * explanationBytesPerRow(scorer) + 1000);
    expect(maxExplainedRows(scorer)).toBeGreaterThanOrEqual(1000);
  });

  it('answers 413 naming the row limit when a wide model explanations would not fit', async () => {
    // Given a model with 300 features of 60-character names
    const names = Array.from({ length: 300 }, (_, i) => `feature_${String(i).padStart(3, '0')}_${'x'.repeat(48)}`);
    const records = churnRecords(120, 3).map((record, r) => ({
      ...Object.fromEntries(names.map((name, i) => [name, (r * 31 + i * 7) % 13])),
      churned: record.churned,
    }));
    const wide = trainGbdt(records);
    const most = maxExplainedRows(new Scorer(wide));
    expect(most).toBeLessThan(1000);
    expect(most * explanationBytesPerRow(new Scorer(wide))).toBeLessThanOrEqual(EXPLANATION_BUDGET_BYTES);
    const { predict } = await setup(wide);
    const row = Object.fromEntries(names.map((name) => [name, 1]));
    // When one row more than the limit is sent, then 413; at the limit, 200
    const over = await predict(
      Array.from({ length: most + 1 }, () => row),
      { explain: 'true' },
    );
    expect(over.statusCode).toBe(413);
    expect(JSON.parse(over.body).error.message).toContain(`at most ${most} rows per request with explain=true`);
    const at = await predict(
      Array.from({ length: most }, () => row),
      { explain: 'true' },
    );
    expect(at.statusCode).toBe(200);
  });

  it('answers 413 naming the row limit when explaining the rows would take too long for the model', async () => {
    // Given an imported forest of 300 full trees of depth 6 on 10 features
    const forest = largeForest(300, 6, 10);
    const scorer = new Scorer(forest);
    // Then its cost follows from its shape: 300 x 64 leaves x (6 + 1)^2 steps a row
    expect(scorer.explanationStepsPerRow).toBe(300 * 64 * 49);
    expect(explainMsPerRow(scorer)).toBeCloseTo((300 * 64 * 49 * EXPLAIN_NS_PER_STEP) / 1e6, 12);
    const most = maxExplainedRowsInTime(scorer);
    expect(most).toBe(Math.floor(EXPLAIN_TIME_BUDGET_MS / explainMsPerRow(scorer)));
    expect(most).toBeLessThan(1000);
    expect(maxExplainedRows(scorer)).toBe(most);
    // When 1,000 rows are sent with explain=true
    const { predict } = await setup(forest);
    const row = Object.fromEntries(forest.schema.columns.map((column) => [column.name, 0.5]));
    const over = await predict(
      Array.from({ length: 1000 }, () => row),
      { explain: 'true' },
    );
    // Then 413 before anything is explained, naming this model's limit
    expect(over.statusCode).toBe(413);
    const { message, field } = JSON.parse(over.body).error;
    expect(field).toBe('instances');
    expect(message).toContain("this model's 300 trees cost about");
    expect(message).toContain(`at most ${most} rows per request with explain=true`);
    // And the same rows without explain are scored, and the limit itself passes the check
    expect((await predict(Array.from({ length: 1000 }, () => row))).statusCode).toBe(200);
    expect(() => checkExplainable(scorer, most)).not.toThrow();
    expect(() => checkExplainable(scorer, most + 1)).toThrow(`at most ${most} rows`);
  });
});

/** An imported-model artifact of `trees` full trees of `depth` over `featureCount` features, thresholds at random. */
function largeForest(trees: number, depth: number, featureCount: number): ModelArtifact {
  const random = createRandom(30);
  const fullTree = (): ImportedTreeJson => {
    const tree: ImportedTreeJson = {
      left: [],
      right: [],
      feature: [],
      threshold: [],
      value: [],
      cover: [],
      defaultLeft: [],
    };
    const grow = (level: number): number => {
      const node = tree.left.length;
      tree.left.push(-1);
      tree.right.push(-1);
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.value.push(0);
      tree.cover.push(0);
      tree.defaultLeft.push(1);
      if (level === depth) {
        tree.value[node] = random.normal() * 0.1;
        tree.cover[node] = 1 + random.int(0, 30);
        return node;
      }
      tree.feature[node] = random.int(0, featureCount - 1);
      tree.threshold[node] = random.next();
      const left = grow(level + 1);
      const right = grow(level + 1);
      tree.left[node] = left;
      tree.right[node] = right;
      tree.cover[node] = tree.cover[left] + tree.cover[right];
      return node;
    };
    grow(0);
    return tree;
  };
  return buildImportedArtifact({
    imported: {
      framework: 'xgboost',
      featureNamesInModel: true,
      categoricalFeatures: [],
      notes: [],
      model: {
        format: 'trees/v1',
        source: 'xgboost',
        task: 'binary',
        objective: 'binary:logistic',
        baseMargin: 0,
        comparison: 'less',
        arithmetic: 'float32',
        categorySetGoes: 'right',
        featureNames: Array.from({ length: featureCount }, (_, i) => `f${i}`),
        trees: Array.from({ length: trees }, fullTree),
      },
    },
    modelFile: 'large.json',
    modelSha256: 'e'.repeat(64),
    createdAt: '2026-12-07T10:00:00.000Z',
  }).artifact;
}

describe('explanations in the other request and response formats', () => {
  it("explains CSV rows as it explains the same instances, in MLflow's response when asked", async () => {
    // given a GBDT model
    const { app, predict } = await setup(gbdtArtifact);
    const rows = instances.slice(0, 2);
    const ours = JSON.parse((await predict(rows, { explain: 'true' })).body);
    // when the same rows come as CSV with explain=true and MLflow's response asked for
    const csv = `age,plan,active\n${rows.map((row) => `${row.age},${row.plan},${row.active}`).join('\n')}\n`;
    const event = {
      ...urlEvent('POST', '/predict', csv),
      headers: { 'content-type': 'text/csv' },
      queryStringParameters: { explain: 'true', response: 'mlflow' },
    };
    const body = JSON.parse((await app.handle(event, 'request-2')).response.body);
    // then each prediction carries the same explanation, inside {"predictions"} only
    expect(Object.keys(body)).toEqual(['predictions']);
    expect(body.predictions.map((p: { explanation: unknown }) => p.explanation)).toEqual(
      ours.predictions.map((p: { explanation: unknown }) => p.explanation),
    );
  });
});
