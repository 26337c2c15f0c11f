import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parseConfig } from '../../core/config/parse';
import { buildApp } from '../../lib/app';
import { FeatureStore } from '../../lib/feature-store';
import { actionsOf, churnOnly, flatten, objectGrants, resourcesOf, statementsOf, synth } from './helpers';

const withViews = parseConfig(
  {
    models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes' }],
    featureViews: [
      { name: 'customer', entityKey: 'customer_id' },
      { name: 'account', entityKey: 'account_id', materialize: { onUpload: false, shards: 8 } },
    ],
  },
  'test: feature views',
);

describe('FeatureStore in the stack', () => {
  const { stack, template, logicalId } = synth(withViews);
  const store = stack.featureStore as FeatureStore;

  test('one on-demand table keyed by pk (S), encrypted, with point-in-time recovery, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the materializer is started by uploads under the prefixes of views with onUpload only', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((resource) =>
      JSON.stringify(resource.Properties.EventPattern ?? {}).includes('features/'),
    );
    expect(rule?.Properties.EventPattern.detail.object.key).toEqual([{ prefix: 'features/customer/' }]);
    expect(rule?.Properties.EventPattern['detail-type']).toEqual(['Object Created']);
    expect(flatten(rule?.Properties.Targets[0].Arn)).toBe(`${logicalId(store.materializer.function)}.Arn`);
  });

  test('the materializer gets the table, the views and the curated bucket in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Loads each feature view file uploaded to the curated zone into the online store',
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          MLOPS_FEATURE_TABLE: { Ref: logicalId(store.table) },
          MLOPS_FEATURE_VIEWS: Match.stringLikeRegexp('"name":"customer"'),
          MLOPS_CURATED_BUCKET: Match.anyValue(),
        }),
      },
    });
  });

  test.each([
    ['materializer', () => store.materializer.role],
    ['backfill job', () => store.backfillJobRole],
  ])('the %s reads features/, writes only view version records, and may only PutItem on the table', (_, role) => {
    const roleId = logicalId(role());
    const curated = logicalId(stack.dataLake.curated);
    expect(objectGrants(template, roleId)).toEqual([
      `s3:GetObject on ${curated}.Arn/features/*`,
      `s3:ListBucket on ${curated}.Arn`,
      `s3:PutObject on ${curated}.Arn/features/account/_meta/*`,
      `s3:PutObject on ${curated}.Arn/features/customer/_meta/*`,
    ]);
    const dynamo = statementsOf(template, roleId).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
    );
    expect(dynamo.map((statement) => [actionsOf(statement), resourcesOf(statement).map(flatten)])).toEqual([
      [['dynamodb:PutItem'], [`${logicalId(store.table)}.Arn`]],
    ]);
  });

  test('the alert topic is encrypted with the AWS-managed SNS key and refuses publishing without TLS', () => {
    const topicId = logicalId(store.alertTopic);
    const topic = template.toJSON().Resources[topicId];
    expect(topic.Type).toBe('AWS::SNS::Topic');
    expect(topic.Properties.DisplayName).toBe('Feature view schema alerts');
    expect(flatten(topic.Properties.KmsMasterKeyId)).toBe(
      'arn:AWS::Partition:kms:AWS::Region:AWS::AccountId:alias/aws/sns',
    );
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter((policy) =>
      JSON.stringify(policy.Properties.Topics).includes(topicId),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  test.each([
    ['materializer', () => store.materializer.role],
    ['backfill job', () => store.backfillJobRole],
  ])('the %s may publish to the alert topic only, and nothing else of SNS', (_, role) => {
    const sns = statementsOf(template, logicalId(role())).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('sns:')),
    );
    expect(sns.map((statement) => [actionsOf(statement), resourcesOf(statement).map(flatten)])).toEqual([
      [['sns:Publish'], [logicalId(store.alertTopic)]],
    ]);
  });

  test('the materializer and the backfill job get the alert topic in their environment', () => {
    const topic = { Ref: logicalId(store.alertTopic) };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Loads each feature view file uploaded to the curated zone into the online store',
      Environment: { Variables: Match.objectLike({ MLOPS_FEATURE_ALERT_TOPIC_ARN: topic }) },
    });
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Command: Match.arrayWith(['features', 'materialize']),
        Environment: Match.arrayWith([{ Name: 'MLOPS_FEATURE_ALERT_TOPIC_ARN', Value: topic }]),
      }),
    });
  });

  test('the backfill is a Batch job of the image entry materializing a view shard here', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Command: ['features', 'materialize', 'Ref::view', '--shards', 'Ref::shards', '--here'],
      }),
      Parameters: { view: 'customer', shards: '1' },
    });
  });

  test('the table, the backfill job and the alert topic are stack outputs', () => {
    template.hasOutput('FeatureTableName', { Value: { Ref: logicalId(store.table) } });
    template.hasOutput('FeatureBackfillJobDefinition', Match.anyValue());
    template.hasOutput('FeatureViewAlertTopicArn', { Value: { Ref: logicalId(store.alertTopic) } });
  });
});

test('no table, function or rule without feature views', () => {
  const { stack, template } = synth(churnOnly);
  expect(stack.featureStore).toBeUndefined();
  template.resourceCountIs('AWS::DynamoDB::Table', 0);
});

test('a FeatureStore without views is refused, saying how to fix it', () => {
  const { stack } = synth(churnOnly);
  const jobQueue = stack.training.queueFor({ gpu: 0, spot: false });
  expect(() => new FeatureStore(stack, 'Store', { views: [], dataLake: stack.dataLake, jobQueue })).toThrow(
    'FeatureStore needs at least one feature view; received none: add featureViews to the config',
  );
});

test('a deployment with feature views passes cdk-nag AwsSolutions', () => {
  const { app } = buildApp(withViews, {
    bundle: false,
    cloudFormationValidation: false,
    outdir: mkdtempSync(join(tmpdir(), 'mlops-nag-')),
  });
  expect(() => app.synth()).not.toThrow();
});

test('the template passes when read back (no unresolved tokens in the view config)', () => {
  const { template } = synth(withViews);
  expect(JSON.stringify(template.toJSON())).not.toContain('${Token');
});

test("the endpoint of a model with a view may BatchGetItem only that view's keys, and gets the table variable", () => {
  // given churn reading view customer, when the stack is synthesized
  const config = parseConfig(
    {
      models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', featureView: 'customer' }],
      featureViews: withViews.featureViews,
    },
    'test: churn reads customer',
  );
  const { stack } = buildApp(config, { bundle: false, nag: false, cloudFormationValidation: false });
  const store = stack.featureStore as FeatureStore;
  const fn = stack.models.get('churn')?.endpoint.function;
  if (!fn) throw new Error('no endpoint function');
  // then its role may BatchGetItem keys customer#* and nothing else of the table
  const template = Template.fromStack(stack);
  const id = (construct: IConstruct) => stack.resolve(stack.getLogicalId(construct.node.defaultChild as never));
  const statements = statementsOf(template, id(fn.role)).filter((statement) =>
    actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
  );
  expect(statements).toEqual([
    {
      Effect: 'Allow',
      Action: 'dynamodb:BatchGetItem',
      Resource: { 'Fn::GetAtt': [id(store.table), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['customer#*'] } },
    },
  ]);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ MLOPS_FEATURE_TABLE: { Ref: id(store.table) } }) },
    Description: Match.stringLikeRegexp('churn'),
  });
});
