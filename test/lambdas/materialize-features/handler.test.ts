import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { featureViewSchema } from '../../../core/config/feature-view-schema';
import { FEATURE_TABLE_ENV } from '../../../core/feature-views/layout';
import { MemoryOnlineFeatureStore } from '../../../core/feature-views/online-store';
import { FEATURE_VIEWS_ENV, featureViewsToEnv } from '../../../core/feature-views/runtime';
import { FEATURE_ALERT_TOPIC_ENV } from '../../../core/feature-views/version-alert';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { ZONE_ENV } from '../../../core/workflow/layout';
import { createMaterializeHandler, uploadDepsFromEnv } from '../../../lambdas/materialize-features/handler';
import { capturingEmf, recordingClient } from '../../support/monitor-ports';

/**
 * The deployed handler with its dependencies from the environment, as the CDK app sets it: the
 * SNS client is the real SDK client with `send` replaced by a recorder (no SNS server runs here;
 * test/local/feature-materialization.test.ts goes through the local platform's), the curated zone
 * and online store are the in-memory ones, EMF metrics are read from stdout.
 */
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:feature-view-alerts';
const customer = featureViewSchema.parse({ name: 'customer', entityKey: 'customer_id' });
const context = { awsRequestId: 'req-1', functionName: 'materialize-features' } as Context;
const env: NodeJS.ProcessEnv = {
  [ZONE_ENV.curated]: 'curated',
  [FEATURE_TABLE_ENV]: 'features',
  [FEATURE_VIEWS_ENV]: featureViewsToEnv([customer]),
  [FEATURE_ALERT_TOPIC_ENV]: TOPIC_ARN,
};

const created = (key: string) => ({
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: 'curated' }, object: { key } },
});

function deployed(answer: () => unknown = () => ({ MessageId: 'msg-1' })) {
  const sns = new SNSClient({ region: 'us-east-1' });
  const published = recordingClient(sns, answer);
  const curated = new MemoryObjectStore('curated');
  const logger = new Logger({ serviceName: 'materialize-features', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Mlops', serviceName: 'materialize-features' });
  const deps = { ...uploadDepsFromEnv(logger, metrics, env, sns), curated, online: new MemoryOnlineFeatureStore() };
  const handler = createMaterializeHandler({ deps: () => deps, logger });
  const invoke = (key: string) => capturingEmf(() => handler(created(key), context));
  return { curated, published, invoke };
}

describe('materialize-features handler: schema alerts', () => {
  test('a file with a new column publishes one alert and one ViewSchemaFindings metric; its re-upload and a same-column file none', async () => {
    // given a first version and a file with a new column
    const { curated, published, invoke } = deployed();
    await curated.put('features/customer/a.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    await curated.put('features/customer/b.csv', 'customer_id,event_time,spend,tenure\n1,2026-03-02,11,4\n');
    await curated.put('features/customer/c.csv', 'customer_id,tenure,event_time,spend\n2,5,2026-03-03,12\n');
    // when each is materialized, b twice (a redelivered event)
    const first = await invoke('features/customer/a.csv');
    const second = await invoke('features/customer/b.csv');
    const again = await invoke('features/customer/b.csv');
    const same = await invoke('features/customer/c.csv');
    // then only b's first materialization alerted, to the topic, in the drift alert's style
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      command: 'PublishCommand',
      input: { TopicArn: TOPIC_ARN, Subject: 'Schema change in feature view customer: 1 new column(s)' },
    });
    expect(published[0].input.Message).toContain('first carried by s3://curated/features/customer/b.csv');
    const metricsOf = (run: typeof first) =>
      run.emf
        .filter((document) => 'ViewSchemaFindings' in document)
        .map(({ _aws, ...fields }) => ({
          fields,
          dimensions: _aws.CloudWatchMetrics[0].Dimensions,
          namespace: _aws.CloudWatchMetrics[0].Namespace,
        }));
    expect(metricsOf(second)).toEqual([
      { fields: { View: 'customer', ViewSchemaFindings: 1 }, dimensions: [['View']], namespace: 'Mlops' },
    ]);
    expect([first, again, same].flatMap(metricsOf)).toEqual([]);
  });

  test('a topic that refuses the publish does not fail the materialization', async () => {
    const { curated, published, invoke } = deployed(() => {
      throw Object.assign(new Error('User is not authorized to perform: SNS:Publish'), { name: 'AuthorizationError' });
    });
    await curated.put('features/customer/a.csv', 'customer_id,event_time,spend\n1,2026-03-01,10\n');
    await curated.put('features/customer/b.csv', 'customer_id,event_time,spend,tenure\n1,2026-03-02,11,4\n');
    await invoke('features/customer/a.csv');
    const { result } = await invoke('features/customer/b.csv');
    expect(published).toHaveLength(1);
    expect(result).toMatchObject({ status: 'materialized', summary: { written: 1 } });
  });

  test('without the topic in the environment the function refuses to start, naming the variable', () => {
    const logger = new Logger({ logLevel: 'SILENT' });
    const { [FEATURE_ALERT_TOPIC_ENV]: _topic, ...withoutTopic } = env;
    expect(() => uploadDepsFromEnv(logger, new Metrics({ namespace: 'Mlops' }), withoutTopic)).toThrow(
      FEATURE_ALERT_TOPIC_ENV,
    );
  });
});
