import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { modelConfigToEnv, RUNTIME_ENV } from '../../../core/config/runtime-env';
import { qualityLatestKey, qualityLatestSchema } from '../../../core/ground-truth/report';
import { executionInputSchema } from '../../../core/workflow/contract';
import { ZONE_ENV } from '../../../core/workflow/layout';
import { createQualityMonitorHandler, qualityMonitorDepsFromEnv } from '../../../lambdas/quality-monitor/handler';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';
import { capturingEmf, recordingClient } from '../../support/monitor-ports';
import {
  HOUR_MS,
  MODEL,
  NOW,
  postOutcomes,
  promoteNewVersion,
  qualityModel,
  traffic,
  uploadOutcomes,
  writePredictions,
} from './fixtures';

/**
 * The deployed handler end to end over the local S3 endpoint: config from the environment, the
 * join, the registry and the reports through the real S3 client, EMF metrics on stdout. SNS and
 * Step Functions clients are real with `send` replaced by recorders, as in the drift monitor's test.
 */
const ARTIFACTS = 'artifacts';
const MONITORING = 'monitoring';
const RAW = 'raw';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:churn-quality-alerts';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:churn-retraining';
const context = { awsRequestId: 'req-quality-1', functionName: 'quality-monitor' } as Context;
const scheduledEvent = {
  version: '0',
  id: 'evt-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: NOW.toISOString().replace('.000', ''),
  region: 'us-east-1',
  resources: [],
  detail: {},
};
const ago = (ms: number) => new Date(NOW.getTime() - ms);

let harness: LocalS3Harness;

beforeAll(async () => {
  harness = await startLocalS3Harness([ARTIFACTS, MONITORING, RAW]);
  await promoteNewVersion(new S3ObjectStore(harness.client, ARTIFACTS), ago(7 * 24 * HOUR_MS));
  // A model whose scores no longer say anything about the outcomes: half posted, half uploaded.
  const scored = traffic({ version: 1, count: 200, from: ago(48 * HOUR_MS), to: ago(3 * HOUR_MS), skill: 0, seed: 31 });
  const monitoring = new S3ObjectStore(harness.client, MONITORING);
  await writePredictions(monitoring, scored.predictions);
  const outcomes = [...scored.outcomes.entries()];
  await postOutcomes(monitoring, outcomes.slice(0, 100), ago(2 * HOUR_MS));
  await uploadOutcomes(new S3ObjectStore(harness.client, RAW), 'late.csv', outcomes.slice(100));
});

afterAll(async () => {
  await harness.stop();
});

function deployed(envOverrides: Record<string, string | undefined> = {}) {
  const env: NodeJS.ProcessEnv = {
    [RUNTIME_ENV.modelConfig]: modelConfigToEnv(qualityModel()),
    [ZONE_ENV.artifacts]: ARTIFACTS,
    [ZONE_ENV.monitoring]: MONITORING,
    [ZONE_ENV.raw]: RAW,
    [RUNTIME_ENV.stateMachineArn]: STATE_MACHINE_ARN,
    [RUNTIME_ENV.topicArn]: TOPIC_ARN,
    [RUNTIME_ENV.joinSettleSeconds]: '60',
    ...envOverrides,
  };
  const sns = new SNSClient({ region: 'us-east-1' });
  const sfn = new SFNClient({ region: 'us-east-1' });
  const published = recordingClient(sns, () => ({ MessageId: 'msg-1' }));
  const started = recordingClient(sfn, (input) => ({
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:churn-retraining:${input.name}`,
  }));
  const logger = new Logger({ serviceName: 'quality-monitor', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Mlops', serviceName: 'quality-monitor' });
  const handler = createQualityMonitorHandler({
    deps: () => qualityMonitorDepsFromEnv(logger, metrics, env, { s3: harness.client, sns, sfn }),
    logger,
    metrics,
  });
  return { handler, published, started };
}

const invokeCapturingEmf = (handler: ReturnType<typeof deployed>['handler'], event: unknown) =>
  capturingEmf(() => handler(event, context));

describe('quality-monitor handler over the local S3 endpoint', () => {
  it('joins, reports, emits Model-dimension metrics, alerts and starts a quality retrain', async () => {
    // given the deployed handler; when the schedule fires
    const { handler, published, started } = deployed();
    const { result, emf } = await invokeCapturingEmf(handler, scheduledEvent);
    // then
    expect(result).toMatchObject({ model: MODEL, status: 'degraded', labeled: 200, join: { status: 'joined' } });
    const monitoring = new S3ObjectStore(harness.client, MONITORING);
    const latest = await monitoring.get(qualityLatestKey(MODEL));
    expect(qualityLatestSchema.parse(JSON.parse(new TextDecoder().decode(latest!.body)))).toMatchObject({
      status: 'degraded',
      retrain: 'started',
    });
    expect(await monitoring.head('quality/churn/20261129T120000Z/report.html')).not.toBeNull();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      input: { TopicArn: TOPIC_ARN, Subject: 'Quality drop in churn (version 1)' },
    });
    expect(started).toHaveLength(1);
    expect(executionInputSchema.parse(JSON.parse(String(started[0]!.input.input))).trigger.kind).toBe('quality');
    const document = emf.find((entry) => 'QualityAuc' in entry)!;
    expect(document._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Mlops', Dimensions: [['Model']] });
    expect(document).toMatchObject({ Model: MODEL, QualityLabeled: 200, QualityDegraded: 1, QualityRollback: 0 });
  });

  it('rejects an event that is neither a schedule nor an on-demand request', async () => {
    const { handler, published } = deployed();
    await expect(handler({ windowHours: 'all' }, context)).rejects.toThrow(/quality-monitor expects/);
    expect(published).toEqual([]);
  });

  it('fails naming the variable when the join settle time is not a number', async () => {
    const { handler } = deployed({ [RUNTIME_ENV.joinSettleSeconds]: 'soon' });
    await expect(handler({}, context)).rejects.toThrow(/MLOPS_JOIN_SETTLE_SECONDS:[\s\S]*got "soon"/);
  });
});
