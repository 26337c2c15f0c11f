import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { parseConfig } from '../../core/config/parse';
import { FEATURE_FLAGS } from '../../lib/app';
import { ContainerJobDefinition, type ContainerJobDefinitionProps } from '../../lib/batch-job-definition';
import { PLATFORM_RETRY_STRATEGY, synth } from './helpers';

function newStack(): Stack {
  return new Stack(new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

/** A job with every required prop; an image from a registry so no image folder is built. */
function build(stack: Stack, overrides: Partial<ContainerJobDefinitionProps> = {}): ContainerJobDefinition {
  return new ContainerJobDefinition(stack, 'Job', {
    image: ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
    vcpu: 1,
    memoryMiB: 2048,
    timeout: Duration.minutes(10),
    logStreamPrefix: 'job',
    jobRoleDescription: 'Test job',
    executionRoleDescription: 'Pulls the test image',
    ...overrides,
  });
}

describe('ContainerJobDefinition validates its props with the value received and the fix', () => {
  test('rejects an attempts count that is not a whole number', () => {
    expect(() => build(newStack(), { attempts: 2.5 })).toThrow(
      'attempts must be a whole number, received 2.5: pass 1 to 10 (default 3)',
    );
  });

  test('rejects fewer than 1 attempt', () => {
    expect(() => build(newStack(), { attempts: 0 })).toThrow(
      'attempts must be between 1 and 10 (AWS Batch), received 0: pass 1 to 10 (default 3)',
    );
  });

  test('rejects more than 10 attempts', () => {
    expect(() => build(newStack(), { attempts: 11 })).toThrow(
      'attempts must be between 1 and 10 (AWS Batch), received 11: pass 1 to 10 (default 3)',
    );
  });

  test('rejects a timeout shorter than the 60 seconds AWS Batch allows', () => {
    expect(() => build(newStack(), { timeout: Duration.seconds(30) })).toThrow(
      'timeout must be at least 60 seconds (AWS Batch), received 30 seconds: pass Duration.minutes(1) or more',
    );
  });

  test('rejects a negative GPU count', () => {
    expect(() => build(newStack(), { gpu: -1 })).toThrow(
      'gpu must be a whole number of 0 or more, received -1: pass 0 for Fargate or 1 or more for EC2',
    );
  });

  test('rejects a fractional GPU count', () => {
    expect(() => build(newStack(), { gpu: 0.5 })).toThrow('gpu must be a whole number of 0 or more, received 0.5');
  });
});

describe('ContainerJobDefinition', () => {
  test('retries exit code 75 and Spot or host interruptions 3 times by default and exits on anything else', () => {
    // given a job with default attempts, when synthesized, then the retry strategy is the platform's
    const stack = newStack();
    build(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      RetryStrategy: PLATFORM_RETRY_STRATEGY,
    });
  });

  test('runs on Fargate with a public IP when no GPU is asked for', () => {
    // given gpu left at its default, when synthesized, then the job is a Fargate job that can reach S3 and ECR
    const stack = newStack();
    build(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      PlatformCapabilities: ['FARGATE'],
      ContainerProperties: { NetworkConfiguration: { AssignPublicIp: 'ENABLED' } },
    });
  });

  test('runs on EC2 with the GPUs asked for', () => {
    // given gpu 2, when synthesized, then the job is an EC2 job requesting 2 GPUs
    const stack = newStack();
    build(stack, { gpu: 2 });
    const [definition] = Object.values(Template.fromStack(stack).findResources('AWS::Batch::JobDefinition'));
    expect(definition!.Properties.PlatformCapabilities).toEqual(['EC2']);
    expect(definition!.Properties.ContainerProperties.ResourceRequirements).toEqual(
      expect.arrayContaining([{ Type: 'GPU', Value: '2' }]),
    );
  });
});

describe('construct ids of the training and scoring jobs (a rename replaces deployed resources)', () => {
  // Both jobs of one model; the ids below are those the deployed stacks have had since the jobs existed.
  const config = parseConfig(
    {
      models: [
        {
          name: 'churn',
          target: 'churned',
          positiveLabel: 'yes',
          batchScoring: { schedule: 'cron(0 2 * * ? *)', shards: 4, vcpu: 2, memoryMiB: 4096 },
        },
      ],
    },
    'test: training and scoring',
  );
  const batchResourceIds = () =>
    Object.entries(synth(config).template.toJSON().Resources as Record<string, { Type: string }>)
      .filter(([id]) => /^churn(TrainingJob|BatchScoring)/.test(id))
      .map(([id, resource]) => `${resource.Type} ${id}`)
      .sort();

  test('keep the logical ids of the roles, policies, log groups and job definitions', () => {
    expect(batchResourceIds()).toEqual([
      'AWS::Batch::JobDefinition churnBatchScoringJobDefinition566E1889',
      'AWS::Batch::JobDefinition churnTrainingJobJobDefinition95171AD5',
      'AWS::Events::Rule churnBatchScoringScheduleBD258768',
      'AWS::Events::Rule churnBatchScoringUploadAB3AC11E',
      'AWS::IAM::Policy churnBatchScoringExecutionRoleDefaultPolicy76842C94',
      'AWS::IAM::Policy churnBatchScoringJobDefinitionEventsRoleDefaultPolicy0A9E4E96',
      'AWS::IAM::Policy churnBatchScoringJobRoleDefaultPolicy2FC89179',
      'AWS::IAM::Policy churnTrainingJobExecutionRoleDefaultPolicyCEBFC05F',
      'AWS::IAM::Policy churnTrainingJobJobRoleDefaultPolicy4FFB6253',
      'AWS::IAM::Role churnBatchScoringExecutionRoleFC2B79C0',
      'AWS::IAM::Role churnBatchScoringJobDefinitionEventsRole186A13A7',
      'AWS::IAM::Role churnBatchScoringJobRoleEBE98AA8',
      'AWS::IAM::Role churnTrainingJobExecutionRoleED626A1E',
      'AWS::IAM::Role churnTrainingJobJobRoleC0EC35EA',
      'AWS::Logs::LogGroup churnBatchScoringLogs92A12687',
      'AWS::Logs::LogGroup churnTrainingJobLogs26563317',
    ]);
  });
});
