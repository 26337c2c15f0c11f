import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { S3ObjectStore } from '../../../adapters/s3-object-store';
import { modelConfigToEnv, RUNTIME_ENV } from '../../../core/config/runtime-env';
import { driftReportSchema } from '../../../core/drift/report';
import { executionInputSchema } from '../../../core/workflow/contract';
import { ZONE_ENV } from '../../../core/workflow/layout';
import { createDriftMonitorHandler, driftMonitorDepsFromEnv } from '../../../lambdas/drift-monitor/handler';
import { type LocalS3Harness, startLocalS3Harness } from '../../support/local-s3-harness';
import { capturingEmf, recordingClient } from '../../support/monitor-ports';
import { driftModel, MODEL, NOW, publishProduction, STATE_MACHINE_ARN, trafficRows, writeCaptures } from './fixtures';

/**
 * The deployed handler end to end: middy, config from the environment, the registry and the
 * captured traffic read through the real S3 client from the local S3 endpoint, reports written
 * back there, EMF metrics on stdout. No local SNS or Step Functions server runs in this test (the
 * local platform serves both from local/aws-endpoint.ts); the SDK clients are real, with `send`
 * replaced by recorders of the commands they would send.
 */
const ARTIFACTS = 'artifacts';
const MONITORING = 'monitoring';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:churn-drift-alerts';
const context = {
  awsRequestId: 'req-drift-1',
  functionName: 'drift-monitor',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:drift-monitor',
  memoryLimitInMB: '1769',
} as Context;
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

let harness: LocalS3Harness;

beforeAll(async () => {
  harness = await startLocalS3Harness([ARTIFACTS, MONITORING]);
  await publishProduction(new S3ObjectStore(harness.client, ARTIFACTS));
  await writeCaptures(new S3ObjectStore(harness.client, MONITORING), trafficRows('v2', 600, 5), {
    end: NOW,
    hours: 24,
  });
});

afterAll(async () => {
  await harness.stop();
});

function deployed(envOverrides: Record<string, string | undefined> = {}) {
  const env: NodeJS.ProcessEnv = {
    [RUNTIME_ENV.modelConfig]: modelConfigToEnv(driftModel()),
    [ZONE_ENV.artifacts]: ARTIFACTS,
    [ZONE_ENV.monitoring]: MONITORING,
    [RUNTIME_ENV.stateMachineArn]: STATE_MACHINE_ARN,
    [RUNTIME_ENV.topicArn]: TOPIC_ARN,
    ...envOverrides,
  };
  const sns = new SNSClient({ region: 'us-east-1' });
  const sfn = new SFNClient({ region: 'us-east-1' });
  const published = recordingClient(sns, () => ({ MessageId: 'msg-1' }));
  const started = recordingClient(sfn, (input) => ({
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:churn-retraining:${input.name}`,
  }));
  const logger = new Logger({ serviceName: 'drift-monitor', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Mlops', serviceName: 'drift-monitor' });
  const handler = createDriftMonitorHandler({
    deps: () => driftMonitorDepsFromEnv(logger, metrics, env, { s3: harness.client, sns, sfn }),
    logger,
    metrics,
  });
  return { handler, published, started };
}

const invokeCapturingEmf = (handler: ReturnType<typeof deployed>['handler'], event: unknown) =>
  capturingEmf(() => handler(event, context));

describe('drift-monitor handler over the local S3 endpoint', () => {
  it('checks the window, writes the report pair, emits Model-dimension metrics, alerts and starts a retrain', async () => {
    // given the production model, a day of v2 traffic in the local monitoring bucket, and the deployed handler
    const { handler, published, started } = deployed();
    // when EventBridge's schedule fires
    const { result, emf } = await invokeCapturingEmf(handler, scheduledEvent);
    // then the summary names the drift and where the report is
    expect(result).toMatchObject({ model: MODEL, status: 'checked', datasetDrift: true, rows: 600 });
    expect(result.reportUri).toBe(`s3://${MONITORING}/drift/churn/20261129T120000Z/report.json`);
    // and the report pair is in the monitoring bucket
    const monitoring = new S3ObjectStore(harness.client, MONITORING);
    const report = await monitoring.get('drift/churn/20261129T120000Z/report.json');
    expect(driftReportSchema.parse(JSON.parse(new TextDecoder().decode(report!.body))).datasetDrift).toBe(true);
    expect(await monitoring.head('drift/churn/20261129T120000Z/report.html')).not.toBeNull();
    expect(await monitoring.head('drift/churn/state.json')).not.toBeNull();
    // and one SNS Publish to the topic
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ command: 'PublishCommand', input: { TopicArn: TOPIC_ARN } });
    expect(published[0]!.input.Subject).toMatch(/^Drift in churn: \d+ of 12 columns drifted$/);
    expect(published[0]!.input.Message).toContain(`s3://${MONITORING}/drift/churn/20261129T120000Z/report.html`);
    // and one StartExecution of the model's state machine with the contract's input
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      command: 'StartExecutionCommand',
      input: { stateMachineArn: STATE_MACHINE_ARN, name: 'drift-20261129T120000Z' },
    });
    const input = executionInputSchema.parse(JSON.parse(String(started[0]!.input.input)));
    expect(input.trigger.kind).toBe('drift');
    // and the dataset metrics carry exactly the Model dimension the CDK alarm watches
    const dataset = emf.find((document) => 'DatasetDrift' in document)!;
    expect(dataset._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Mlops', Dimensions: [['Model']] });
    expect(dataset).toMatchObject({ Model: MODEL, DatasetDrift: 1, DriftRowsChecked: 600 });
    const age = emf.find((document) => document.Column === 'age')!;
    expect(age._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Mlops', Dimensions: [['Model', 'Column']] });
    expect(typeof age.ColumnDriftScore).toBe('number');
  });

  it('checks and alerts without a state machine when retrain.onDrift is off, never calling Step Functions', async () => {
    // given the deployment the CDK app makes with retrain.onDrift off: no MLOPS_STATE_MACHINE_ARN
    const { handler, published, started } = deployed({
      [RUNTIME_ENV.modelConfig]: modelConfigToEnv(driftModel({ retrain: { onDrift: false } })),
      [RUNTIME_ENV.stateMachineArn]: undefined,
    });
    // when the schedule fires on drifted traffic
    const { result } = await invokeCapturingEmf(handler, scheduledEvent);
    // then the check runs and alerts, and no execution is started
    expect(result).toMatchObject({ status: 'checked', datasetDrift: true, retrain: { status: 'disabled' } });
    expect(published).toHaveLength(1);
    expect(started).toEqual([]);
  });

  it('fails naming the variable when the alert topic is not configured', async () => {
    // given a deployment without MLOPS_TOPIC_ARN
    const { handler } = deployed({ [RUNTIME_ENV.topicArn]: undefined });
    // when / then
    await expect(handler({ windowHours: 1 }, context)).rejects.toThrow(/MLOPS_TOPIC_ARN/);
  });

  it('rejects an event that is neither a schedule nor an on-demand request', async () => {
    // given
    const { handler, published } = deployed();
    // when / then
    await expect(handler({ windowHours: 'all' }, context)).rejects.toThrow(/drift-monitor expects/);
    expect(published).toEqual([]);
  });
});
