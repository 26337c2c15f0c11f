// Over 400 lines on purpose: the whole config file, field by field, so validation, defaults, docs and the JSON Schema come from one place.
import * as z from 'zod';
import { FEEDBACK_UPLOAD_FOLDER } from '../ground-truth/layout';
import { DEFAULT_TIME_BUDGET_SECONDS } from '../train/search';
import { GATE_METRIC_NAMES, type GateMetric, gateMetricsFor } from '../workflow/gate-metrics';
import { MODEL_NAME_PATTERN } from '../workflow/layout';
import { type FeatureViewConfig, featureViewSchema } from './feature-view-schema';

/**
 * The platform config file (`mlops.config.json` or YAML), as users write it.
 * Every field but a model's name and target has a documented default; `parseConfig` applies
 * them and resolves what depends on other fields (problem type, gate metric and floor).
 */

export const PROBLEM_TYPES = ['binary', 'regression'] as const;
export const LEARNERS = ['auto', 'gbdt', 'linear'] as const;
export const ENDPOINT_AUTH = ['AWS_IAM', 'NONE'] as const;
export const DRIFT_TESTS = ['auto', 'ks', 'chisquare', 'ztest', 'wasserstein', 'jensenshannon', 'psi'] as const;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** EventBridge schedule expressions: `rate(1 day)`, `rate(6 hours)`, `cron(0 3 * * ? *)`. */
export const SCHEDULE_PATTERN = /^(rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$/;
const SAGEMAKER_ENDPOINT_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const PROJECT_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

const schedule = (what: string) =>
  z.string().regex(SCHEDULE_PATTERN, {
    message: `${what} must be an EventBridge schedule such as "rate(1 day)", "rate(6 hours)" or "cron(0 3 * * ? *)"`,
  });

const learnerParamsSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional();

const trainingParamsSchema = z
  .object({
    seed: z.number().int().default(42).describe('Random seed: the same data and seed give the same model.'),
    validationShare: z
      .number()
      .gt(0, { message: 'validationShare must be above 0 (a share of rows, e.g. 0.2)' })
      .lt(1, { message: 'validationShare must be below 1 (a share of rows, e.g. 0.2)' })
      .default(0.2)
      .describe('Share of rows held out to evaluate and gate the candidate.'),
    timeBudgetSeconds: z
      .number()
      .min(0, { message: 'timeBudgetSeconds must be 0 or more (seconds, e.g. 60)' })
      .default(DEFAULT_TIME_BUDGET_SECONDS)
      .describe(
        "Seconds the settings search may run after each learner's defaults; 0 trains only the defaults. The search order is fixed, so a budget that is not reached gives the same model on every machine.",
      ),
    refit: z
      .boolean()
      .default(true)
      .describe(
        'Refit the chosen settings on all training rows after selection (a second fit). false keeps the model selection trained on its own split: about half the training time on large data, for a small loss (measured +0.002 AUC from the refit at 100,000 rows). Selection by k-fold (below 5,000 rows) always refits.',
      ),
    gbdt: learnerParamsSchema.describe(
      'Parameters of the gradient-boosted trees learner (e.g. trees, depth, learningRate).',
    ),
    linear: learnerParamsSchema.describe('Parameters of the linear learner (e.g. l2, epochs).'),
  })
  .strict()
  .describe('Training parameters, passed to the trainer as MLOPS_TRAIN_PARAMS.');

export const TRAINING_DATA_SOURCES = ['newest', 'window', 'window-and-feedback'] as const;

const trainingDataSchema = z
  .object({
    source: z
      .enum(TRAINING_DATA_SOURCES)
      .default('newest')
      .describe(
        "What a run trains on. newest: the run's data file alone (the newest valid upload, or the file that triggered the run). window: that file plus every other valid upload under the model's raw prefix from the last windowDays, aligned to that file's columns. window-and-feedback: those plus the live predictions whose outcome arrived (their recorded features, the outcome as the target); the prediction log then records each request's feature values.",
      ),
    windowDays: z
      .number()
      .positive({ message: 'training.data.windowDays must be above 0 (days, e.g. 30)' })
      .max(3650, { message: 'training.data.windowDays must be at most 3650 (10 years)' })
      .default(30)
      .describe(
        'window sources: uploads (by upload time) and predictions (by prediction time) from this many past days.',
      ),
    maxFiles: z
      .number()
      .int()
      .min(1, { message: 'training.data.maxFiles must be at least 1' })
      .max(1000, { message: 'training.data.maxFiles must be at most 1000' })
      .default(100)
      .describe(
        'window sources: at most this many uploads, the newest kept; each is read once in its life (its snapshot is reused by later runs), and older ones are left out with a note in the run record.',
      ),
  })
  .strict()
  .describe(
    "The training set: the newest upload (today's behaviour), every upload in a window, or those plus the joined feedback rows. The run's data file decides the columns and holds the gate's hold-out, which is never trained on.",
  );

const trainingSchema = z
  .object({
    data: trainingDataSchema.prefault({}),
    vcpu: z
      .number()
      .positive({ message: 'vcpu must be positive, e.g. 1' })
      .default(1)
      .describe('vCPUs per training job. Fargate accepts 0.25, 0.5, 1, 2, 4, 8, 16.'),
    memoryMiB: z.number().int().positive().default(4096).describe('Memory per training job in MiB.'),
    gpu: z
      .number()
      .int()
      .min(0)
      .max(8, { message: 'gpu must be at most 8' })
      .default(0)
      .describe('GPUs per training job; above 0 the job runs on EC2 GPU instances instead of Fargate.'),
    spot: z.boolean().default(false).describe('Run on Spot capacity (Fargate Spot, or EC2 Spot with GPUs).'),
    timeoutMinutes: z
      .number()
      .int()
      .min(1, { message: 'timeoutMinutes must be at least 1 (AWS Batch minimum)' })
      .max(10080, { message: 'timeoutMinutes must be at most 10080 (7 days)' })
      .default(60)
      .describe('A training job is stopped after this many minutes.'),
    image: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Folder (relative to the config file) with a Dockerfile following the trainer contract; default: containers/trainer.',
      ),
    maxDataMiB: z
      .number()
      .positive()
      .default(256)
      .describe(
        'Largest data file a run accepts, in MiB. Validate checks the size before reading and holds the file in memory (its function has 1769 MB), so raise it only with care; split larger data into several files.',
      ),
  })
  .describe('The training set and the compute for the training job on AWS Batch.');

const gateSchema = z
  .object({
    metric: z
      .enum(GATE_METRIC_NAMES)
      .optional()
      .describe(
        "Metric the gate compares on held-out rows; default auc (binary) or rmse (regression). Binary: auc, logloss, accuracy, f1 (the last two at each model's own threshold); regression: rmse, mae, r2.",
      ),
    minGain: z
      .number()
      .min(0, { message: 'minGain must be 0 or more: the improvement a candidate needs over the champion' })
      .default(0.005)
      .describe("Improvement (in the metric's direction) a candidate needs over the champion to be promoted."),
    floor: z
      .number()
      .nullable()
      .optional()
      .describe(
        'The first model is promoted only if its metric reaches this value (a ceiling for error metrics); default 0.6 for auc, none otherwise; null disables.',
      ),
  })
  .describe('When a candidate replaces the production model.');

const retrainSchema = z
  .object({
    onUpload: z.boolean().default(true).describe("Retrain when data lands under the model's raw prefix."),
    onDrift: z.boolean().default(true).describe('Retrain when the drift monitor reports dataset drift.'),
    cron: schedule('retrain.cron').optional().describe('Also retrain on this schedule.'),
  })
  .describe('What starts a retraining run (it can always be started by hand).');

const driftColumnSchema = z
  .object({
    test: z.enum(DRIFT_TESTS).default('auto').describe('Statistical test; auto picks by column type and size.'),
    threshold: z.number().positive().optional().describe("Overrides the test's default threshold for this column."),
    ignore: z.boolean().default(false).describe('Leave this column out of drift detection.'),
  })
  .describe('Per-column drift settings.');

const driftSchema = z
  .object({
    schedule: schedule('drift.schedule').default('rate(1 day)').describe('How often drift is checked.'),
    windowHours: z
      .number()
      .int()
      .min(1, { message: 'drift.windowHours must be at least 1' })
      .max(24 * 90, { message: 'drift.windowHours must be at most 2160 (90 days)' })
      .default(24)
      .describe('Captured traffic from this many past hours is compared to the reference.'),
    driftShare: z
      .number()
      .gt(0, { message: 'drift.driftShare must be above 0' })
      .max(1, { message: 'drift.driftShare must be at most 1' })
      .default(0.5)
      .describe('Dataset drift when at least this share of columns drifted.'),
    pValue: z.number().gt(0).lt(1).default(0.05).describe('p-value tests flag drift below this value.'),
    distance: z.number().positive().default(0.1).describe('Distance tests flag drift at or above this value.'),
    columns: z.record(z.string(), driftColumnSchema).default({}).describe('Per-column overrides by column name.'),
    minRows: z
      .number()
      .int()
      .min(1, { message: 'drift.minRows must be at least 1' })
      .default(100)
      .describe('Fewer captured rows than this in the window: no verdict.'),
    cooldownHours: z
      .number()
      .min(0)
      .default(24)
      .describe('After a drift-triggered retrain, no other one starts for this many hours.'),
  })
  .describe('Drift monitoring of captured traffic against the training reference.');

const qualitySchema = z
  .object({
    schedule: schedule('quality.schedule')
      .default('rate(1 day)')
      .describe('How often outcomes are joined to predictions and model quality is measured.'),
    windowHours: z
      .number()
      .int()
      .min(1, { message: 'quality.windowHours must be at least 1' })
      .max(24 * 90, { message: 'quality.windowHours must be at most 2160 (90 days)' })
      .default(24 * 7)
      .describe(
        'Quality is measured on the predictions made in this many past hours that have an outcome by now; outcomes arrive late, so longer than the drift window.',
      ),
    lookbackDays: z
      .number()
      .int()
      .min(1, { message: 'quality.lookbackDays must be at least 1' })
      .max(365, { message: 'quality.lookbackDays must be at most 365' })
      .default(30)
      .describe(
        'An outcome can still be joined to a prediction made this many days ago; older ones are counted as expired.',
      ),
    minLabeled: z
      .number()
      .int()
      .min(1, { message: 'quality.minLabeled must be at least 1' })
      .default(200)
      .describe(
        'Fewer predictions with an outcome than this in the window: the numbers are reported, nothing is acted on.',
      ),
    minAuc: z
      .number()
      .gt(0, { message: 'quality.minAuc must be between 0 and 1' })
      .max(1, { message: 'quality.minAuc must be between 0 and 1' })
      .optional()
      .describe('Binary models: live AUC below this floor is a quality drop. Default: no floor.'),
    maxRmse: z
      .number()
      .positive({ message: 'quality.maxRmse must be positive' })
      .optional()
      .describe('Regression models: live RMSE above this ceiling is a quality drop. Default: no ceiling.'),
    maxAucDrop: z
      .number()
      .min(0, { message: 'quality.maxAucDrop must be 0 or more (AUC points, e.g. 0.05)' })
      .default(0.05)
      .describe(
        "Binary models: live AUC more than this below the version's own validation AUC is a quality drop; the limit widens by two standard errors of the difference (Hanley-McNeil, from both samples' class counts) so a small validation split measured high by chance is not a drop.",
      ),
    maxRmseRise: z
      .number()
      .min(0, { message: 'quality.maxRmseRise must be 0 or more (a share, e.g. 0.25 for 25%)' })
      .default(0.25)
      .describe(
        "Regression models: live RMSE more than this share above the version's own validation RMSE is a quality drop.",
      ),
    alert: z.boolean().default(true).describe('Publish an SNS alert on a quality drop or a rollback.'),
    retrain: z.boolean().default(true).describe('Start a retraining run on a quality drop (behind the cooldown).'),
    cooldownHours: z
      .number()
      .min(0)
      .default(24)
      .describe('After a quality-triggered retrain, no other one starts for this many hours.'),
    rollbackOnRegression: z
      .boolean()
      .default(false)
      .describe(
        'Roll production back to the previous version when the version promoted last measures worse on live outcomes than its predecessor did (both with at least minLabeled outcomes).',
      ),
    rollbackMargin: z
      .number()
      .min(0)
      .default(0.01)
      .describe(
        'How much worse the new version must measure before a rollback: AUC points (binary) or a share of RMSE (regression).',
      ),
  })
  .describe('Model quality on live outcomes (ground truth joined to predictions), and what a drop does.');

const endpointSchema = z
  .object({
    auth: z
      .enum(ENDPOINT_AUTH, { message: 'endpoint.auth must be "AWS_IAM" (SigV4-signed requests) or "NONE" (public)' })
      .default('AWS_IAM')
      .describe('Function URL auth: AWS_IAM (SigV4) or NONE (public; needs acknowledgePublicAccess).'),
    acknowledgePublicAccess: z
      .boolean()
      .default(false)
      .describe('Must be true when auth is NONE: confirms that anyone who finds the URL can call it, on your bill.'),
    reservedConcurrency: z
      .number()
      .int()
      .min(1, { message: 'endpoint.reservedConcurrency must be at least 1' })
      .max(1000, { message: 'endpoint.reservedConcurrency must be at most 1000 (the default account limit)' })
      .optional()
      .describe(
        "Concurrent executions reserved for (and capping) the endpoint. Unset by default: a new account's concurrency quota (often 10) leaves none to reserve and the deploy fails; see docs/deploy.md.",
      ),
    maxInstances: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(1000)
      .describe('Most rows accepted in one POST /predict.'),
    unknownFeatures: z.enum(['warn', 'reject']).default('warn').describe('Fields the model does not know.'),
    missingFeatures: z.enum(['impute', 'reject']).default('impute').describe('Features absent from a row.'),
    captureSampleRate: z
      .number()
      .min(0, { message: 'endpoint.captureSampleRate must be between 0 and 1' })
      .max(1, { message: 'endpoint.captureSampleRate must be between 0 and 1' })
      .default(0.1)
      .describe('Share of requests captured to the monitoring zone.'),
    modelRefreshSeconds: z
      .number()
      .int()
      .min(1, { message: 'endpoint.modelRefreshSeconds must be at least 1' })
      .max(3600, { message: 'endpoint.modelRefreshSeconds must be at most 3600' })
      .default(60)
      .describe('Seconds between checks of the production alias: a promotion or rollback is served within this time.'),
    sagemakerEndpointName: z
      .string()
      .regex(SAGEMAKER_ENDPOINT_PATTERN, {
        message: 'endpoint.sagemakerEndpointName must be a SageMaker endpoint name (letters, digits, hyphens)',
      })
      .optional()
      .describe('Score with this SageMaker endpoint instead of in the function.'),
  })
  .describe('The HTTPS inference endpoint (Lambda Function URL).');

/** Names whose raw-zone prefix holds something other than a model's training data. */
export const RESERVED_MODEL_NAMES: readonly string[] = [FEEDBACK_UPLOAD_FOLDER];

const predictionsSchema = z
  .object({
    log: z
      .boolean()
      .default(true)
      .describe(
        'Record every prediction (id, version, time, score, label) under predictions/<model>/ in the monitoring zone for the ground-truth join; separate from the sampled drift capture. false: predictions still get ids, nothing is recorded.',
      ),
    idField: z
      .string()
      .min(1, { message: 'predictions.idField must name an instance field such as "order_id"' })
      .max(128)
      .optional()
      .describe(
        "The instance field (endpoint, stream) or column (batch scoring) that carries the caller's own prediction id, such as an order id; it is taken out before scoring, so it is never an unknown feature. Rows without it get an id of ours.",
      ),
  })
  .describe('Prediction ids and the prediction log the ground-truth join reads.');

const streamingSchema = z
  .object({
    batchSize: z.number().int().min(1).max(10000).default(100).describe('Records per scoring batch.'),
    maxBatchingWindowSeconds: z.number().int().min(0).max(300).default(5),
    shardCount: z
      .number()
      .int()
      .min(1, { message: 'streaming.shardCount must be at least 1' })
      .max(100, { message: 'streaming.shardCount must be at most 100' })
      .default(1)
      .describe('Shards of the input and output streams (each about 1 MB/s or 1000 records/s in).'),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(10000, { message: 'streaming.maxRetries must be at most 10000 (Lambda limit)' })
      .default(2)
      .describe('Retries of a batch that failed for a transient reason before it goes to the dead-letter queue.'),
    retentionHours: z
      .number()
      .int()
      .min(24, { message: 'streaming.retentionHours must be 24 to 8760' })
      .max(8760, { message: 'streaming.retentionHours must be 24 to 8760' })
      .default(24)
      .describe('How long records stay readable in the streams.'),
  })
  .describe('Optional streaming scoring from a Kinesis stream (billed per shard-hour while deployed).');

const batchScoringSchema = z
  .object({
    schedule: schedule('batchScoring.schedule')
      .optional()
      .describe("Score everything under the model's score/input/ prefix on this schedule."),
    onUpload: z
      .boolean()
      .default(true)
      .describe('Score each file uploaded under <model>/score/input/ in the curated zone.'),
    shards: z
      .number()
      .int()
      .min(1, { message: 'batchScoring.shards must be at least 1' })
      .max(10000, { message: 'batchScoring.shards must be at most 10000 (AWS Batch array limit)' })
      .default(1)
      .describe('AWS Batch array children of a scheduled or submitted job; child i scores objects i, i+n, ...'),
    vcpu: z.number().positive().default(1).describe('vCPUs per scoring shard (Fargate sizes).'),
    memoryMiB: z.number().int().positive().default(2048).describe('Memory per scoring shard in MiB.'),
    spot: z.boolean().default(false).describe('Run on Fargate Spot.'),
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(10080)
      .default(60)
      .describe('A shard is stopped after this many minutes.'),
  })
  .describe('Optional batch scoring on AWS Batch over files in the curated zone.');

export const modelSchema = z
  .object({
    name: z
      .string({ message: 'name is required: a lower-case model name such as "churn"' })
      .regex(MODEL_NAME_PATTERN, {
        message: 'name must be lower-case letters, digits and hyphens, start with a letter, at most 40 characters',
      })
      .describe("The model's name: its raw-zone prefix, endpoint path and resource names."),
    target: z
      .string({ message: 'target is required: the column the model predicts' })
      .min(1, { message: 'target must name the column the model predicts' })
      .describe('The column to predict.'),
    positiveLabel: z
      .string()
      .min(1)
      .optional()
      .describe('Binary models: the target value that counts as positive (e.g. "yes").'),
    problemType: z
      .enum(PROBLEM_TYPES)
      .optional()
      .describe('binary or regression; default binary when positiveLabel is given, else regression.'),
    features: z
      .union([
        z.literal('all'),
        z.array(z.string().min(1)).min(1, { message: 'features must list at least one column' }),
      ])
      .default('all')
      .describe('"all" columns but the target, or a list of column names.'),
    learner: z.enum(LEARNERS).default('auto').describe('auto tries gbdt and linear and keeps the better one.'),
    params: trainingParamsSchema.prefault({}),
    training: trainingSchema.prefault({}),
    gate: gateSchema.prefault({}),
    retrain: retrainSchema.prefault({}),
    drift: driftSchema.prefault({}),
    quality: qualitySchema.prefault({}),
    endpoint: endpointSchema.prefault({}),
    predictions: predictionsSchema.prefault({}),
    streaming: streamingSchema.optional(),
    batchScoring: batchScoringSchema.optional(),
    featureView: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Name of a featureViews entry: requests may send only its entity key (the endpoint reads the view's other features from the online store), and runs join the uploaded labels with the view's history at each label's time.",
      ),
    labelTimeColumn: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Models with a featureView: the column of a training upload that holds each label's time, for the point-in-time join. Default: the view's eventTimeColumn.",
      ),
  })
  .strict()
  .superRefine((model, ctx) => {
    const problemType = model.problemType ?? (model.positiveLabel === undefined ? 'regression' : 'binary');
    if (problemType === 'binary' && model.positiveLabel === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['positiveLabel'],
        message: 'binary models need positiveLabel: the target value that counts as positive, e.g. "yes"',
      });
    }
    if (problemType === 'regression' && model.positiveLabel !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['positiveLabel'],
        message: 'regression models have no positive label: remove positiveLabel or set problemType "binary"',
      });
    }
    const metric = model.gate.metric;
    const fitting = gateMetricsFor(problemType);
    if (metric !== undefined && !fitting.includes(metric)) {
      ctx.addIssue({
        code: 'custom',
        path: ['gate', 'metric'],
        message: `metric "${metric}" does not fit a ${problemType} model: use one of ${fitting.join(', ')}`,
      });
    }
    if (Array.isArray(model.features) && model.features.includes(model.target)) {
      ctx.addIssue({
        code: 'custom',
        path: ['features'],
        message: `features lists the target "${model.target}": remove it, the target is never a feature`,
      });
    }
    if (RESERVED_MODEL_NAMES.includes(model.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `name "${model.name}" is reserved: uploaded actuals live under ${model.name}/<model>/ in the raw zone; choose another name`,
      });
    }
    const { idField } = model.predictions;
    if (idField !== undefined && idField === model.target) {
      ctx.addIssue({
        code: 'custom',
        path: ['predictions', 'idField'],
        message: `predictions.idField "${idField}" is the target: name the field that carries the caller's prediction id`,
      });
    }
    if (idField !== undefined && Array.isArray(model.features) && model.features.includes(idField)) {
      ctx.addIssue({
        code: 'custom',
        path: ['predictions', 'idField'],
        message: `predictions.idField "${idField}" is listed in features: an id is never a feature, remove it from features`,
      });
    }
    if (problemType === 'regression' && model.quality.minAuc !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['quality', 'minAuc'],
        message: 'quality.minAuc is a floor for binary models; a regression model takes quality.maxRmse',
      });
    }
    if (problemType === 'binary' && model.quality.maxRmse !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['quality', 'maxRmse'],
        message: 'quality.maxRmse is a ceiling for regression models; a binary model takes quality.minAuc',
      });
    }
    if (model.endpoint.auth === 'NONE' && !model.endpoint.acknowledgePublicAccess) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint', 'acknowledgePublicAccess'],
        message:
          'endpoint.auth is "NONE": the URL is public and anyone who finds it runs the function on your bill; set endpoint.acknowledgePublicAccess to true to confirm, or set endpoint.auth to "AWS_IAM" (SigV4)',
      });
    }
    if (model.training.gpu === 0) {
      const problem = fargateSizeProblem(model.training.vcpu, model.training.memoryMiB);
      if (problem) ctx.addIssue({ code: 'custom', path: ['training'], message: problem });
    }
    if (model.batchScoring) {
      const problem = fargateSizeProblem(model.batchScoring.vcpu, model.batchScoring.memoryMiB);
      if (problem) ctx.addIssue({ code: 'custom', path: ['batchScoring'], message: problem });
    }
  });

export const platformSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of mlops.config.schema.json, for editors.'),
    project: z
      .string()
      .regex(PROJECT_PATTERN, {
        message: 'project must start with a letter and hold letters, digits and hyphens (at most 40)',
      })
      .default('mlops')
      .describe('Prefix of the CloudFormation stack name and resource names.'),
    logRetentionDays: z
      .literal(LOG_RETENTION_DAYS, {
        message: `logRetentionDays must be one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30)
      .describe('How long function, workflow and flow logs are kept.'),
    models: z
      .array(modelSchema, { message: 'models is required: a list of models, e.g. [{ "name": "churn", ... }]' })
      .min(1, { message: 'models must hold at least one model' }),
    featureViews: z
      .array(featureViewSchema)
      .default([])
      .describe('Feature views: features looked up by entity key, for training and serving (see docs).'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const views = new Map<string, number>();
    config.featureViews.forEach((view, index) => {
      const first = views.get(view.name);
      if (first === undefined) views.set(view.name, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['featureViews', index, 'name'],
          message: `feature view name "${view.name}" is already used by featureViews[${first}]: names must be unique`,
        });
    });
    config.models.forEach((model, index) => {
      if (model.featureView === undefined) {
        if (model.labelTimeColumn !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['models', index, 'labelTimeColumn'],
            message: 'labelTimeColumn is used only with featureView: set featureView or remove labelTimeColumn',
          });
        return;
      }
      const view = config.featureViews.find((candidate) => candidate.name === model.featureView);
      if (!view) {
        const known = config.featureViews.map((candidate) => `"${candidate.name}"`).join(', ') || 'none';
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'featureView'],
          message: `featureView "${model.featureView}" is not in featureViews (defined: ${known})`,
        });
        return;
      }
      if (view.entityKey === model.target)
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'featureView'],
          message: `view "${view.name}" is keyed by "${view.entityKey}", the model's target: the key must identify the entity, not be predicted`,
        });
      if (Array.isArray(view.features) && view.features.includes(model.target))
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'featureView'],
          message: `view "${view.name}" holds the model's target "${model.target}" as a feature: remove it from the view`,
        });
    });
    const seen = new Map<string, number>();
    config.models.forEach((model, index) => {
      const first = seen.get(model.name);
      if (first === undefined) seen.set(model.name, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'name'],
          message: `model name "${model.name}" is already used by models[${first}]: names must be unique`,
        });
    });
  })
  .describe('Serverless MLOps platform config: read by `cdk deploy` and by the local platform.');

/** Fargate's valid vCPU/memory pairs (MiB); returns why a pair is invalid, or null. */
export function fargateSizeProblem(vcpu: number, memoryMiB: number): string | null {
  const ranges: Record<string, [number, number, number]> = {
    '0.25': [512, 2048, 512],
    '0.5': [1024, 4096, 1024],
    '1': [2048, 8192, 1024],
    '2': [4096, 16384, 1024],
    '4': [8192, 30720, 1024],
    '8': [16384, 61440, 4096],
    '16': [32768, 122880, 8192],
  };
  const range = ranges[String(vcpu)];
  if (!range) return `vcpu ${vcpu} is not a Fargate size: use 0.25, 0.5, 1, 2, 4, 8 or 16 (or set gpu above 0)`;
  const [min, max, step] = range;
  if (memoryMiB < min || memoryMiB > max || memoryMiB % step !== 0) {
    return `memoryMiB ${memoryMiB} does not fit ${vcpu} vCPU on Fargate: use ${min} to ${max} in steps of ${step}`;
  }
  return null;
}

export type ModelInput = z.input<typeof modelSchema>;
export type PlatformInput = z.input<typeof platformSchema>;
type ParsedModel = z.output<typeof modelSchema>;

/** A model with every default applied and the dependent fields resolved. */
export interface ModelConfig extends Omit<ParsedModel, 'problemType' | 'gate'> {
  readonly problemType: (typeof PROBLEM_TYPES)[number];
  readonly gate: {
    readonly metric: GateMetric;
    readonly minGain: number;
    /** Threshold the first model must reach; null: any first model is promoted. */
    readonly floor: number | null;
  };
}

export interface PlatformConfig {
  readonly project: string;
  readonly logRetentionDays: number;
  readonly models: readonly ModelConfig[];
  readonly featureViews: readonly FeatureViewConfig[];
  /** Where the config came from (a path, or a label for configs built in code). */
  readonly source: string;
}
