import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  configPath,
  defaultsFor,
  loadConfig,
  modelConfigFromEnv,
  modelConfigToEnv,
  parseConfig,
  RUNTIME_ENV,
  stateMachinesFromEnv,
  trainerParamsFor,
} from '../../../core/config';

const churn = { name: 'churn', target: 'churned', positiveLabel: 'yes' };

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseConfig(raw, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

const withModel = (override: Record<string, unknown>) => ({ models: [{ ...churn, ...override }] });

describe('parseConfig applies documented defaults', () => {
  test('a minimal binary model gets every default', () => {
    // given the minimal entry of the README
    // when it is parsed
    const [model] = parseConfig({ models: [churn] }, 'test.json').models;
    // then the documented defaults are in place
    expect(model).toMatchObject({
      problemType: 'binary',
      features: 'all',
      learner: 'auto',
      params: { seed: 42, validationShare: 0.2, timeBudgetSeconds: 60 },
      training: {
        data: { source: 'newest', windowDays: 30, maxFiles: 100 },
        vcpu: 1,
        memoryMiB: 4096,
        gpu: 0,
        spot: false,
        timeoutMinutes: 60,
      },
      gate: { metric: 'auc', minGain: 0.005, floor: 0.6 },
      retrain: { onUpload: true, onDrift: true },
      drift: { schedule: 'rate(1 day)', windowHours: 24, driftShare: 0.5, minRows: 100, cooldownHours: 24 },
      quality: {
        schedule: 'rate(1 day)',
        windowHours: 168,
        lookbackDays: 30,
        minLabeled: 200,
        maxAucDrop: 0.05,
        maxRmseRise: 0.25,
        alert: true,
        retrain: true,
        cooldownHours: 24,
        rollbackOnRegression: false,
      },
      endpoint: {
        auth: 'AWS_IAM',
        acknowledgePublicAccess: false,
        maxInstances: 1000,
        unknownFeatures: 'warn',
        missingFeatures: 'impute',
        captureSampleRate: 0.1,
      },
      predictions: { log: true },
    });
    expect(model.predictions.idField).toBeUndefined();
    expect(model.streaming).toBeUndefined();
  });

  test('the endpoint reserves no concurrency unless the config asks for it', () => {
    // given a model without endpoint settings, when parsed, then no reservation is made
    // (a new account's quota of 10 leaves none to reserve; docs/deploy.md)
    const [model] = parseConfig({ models: [churn] }, 'test.json').models;
    expect(model!.endpoint.reservedConcurrency).toBeUndefined();
  });

  test('a public endpoint is accepted once acknowledged', () => {
    const [model] = parseConfig(withModel({ endpoint: { auth: 'NONE', acknowledgePublicAccess: true } }), 't').models;
    expect(model!.endpoint).toMatchObject({ auth: 'NONE', acknowledgePublicAccess: true });
  });

  test('a model without positiveLabel is a regression gated on rmse with no floor', () => {
    const model = defaultsFor({ name: 'price', target: 'amount' });
    expect(model.problemType).toBe('regression');
    expect(model.gate).toEqual({ metric: 'rmse', minGain: 0.005, floor: null });
  });

  test.each([
    ['binary', churn, ['auc', 'logloss', 'accuracy', 'f1']],
    ['regression', { name: 'price', target: 'amount' }, ['rmse', 'mae', 'r2']],
  ])('a %s model accepts every gate metric the evaluate step measures for it', (_task, model, metrics) => {
    for (const metric of metrics) {
      const [parsed] = parseConfig({ models: [{ ...model, gate: { metric } }] }, 't').models;
      expect(parsed!.gate.metric).toBe(metric);
    }
  });

  test('the project and log retention have defaults', () => {
    const config = parseConfig({ models: [churn] }, 'test.json');
    expect(config).toMatchObject({ project: 'mlops', logRetentionDays: 30, source: 'test.json' });
  });

  test('several models with distinct names are accepted', () => {
    const config = parseConfig({ models: [churn, { name: 'price', target: 'amount' }] }, 'test.json');
    expect(config.models.map((model) => model.name)).toEqual(['churn', 'price']);
  });

  test('learner-specific training parameters are kept per learner', () => {
    const model = defaultsFor({ ...churn, params: { gbdt: { trees: 200, learningRate: 0.05 } } });
    expect(model.params).toEqual({
      seed: 42,
      validationShare: 0.2,
      timeBudgetSeconds: 60,
      refit: true,
      gbdt: { trees: 200, learningRate: 0.05 },
    });
  });
});

describe('parseConfig rejects, naming the field and the fix', () => {
  const rules: [string, unknown, string, RegExp][] = [
    ['a config without models', {}, 'models', /models is required/],
    ['an empty model list', { models: [] }, 'models', /at least one model/],
    ['a model without a name', { models: [{ target: 'x' }] }, 'models[0].name', /name is required/],
    ['a name that is not lower-case', withModel({ name: 'Churn' }), 'models[0].name', /lower-case.*received "Churn"/],
    ['a model without a target', { models: [{ name: 'churn' }] }, 'models[0].target', /target is required/],
    [
      'two models with one name',
      { models: [churn, { ...churn }] },
      'models[1].name',
      /already used by models\[0\].*unique/,
    ],
    ['an unknown field', withModel({ positivelabel: 'yes' }), 'models[0]', /unknown field "positivelabel"/],
    [
      'a model named like the folder of uploaded actuals',
      withModel({ name: 'feedback' }),
      'models[0].name',
      /"feedback" is reserved: uploaded actuals live under feedback\/<model>\//,
    ],
    [
      'a prediction id field that is the target',
      withModel({ predictions: { idField: 'churned' } }),
      'models[0].predictions.idField',
      /"churned" is the target/,
    ],
    [
      'a prediction id field listed as a feature',
      withModel({ features: ['age', 'order_id'], predictions: { idField: 'order_id' } }),
      'models[0].predictions.idField',
      /"order_id" is listed in features: an id is never a feature/,
    ],
    [
      'a training parameter outside seed, validationShare and a learner block',
      withModel({ params: { trees: 100 } }),
      'models[0].params',
      /unknown field "trees"/,
    ],
    [
      'a binary model without positive label',
      { models: [{ name: 'churn', target: 'churned', problemType: 'binary' }] },
      'models[0].positiveLabel',
      /binary models need positiveLabel/,
    ],
    [
      'a regression model with a positive label',
      withModel({ problemType: 'regression' }),
      'models[0].positiveLabel',
      /remove positiveLabel or set problemType "binary"/,
    ],
    [
      'a gate metric of the other problem type',
      withModel({ gate: { metric: 'rmse' } }),
      'models[0].gate.metric',
      /does not fit a binary model: use one of auc/,
    ],
    [
      'a gate metric the evaluate step does not measure',
      withModel({ gate: { metric: 'precision' } }),
      'models[0].gate.metric',
      /auc.*logloss.*accuracy.*f1.*rmse.*mae.*r2/,
    ],
    ['a negative minimum gain', withModel({ gate: { minGain: -0.1 } }), 'models[0].gate.minGain', /0 or more/],
    ['features that list the target', withModel({ features: ['age', 'churned'] }), 'models[0].features', /remove it/],
    ['an empty feature list', withModel({ features: [] }), 'models[0].features', /at least one column/],
    [
      'a vCPU count Fargate does not offer',
      withModel({ training: { vcpu: 3, memoryMiB: 8192 } }),
      'models[0].training',
      /vcpu 3 is not a Fargate size.*or set gpu above 0/,
    ],
    [
      'memory that does not fit the vCPU on Fargate',
      withModel({ training: { vcpu: 1, memoryMiB: 1024 } }),
      'models[0].training',
      /use 2048 to 8192 in steps of 1024/,
    ],
    ['more than 8 GPUs', withModel({ training: { gpu: 16 } }), 'models[0].training.gpu', /at most 8/],
    [
      'a training data source that does not exist',
      withModel({ training: { data: { source: 'everything' } } }),
      'models[0].training.data.source',
      /newest.*window.*window-and-feedback/,
    ],
    [
      'a zero training window',
      withModel({ training: { data: { source: 'window', windowDays: 0 } } }),
      'models[0].training.data.windowDays',
      /above 0/,
    ],
    [
      'an unknown training data field',
      withModel({ training: { data: { days: 7 } } }),
      'models[0].training.data',
      /days/,
    ],
    [
      'a zero timeout',
      withModel({ training: { timeoutMinutes: 0 } }),
      'models[0].training.timeoutMinutes',
      /at least 1/,
    ],
    [
      'a validation share of 1',
      withModel({ params: { validationShare: 1 } }),
      'models[0].params.validationShare',
      /below 1/,
    ],
    [
      'a drift schedule that is not an EventBridge expression',
      withModel({ drift: { schedule: 'daily' } }),
      'models[0].drift.schedule',
      /rate\(1 day\).*received "daily"/,
    ],
    [
      'a retrain cron that is not an EventBridge expression',
      withModel({ retrain: { cron: '0 3 * * *' } }),
      'models[0].retrain.cron',
      /retrain.cron must be an EventBridge schedule/,
    ],
    ['a drift share above 1', withModel({ drift: { driftShare: 1.5 } }), 'models[0].drift.driftShare', /at most 1/],
    ['a zero drift window', withModel({ drift: { windowHours: 0 } }), 'models[0].drift.windowHours', /at least 1/],
    [
      'a quality schedule that is not an EventBridge expression',
      withModel({ quality: { schedule: 'hourly' } }),
      'models[0].quality.schedule',
      /quality.schedule must be an EventBridge schedule/,
    ],
    [
      'a zero quality minLabeled',
      withModel({ quality: { minLabeled: 0 } }),
      'models[0].quality.minLabeled',
      /at least 1/,
    ],
    [
      'a quality minAuc above 1',
      withModel({ quality: { minAuc: 1.2 } }),
      'models[0].quality.minAuc',
      /between 0 and 1/,
    ],
    [
      'an RMSE ceiling on a binary model',
      withModel({ quality: { maxRmse: 3 } }),
      'models[0].quality.maxRmse',
      /binary model takes quality.minAuc/,
    ],
    [
      'a capture rate above 1',
      withModel({ endpoint: { captureSampleRate: 2 } }),
      'models[0].endpoint.captureSampleRate',
      /between 0 and 1/,
    ],
    [
      'a model refresh interval of zero',
      withModel({ endpoint: { modelRefreshSeconds: 0 } }),
      'models[0].endpoint.modelRefreshSeconds',
      /at least 1/,
    ],
    [
      'an unknown auth mode',
      withModel({ endpoint: { auth: 'IAM' } }),
      'models[0].endpoint.auth',
      /"AWS_IAM".*"NONE".*received "IAM"/,
    ],
    [
      'a public endpoint without the acknowledgement',
      withModel({ endpoint: { auth: 'NONE' } }),
      'models[0].endpoint.acknowledgePublicAccess',
      /endpoint\.auth is "NONE".*set endpoint\.acknowledgePublicAccess to true.*"AWS_IAM"/,
    ],
    [
      'a reserved concurrency of 0',
      withModel({ endpoint: { reservedConcurrency: 0 } }),
      'models[0].endpoint.reservedConcurrency',
      /at least 1/,
    ],
    [
      'a SageMaker endpoint name with spaces',
      withModel({ endpoint: { sagemakerEndpointName: 'my endpoint' } }),
      'models[0].endpoint.sagemakerEndpointName',
      /SageMaker endpoint name/,
    ],
    ['a project name with spaces', { project: 'my project', models: [churn] }, 'project', /start with a letter/],
    [
      'a log retention CloudWatch does not offer',
      { logRetentionDays: 10, models: [churn] },
      'logRetentionDays',
      /one of CloudWatch's periods/,
    ],
  ];

  test.each(rules)('%s', (_rule, raw, path, message) => {
    // given a config breaking one rule, when parsed, then the issue names the field and says what to do
    const issues = issuesOf(raw);
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  test('the error message lists the source and every issue', () => {
    expect(() => parseConfig(withModel({ endpoint: { auth: 'IAM' } }), 'team.yaml')).toThrow(
      /Invalid config team\.yaml:\n {2}- models\[0\]\.endpoint\.auth:/,
    );
  });
});

describe('loadConfig reads files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'mlops-config-'));
  const write = (name: string, text: string) => {
    const path = join(folder, name);
    writeFileSync(path, text);
    return path;
  };

  test('the default config at the repository root holds the churn model', () => {
    const config = loadConfig(join(__dirname, '../../../mlops.config.json'));
    expect(config.models.map(({ name, target, positiveLabel }) => ({ name, target, positiveLabel }))).toEqual([churn]);
  });

  test('a YAML config is read like JSON', () => {
    const path = write('config.yaml', 'models:\n  - name: churn\n    target: churned\n    positiveLabel: "yes"\n');
    expect(loadConfig(path).models[0].problemType).toBe('binary');
  });

  test('MLOPS_CONFIG points at the config when no path is given', () => {
    const path = write('env.json', JSON.stringify({ models: [{ name: 'price', target: 'amount' }] }));
    const previous = process.env.MLOPS_CONFIG;
    process.env.MLOPS_CONFIG = path;
    try {
      expect(loadConfig().models[0].name).toBe('price');
    } finally {
      if (previous === undefined) delete process.env.MLOPS_CONFIG;
      else process.env.MLOPS_CONFIG = previous;
    }
  });

  test('a missing file is reported with how to create or point to one', () => {
    expect(() => loadConfig(join(folder, 'absent.json'))).toThrow(/create mlops\.config\.json or set MLOPS_CONFIG/);
  });

  test('a file that is not JSON is reported as unparseable', () => {
    const path = write('broken.json', '{ "models": [');
    expect(() => loadConfig(path)).toThrow(/broken\.json[\s\S]*cannot be parsed/);
  });

  test('a training image folder without a Dockerfile is rejected', () => {
    const path = write('image.json', JSON.stringify(withModel({ training: { image: 'no-such-folder' } })));
    expect(() => loadConfig(path)).toThrow(/models\[0\]\.training\.image: .*no-such-folder holds no Dockerfile/);
  });

  test('a training image folder is resolved relative to the config file', () => {
    write('Dockerfile', 'FROM scratch\n');
    const path = write('own-image.json', JSON.stringify(withModel({ training: { image: '.' } })));
    expect(loadConfig(path).models[0].training.image).toBe(folder);
  });
});

describe('runtime environment', () => {
  test('the trainer parameters follow the trainer contract', () => {
    const model = defaultsFor({
      ...churn,
      features: ['age', 'plan'],
      learner: 'gbdt',
      params: { gbdt: { trees: 50 } },
    });
    expect(trainerParamsFor(model)).toEqual({
      task: 'binary',
      features: ['age', 'plan'],
      learner: 'gbdt',
      seed: 42,
      validationFraction: 0.2,
      timeBudgetSeconds: 60,
      refit: true,
      learnerParams: { gbdt: { trees: 50 } },
    });
  });

  test('all features are sent as no feature list', () => {
    expect(trainerParamsFor(defaultsFor(churn))).not.toHaveProperty('features');
  });

  test('a model config survives the trip through the function environment', () => {
    const model = defaultsFor({ ...churn, endpoint: { auth: 'NONE', acknowledgePublicAccess: true } });
    const env = { [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model) };
    expect(modelConfigFromEnv(env)).toEqual(model);
  });

  test('a function deployed without its model config fails fast and says why', () => {
    expect(() => modelConfigFromEnv({})).toThrow(/MLOPS_MODEL_CONFIG[\s\S]*is not set/);
  });

  test('the trigger reads its model to state machine map', () => {
    const env = { [RUNTIME_ENV.stateMachines]: '{"churn":"arn:aws:states:eu-west-1:1:stateMachine:x"}' };
    expect(stateMachinesFromEnv(env)).toEqual({ churn: 'arn:aws:states:eu-west-1:1:stateMachine:x' });
  });

  test('a malformed state machine map is rejected with what was received', () => {
    expect(() => stateMachinesFromEnv({ [RUNTIME_ENV.stateMachines]: '[1]' })).toThrow(/received "\[1\]"/);
  });
});

describe('configPath', () => {
  test('an empty MLOPS_CONFIG falls back to mlops.config.json in the working directory', () => {
    expect(configPath(undefined, { MLOPS_CONFIG: '' }, '/repo')).toBe('/repo/mlops.config.json');
  });

  test('an explicit path wins over MLOPS_CONFIG', () => {
    expect(configPath('team.yaml', { MLOPS_CONFIG: 'other.json' }, '/repo')).toBe('/repo/team.yaml');
  });
});
