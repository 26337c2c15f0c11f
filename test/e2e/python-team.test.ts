/**
 * A Python team's path, as the README walks it: `xgb_model.save_model("model.json")` in
 * python3-xgboost, `mlops import`, `mlops register` through the retraining workflow's gate, then
 * an HTTPS prediction with explanations from the local platform's endpoint (curl) and from
 * `mlops invoke`. The scores and the explanations must equal XGBoost's own `predict_proba` and
 * `pred_contribs` on rows the model and this test's design never saw (the built-in v2 batch, a
 * different customer population with a payment method training never saw). The model uses pandas
 * categories of text labels, which clients send as labels.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCsv } from '../../core/data/csv';
import { buildCli } from '../../lib/bundles';
import { settleRuns, startTestPlatform, type TestPlatform } from '../support/local-platform';
import { requirePython } from '../support/python';
import { requireTool, TOOLS } from '../support/tools';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PYTHON = requirePython(['xgboost', 'pandas'], 'the Python team end-to-end test') ?? '';
const AWS_CLI = requireTool(TOOLS.aws, 'the Python team end-to-end test') ?? '';
const CURL = requireTool(TOOLS.curl, 'the Python team end-to-end test') ?? '';
const describeWithTools = PYTHON && AWS_CLI && CURL ? describe : describe.skip;

/** The churn columns the team's model uses: numbers, and text labels as pandas categories. */
const NUMERIC = [
  'age',
  'tenure_months',
  'purchase_frequency',
  'avg_basket_value',
  'support_contacts',
  'days_since_last_login',
  'discount_usage_rate',
];
const CATEGORICAL = ['plan', 'region', 'payment_method'];
const FEATURES = [...NUMERIC, ...CATEGORICAL];
/** Fresh rows scored and explained by both sides. */
const FRESH_ROWS = 25;

/** What the team's notebook does: train on v1, save the model, score a sample and fresh rows. */
const NOTEBOOK = `
import json, sys
import numpy as np, pandas as pd, xgboost as xgb
v1_path, v2_path, work = sys.argv[1], sys.argv[2], sys.argv[3]
numeric, categorical = sys.argv[4].split(","), sys.argv[5].split(",")
fresh_rows = int(sys.argv[6])
features = numeric + categorical
v1 = pd.read_csv(v1_path)
categories = {c: sorted(v1[c].dropna().unique().tolist()) for c in categorical}

def frame(data):
    # as the team encodes any rows: numbers as floats, labels with the training categories
    X = data[numeric].astype(float)
    for c in categorical:
        X[c] = pd.Categorical(data[c], categories=categories[c])
    return X

X = frame(v1)
y = (v1["churned"] == "yes").astype(int)
train = len(v1) * 4 // 5
xgb_model = xgb.XGBClassifier(n_estimators=120, max_depth=4, learning_rate=0.1, random_state=7,
                              tree_method="hist", enable_categorical=True)
xgb_model.fit(X[:train], y[:train])
xgb_model.save_model(f"{work}/model.json")
with open(f"{work}/categories.json", "w") as f:
    json.dump({c: X[c].cat.categories.tolist() for c in X.select_dtypes("category")}, f)
# the sample mlops import profiles and checks parity on: the rows the model did not train on
sample = v1.iloc[train:][features + ["churned"]]
sample.to_csv(f"{work}/sample.csv", index=False)
np.savetxt(f"{work}/expected.txt", xgb_model.predict_proba(frame(sample))[:, 1], fmt="%.17g")
# fresh rows from another population (a payment method, crypto, training never saw), every churn
# column, as a client would send them
v2 = pd.read_csv(v2_path).iloc[:fresh_rows]
assert (v2["payment_method"] == "crypto").any()
booster = xgb_model.get_booster()
contribs = booster.predict(xgb.DMatrix(frame(v2), enable_categorical=True), pred_contribs=True)
out = {
    "instances": json.loads(v2.drop(columns=["churned"]).to_json(orient="records")),
    "scores": xgb_model.predict_proba(frame(v2))[:, 1].tolist(),
    "contributions": contribs[:, :-1].tolist(),
    "bias": contribs[:, -1].tolist(),
}
with open(f"{work}/fresh.json", "w") as f:
    json.dump(out, f)
`;

interface Fresh {
  instances: Record<string, unknown>[];
  scores: number[];
  contributions: number[][];
  bias: number[];
}

interface ExplainedPrediction {
  id: string;
  score: number;
  label: string;
  explanation: { base: number; contributions: Record<string, number> };
}

let test: TestPlatform;
let work: string;
let fresh: Fresh;

async function mlops(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/mlops.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, MLOPS_LOCAL_DIR: test.dataDir },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

describeWithTools("a Python team's XGBoost model, from save_model to an explained HTTPS prediction", () => {
  beforeAll(async () => {
    buildCli();
    work = mkdtempSync(join(tmpdir(), 'mlops-python-team-'));
    // the team trains its own models: uploads do not start a training run
    test = await startTestPlatform({
      project: 'python-team',
      batchingWindowMs: 200,
      model: { retrain: { onUpload: false }, endpoint: { modelRefreshSeconds: 1 } },
    });
    const { v1Path, v2Path } = test.platform.info.builtInData;
    await run(
      PYTHON,
      ['-c', NOTEBOOK, v1Path, v2Path, work, NUMERIC.join(','), CATEGORICAL.join(','), String(FRESH_ROWS)],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    fresh = JSON.parse(readFileSync(join(work, 'fresh.json'), 'utf8'));
    // the data the gate holds out from: the model's newest upload
    await run(
      AWS_CLI,
      [
        '--endpoint-url',
        test.platform.info.s3Endpoint,
        's3',
        'cp',
        v1Path,
        `s3://${test.platform.info.buckets.raw}/churn/`,
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      },
    );
    await settleRuns(test.platform, 300);
  }, 300_000);

  afterAll(async () => {
    test?.client.destroy();
    await test?.platform.close();
  });

  it('imports the model at parity with its own predictions, and registers it through the gate', async () => {
    // given the upload started no run (the team trains elsewhere)
    expect(test.platform.stepFunctions.all()).toHaveLength(0);
    // when
    const imported = JSON.parse(
      await mlops(
        'import',
        '--framework',
        'xgboost',
        '--model',
        join(work, 'model.json'),
        '--data',
        join(work, 'sample.csv'),
        '--target',
        'churned',
        '--expected',
        join(work, 'expected.txt'),
        '--categories',
        join(work, 'categories.json'),
        '--out',
        join(work, 'imported'),
        '--json',
      ),
    );
    // then XGBoost's own predictions on the 4,000 sample rows are reproduced
    expect(imported).toMatchObject({
      framework: 'xgboost',
      task: 'binary',
      objective: 'binary:logistic',
      trees: 120,
      features: FEATURES,
      parity: { status: 'measured', rows: 4000 },
    });
    // at most one float32 rounding step (2^-25 near 0.5): libm's expf and JavaScript's exp may round the sigmoid apart
    expect(imported.parity.maxAbsDifference).toBeLessThanOrEqual(2 ** -25);

    // when the artifact is registered
    const runId = (await mlops('register', 'churn', '--artifact', join(work, 'imported'))).trim();
    await settleRuns(test.platform, 300);
    // then the gate measured it on the upload's hold-out and, as the first version past the floor, promoted it
    const runs = JSON.parse(await mlops('runs', 'churn', '--json')) as Array<Record<string, unknown>>;
    expect(runs.find((record) => record.runId === runId)).toMatchObject({
      trigger: { kind: 'import' },
      outcome: 'succeeded',
      registeredVersion: 1,
      promoted: true,
      imported: { source: 'xgboost' },
    });
    const versions = JSON.parse(await mlops('versions', 'churn', '--json')) as Array<Record<string, unknown>>;
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, aliases: ['production'] });
    expect(String(versions[0].origin)).toMatch(/^imported xgboost/);
  }, 300_000);

  it("serves XGBoost's scores and pred_contribs over HTTPS (curl) for rows it never saw", async () => {
    // when a client posts the fresh rows, every churn column included, and asks for explanations
    const { stdout } = await run(
      CURL,
      [
        '-sS',
        '--fail-with-body',
        '--max-time',
        '30',
        '-X',
        'POST',
        `${test.platform.info.httpUrl}/churn/predict?explain=true`,
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ instances: fresh.instances }),
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const body = JSON.parse(stdout) as { model: { version: number }; predictions: ExplainedPrediction[] };
    // then version 1 answers, each score equals predict_proba, and each explanation equals pred_contribs
    expect(body.model.version).toBe(1);
    expect(body.predictions).toHaveLength(FRESH_ROWS);
    body.predictions.forEach((prediction, row) => {
      expect(prediction.score).toBeCloseTo(fresh.scores[row], 6);
      expect(Math.abs(prediction.explanation.base - fresh.bias[row])).toBeLessThan(1e-5);
      expect(Object.keys(prediction.explanation.contributions)).toEqual(FEATURES);
      FEATURES.forEach((feature, f) => {
        expect(Math.abs(prediction.explanation.contributions[feature] - fresh.contributions[row][f])).toBeLessThan(
          1e-5,
        );
      });
    });
  }, 120_000);

  it('gives the same scores and explanations through mlops invoke, as shap_ columns', async () => {
    // given the fresh rows as a JSON file
    const file = join(work, 'fresh-instances.json');
    writeFileSync(file, JSON.stringify(fresh.instances));
    // when
    const csv = parseCsv(await mlops('invoke', 'churn', '--data', file, '--explain', '--format', 'csv'));
    // then one row per instance, its score and one shap_ column per feature, equal to XGBoost's
    expect(csv.rowCount).toBe(FRESH_ROWS);
    const column = (name: string) => {
      const index = csv.columnNames.indexOf(name);
      if (index < 0) throw new Error(`no column ${name} in ${csv.columnNames.join(', ')}`);
      return csv.columns[index].map(Number);
    };
    const scores = column('score');
    const base = column('shap_base');
    for (let row = 0; row < FRESH_ROWS; row++) {
      expect(scores[row]).toBeCloseTo(fresh.scores[row], 6);
      expect(Math.abs(base[row] - fresh.bias[row])).toBeLessThan(1e-5);
    }
    FEATURES.forEach((feature, f) => {
      const values = column(`shap_${feature}`);
      for (let row = 0; row < FRESH_ROWS; row++) {
        expect(Math.abs(values[row] - fresh.contributions[row][f])).toBeLessThan(1e-5);
      }
    });
  }, 120_000);
  it("batch-scores the same rows with XGBoost's scores, and its drift monitor has the sample's reference", async () => {
    // given the fresh rows as CSV (a missing value as an empty field)
    const columns = Object.keys(fresh.instances[0]);
    const cell = (value: unknown) => (value === null || value === undefined ? '' : String(value));
    const input = join(work, 'fresh.csv');
    writeFileSync(
      input,
      `${[columns.join(','), ...fresh.instances.map((row) => columns.map((name) => cell(row[name])).join(','))].join('\n')}\n`,
    );
    // when the production model scores the file
    await mlops('score', '--model', 'churn', '--input', input, '--out', join(work, 'fresh.scored.csv'));
    // then
    const scored = parseCsv(readFileSync(join(work, 'fresh.scored.csv'), 'utf8'));
    const scores = scored.columns[scored.columnNames.indexOf('score')].map(Number);
    expect(scores).toHaveLength(FRESH_ROWS);
    scores.forEach((score, row) => {
      expect(score).toBeCloseTo(fresh.scores[row], 6);
    });
    // and the drift monitor compares captured traffic with the reference profile built from --data
    const drift = JSON.parse(await mlops('drift', 'run', 'churn', '--json')) as Record<string, unknown>;
    expect(drift).toMatchObject({ model: 'churn', version: 1 });
  }, 120_000);
});
