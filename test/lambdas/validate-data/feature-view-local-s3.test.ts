import type { Context } from 'aws-lambda';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { featureViewConfigToEnv, modelConfigToEnv, RUNTIME_ENV } from '../../../core/config/runtime-env';
import { parseCsv } from '../../../core/data/csv';
import { getColumn } from '../../../core/data/table';
import { readRunRecord } from '../../../core/runs/run-record';
import type { EvaluationResult, ValidationResult } from '../../../core/workflow/contract';
import { ZONE_ENV } from '../../../core/workflow/layout';
import type * as EvaluateModule from '../../../lambdas/evaluate-model/handler';
import type * as ValidateModule from '../../../lambdas/validate-data/handler';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';
import { BUCKETS, churnModel, MODEL, trainAsContainer, uploadInput, type Zones } from '../fixtures/workflow';
import { CUSTOMERS, labels, spendAtLabel, VIEW, viewV1, viewV2 } from './fixtures/customer-view';

/**
 * The deployed validate handler of a model with a feature view, configured from the environment
 * the CDK app sets (MLOPS_FEATURE_VIEW), with the real @aws-sdk/client-s3 against the local
 * S3 endpoint; then the trainer entry and the evaluate handler on its snapshot, as the state
 * machine runs them.
 */
type Handler<O> = (event: unknown, context: Context) => Promise<O>;

const context = {
  awsRequestId: 'req-1',
  functionName: 'step',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:step',
  memoryLimitInMB: '1769',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;

let harness: LocalS3Harness;
let zones: Zones;
let validate: Handler<ValidationResult>;
let evaluate: Handler<EvaluationResult>;
const savedEnv = { ...process.env };
const model = churnModel({ featureView: 'customer' });

beforeAll(async () => {
  harness = await startLocalS3Harness(Object.values(BUCKETS));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: harness.server.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
    [RUNTIME_ENV.featureViewConfig]: featureViewConfigToEnv(VIEW),
    [ZONE_ENV.raw]: BUCKETS.raw,
    [ZONE_ENV.curated]: BUCKETS.curated,
    [ZONE_ENV.artifacts]: BUCKETS.artifacts,
  });
  // Loaded after the environment is set, as Lambda loads a function into a prepared container.
  validate = (require('../../../lambdas/validate-data/handler') as typeof ValidateModule)
    .handler as Handler<ValidationResult>;
  evaluate = (require('../../../lambdas/evaluate-model/handler') as typeof EvaluateModule)
    .handler as Handler<EvaluationResult>;
  zones = {
    raw: new S3ObjectStore(harness.client, BUCKETS.raw),
    curated: new S3ObjectStore(harness.client, BUCKETS.curated),
    artifacts: new S3ObjectStore(harness.client, BUCKETS.artifacts),
  };
});

afterAll(async () => {
  process.env = savedEnv;
  await harness.stop();
});

describe('validate handler with a feature view, against the local S3 endpoint', () => {
  it('trains on the labels joined with the view as of each label time', async () => {
    // given the view's two versions and a platform record in the curated zone, the labels in the raw zone
    await zones.curated.put('features/customer/2026-03-v1.csv', viewV1());
    await zones.curated.put('features/customer/_meta/versions/x.json', '{}');
    await zones.curated.put('features/customer/2026-03-v2.csv', viewV2());
    await zones.raw.put('churn/labels.csv', labels());
    const input = uploadInput('churn/labels.csv');
    // when the state machine's Validate, Train and Evaluate run
    const validation = await validate(input, context);
    const training = await trainAsContainer(zones, validation, { learner: 'linear' });
    const evaluation = await evaluate(
      { ...input, validation, training: { jobId: 'job', status: 'SUCCEEDED' } },
      context,
    );
    // then the snapshot holds the values as of each label, never the later ones
    const snapshot = parseCsv((await zones.curated.get(validation.snapshotKey))!.body, { numbers: true });
    expect(snapshot.columnNames).toEqual(['age', 'churned', 'spend', 'visits']);
    expect(getColumn(snapshot, 'spend')).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => spendAtLabel(i)));
    // and the model learnt from them: the later values say the opposite, and would score near 0
    expect(training.exitCode).toBe(0);
    expect(training.log.join('\n')).not.toMatch(/customer_id|event_time/);
    expect(evaluation.candidateScore).toBeGreaterThan(0.9);
    const record = await readRunRecord(zones.artifacts, MODEL, validation.runId);
    expect(record?.inputs?.featureView?.files.map((file) => file.key)).toEqual([
      'features/customer/2026-03-v1.csv',
      'features/customer/2026-03-v2.csv',
    ]);
    expect(record?.inputs?.featureView?.files.every((file) => /^"[0-9a-f]{32}"$/.test(file.etag ?? ''))).toBe(true);
  });
});
