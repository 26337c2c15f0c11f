import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parseConfig } from '../../core/config/parse';
import type { PlatformConfig } from '../../core/config/schema';
import { buildApp } from '../../lib/app';
import type { MlopsStack } from '../../lib/mlops-stack';

/** The default config: the built-in churn model only. */
export const churnOnly: PlatformConfig = parseConfig(
  { models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes' }] },
  'test: churn only',
);

/** Two models on default compute: one data lake, one compute environment, two pipelines. */
export const twoModels: PlatformConfig = parseConfig(
  {
    project: 'teams',
    models: [
      { name: 'churn', target: 'churned', positiveLabel: 'yes' },
      { name: 'price', target: 'amount' },
    ],
  },
  'test: two models',
);

/** Every option that changes infrastructure: Spot, GPU, public endpoint, SageMaker, cron, no upload trigger, a feature view. */
export const everyVariant: PlatformConfig = parseConfig(
  {
    project: 'variants',
    logRetentionDays: 90,
    models: [
      { name: 'churn', target: 'churned', positiveLabel: 'yes', retrain: { cron: 'cron(0 3 ? * MON *)' } },
      {
        name: 'price',
        target: 'amount',
        training: { gpu: 1, spot: true, vcpu: 4, memoryMiB: 16384, timeoutMinutes: 120 },
        endpoint: {
          auth: 'NONE',
          acknowledgePublicAccess: true,
          reservedConcurrency: 3,
          sagemakerEndpointName: 'Price-Endpoint',
        },
      },
      {
        name: 'fraud',
        target: 'fraud',
        positiveLabel: '1',
        training: { spot: true },
        retrain: { onUpload: false },
        featureView: 'customer',
      },
    ],
    featureViews: [{ name: 'customer', entityKey: 'customer_id' }],
  },
  'test: every variant',
);

export interface Synthesized {
  readonly stack: MlopsStack;
  readonly template: Template;
  /** Logical id of a construct's CloudFormation resource (its default child). */
  logicalId(construct: IConstruct): string;
}

/** Synthesizes without bundling and without cdk-nag (the nag test runs it). */
export function synth(config: PlatformConfig): Synthesized {
  const { stack } = buildApp(config, { bundle: false, nag: false, cloudFormationValidation: false });
  const template = Template.fromStack(stack);
  return {
    stack,
    template,
    logicalId: (construct) => Stack.of(construct).resolve(stack.getLogicalId(construct.node.defaultChild as never)),
  };
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** Every statement of the inline policies attached to a role. */
export function statementsOf(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
export const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

/** `{ "Fn::Join": ["", [{ "Fn::GetAtt": ["X", "Arn"] }, "/churn/*"]] }` -> `X.Arn/churn/*` (readable for assertions). */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if ('Ref' in node) return String(node.Ref);
    if ('Fn::GetAtt' in node) return (node['Fn::GetAtt'] as string[]).join('.');
    if ('Fn::Join' in node) {
      const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
  }
  return JSON.stringify(value);
}

/** S3 object grants of a role as `Action on Bucket.Arn/prefix*` lines, sorted. */
export function objectGrants(template: Template, roleLogicalId: string): string[] {
  return statementsOf(template, roleLogicalId)
    .filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')))
    .flatMap((statement) =>
      actionsOf(statement).flatMap((action) =>
        resourcesOf(statement).map((resource) => `${action} on ${flatten(resource)}`),
      ),
    )
    .sort();
}

/** The retry strategy every Batch job of the platform has (ContainerJobDefinition, default attempts). */
export const PLATFORM_RETRY_STRATEGY = {
  Attempts: 3,
  EvaluateOnExit: [
    { Action: 'RETRY', OnExitCode: '75' },
    { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
    { Action: 'RETRY', OnStatusReason: 'Your Spot Task was interrupted*' },
    { Action: 'EXIT', OnReason: '*' },
  ],
};
