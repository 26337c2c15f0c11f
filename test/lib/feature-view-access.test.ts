import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { JobQueue } from 'aws-cdk-lib/aws-batch';
import { AttributeType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../../core/config/parse';
import { featureViewOf } from '../../core/feature-views/layout';
import { FEATURE_FLAGS } from '../../lib/app';
import { BatchScoring } from '../../lib/batch-scoring';
import { DataLake } from '../../lib/data-lake';
import { InferenceEndpoint } from '../../lib/inference-endpoint';
import { StreamingScoring } from '../../lib/streaming-scoring';

/**
 * The scorers of a model with a feature view (issue 15) read only their view's items of the online
 * store. The table is built by the feature-store construct in the stack; here a stand-in is built
 * so the grants have a real table to point at.
 */
const config = parseConfig(
  {
    featureViews: [{ name: 'customer', entityKey: 'customer_id', ttlSeconds: 86_400 }],
    models: [
      {
        name: 'churn',
        target: 'churned',
        positiveLabel: 'yes',
        featureView: 'customer',
        streaming: { batchSize: 200, maxRetries: 3, shardCount: 1 },
        batchScoring: { schedule: 'cron(0 2 * * ? *)', shards: 2 },
      },
      { name: 'price', target: 'amount' },
    ],
  },
  'test: feature view',
);
const [churn, price] = config.models as [(typeof config.models)[0], (typeof config.models)[0]];
const view = featureViewOf(config, churn)!;

function build(options: { nag?: boolean } = {}) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'mlops-fv-')),
    context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'FeatureViewAccess');
  const dataLake = new DataLake(stack, 'DataLake');
  const table = new TableV2(stack, 'Features', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    encryption: TableEncryptionV2.awsManagedKey(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const jobQueue = JobQueue.fromJobQueueArn(stack, 'Queue', 'arn:aws:batch:us-east-1:111111111111:job-queue/q');
  const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
    model: churn,
    dataLake,
    featureTable: table,
    featureView: view,
  });
  const plain = new InferenceEndpoint(stack, 'PlainEndpoint', { model: price, dataLake, featureTable: table });
  const streaming = new StreamingScoring(stack, 'Streaming', {
    model: churn,
    dataLake,
    featureTable: table,
    featureView: view,
  });
  const batch = new BatchScoring(stack, 'Batch', {
    model: churn,
    dataLake,
    jobQueue,
    featureTable: table,
    featureView: view,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, table, endpoint, plain, streaming, batch, template: () => Template.fromStack(stack) };
}

const built = build();
const template = built.template();
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  built.stack.getLogicalId(construct.node.defaultChild as never);

/** DynamoDB statements of a role's policies. */
function dynamoStatements(roleId: string): Array<Record<string, unknown>> {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
  );
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>)
    .filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
}

const tableArn = () => ({ 'Fn::GetAtt': [logicalId(built.table), 'Arn'] });
const viewRead = () => ({
  Action: 'dynamodb:BatchGetItem',
  Effect: 'Allow',
  Resource: tableArn(),
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['customer#*'] } },
});

describe('scorers of a model with a feature view', () => {
  test("the endpoint may only BatchGetItem its view's keys, and is told the table and the view", () => {
    expect(dynamoStatements(logicalId(built.endpoint.function.role))).toEqual([viewRead()]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Inference endpoint of churn',
      Environment: {
        Variables: Match.objectLike({
          MLOPS_FEATURE_TABLE: { Ref: logicalId(built.table) },
          MLOPS_FEATURE_VIEW: JSON.stringify(view),
        }),
      },
    });
  });

  test('the stream scorer and the batch job get the same read and nothing more', () => {
    expect(dynamoStatements(logicalId(built.streaming.function.role))).toEqual([viewRead()]);
    expect(dynamoStatements(logicalId(built.batch.jobRole))).toEqual([viewRead()]);
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Environment: Match.arrayWith([{ Name: 'MLOPS_FEATURE_TABLE', Value: { Ref: logicalId(built.table) } }]),
      }),
    });
  });

  test('a model without a view gets neither the variables nor a grant, though the table is passed', () => {
    expect(dynamoStatements(logicalId(built.plain.function.role))).toEqual([]);
    const fn = template.toJSON().Resources[logicalId(built.plain.function.function)];
    expect(fn.Properties.Environment.Variables).not.toHaveProperty('MLOPS_FEATURE_TABLE');
  });

  test('refuses a model with a view but no table, naming the model and the fix', () => {
    const stack = new Stack(new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } }), 'S');
    const dataLake = new DataLake(stack, 'DataLake');
    expect(() => new InferenceEndpoint(stack, 'E', { model: churn, dataLake, featureView: view })).toThrow(
      'model churn reads feature view "customer" but no featureTable was given; pass the online store\'s table (FeatureStore.table)',
    );
  });

  test('refuses a model with a view but another view passed', () => {
    const stack = new Stack(new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } }), 'S');
    const dataLake = new DataLake(stack, 'DataLake');
    const table = new TableV2(stack, 'T', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    expect(
      () =>
        new InferenceEndpoint(stack, 'E', {
          model: churn,
          dataLake,
          featureTable: table,
          featureView: { ...view, name: 'store' },
        }),
    ).toThrow(
      'model churn reads feature view "customer" but featureView is "store"; pass featureViewOf(config, model)',
    );
  });

  test('passes cdk-nag AwsSolutions', () => {
    const { app } = build({ nag: true });
    expect(() => app.synth()).not.toThrow();
  });
});
