import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../core/config/parse';
import { RUNTIME_ENV } from '../../core/config/runtime-env';
import { leaseKey } from '../../core/trigger/model-lease';
import { pendingMarkerKey } from '../../core/trigger/pending-markers';
import { executionInputSchema, TRAINER_ENV } from '../../core/workflow/contract';
import { candidateArtifactKey, runRecordKey, triggerManifestKey, ZONE_ENV } from '../../core/workflow/layout';
import { RetrainingSteps } from '../../lib/retraining-steps';
import { TrainingJob } from '../../lib/training-job';
import {
  actionsOf,
  churnOnly,
  everyVariant,
  flatten,
  objectGrants,
  PLATFORM_RETRY_STRATEGY,
  resourcesOf,
  type Synthesized,
  statementsOf,
  synth,
  twoModels,
} from './helpers';

/** The opt-outs the defaults do not show: no drift-triggered retrain, a public endpoint without reserved concurrency, no prediction log. */
const optOuts = parseConfig(
  {
    project: 'optouts',
    models: [
      {
        name: 'churn',
        target: 'churned',
        positiveLabel: 'yes',
        retrain: { onDrift: false },
        endpoint: { auth: 'NONE', acknowledgePublicAccess: true },
        predictions: { log: false },
      },
    ],
  },
  'test: opt-outs',
);

let churn: Synthesized;
let variants: Synthesized;
let optedOut: Synthesized;
beforeAll(() => {
  churn = synth(churnOnly);
  variants = synth(everyVariant);
  optedOut = synth(optOuts);
});

const model = (synthesized: Synthesized, name: string) => synthesized.stack.models.get(name)!;

describe('DataLake', () => {
  test('creates four zone buckets and an access-log bucket, all S3-managed encrypted', () => {
    const buckets = Object.values(churn.template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(5);
    for (const bucket of buckets) {
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
    }
  });

  test('blocks all public access on every bucket', () => {
    for (const bucket of Object.values(churn.template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });

  test('denies every request without TLS on every bucket', () => {
    const policies = Object.values(churn.template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(5);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  test("denies writing a registered version's model or metadata except as a create (If-None-Match)", () => {
    const { dataLake } = churn.stack;
    const policy = Object.values(churn.template.findResources('AWS::S3::BucketPolicy')).find(
      (candidate) => candidate.Properties.Bucket.Ref === churn.logicalId(dataLake.artifacts),
    );
    const statement = policy?.Properties.PolicyDocument.Statement.find(
      (candidate: { Sid?: string }) => candidate.Sid === 'DenyOverwritingRegisteredVersions',
    );
    expect(statement).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Condition: { Null: { 's3:if-none-match': 'true' } },
    });
    const resources = JSON.stringify(statement.Resource);
    expect(resources).toContain('/registry/*/versions/*/model.json');
    expect(resources).toContain('/registry/*/versions/*/version.json');
    expect(resources).not.toContain('approval.json');
  });

  test('versions raw, curated and artifacts, expiring replaced versions', () => {
    const { dataLake } = churn.stack;
    for (const bucket of [dataLake.raw, dataLake.curated, dataLake.artifacts]) {
      const properties = churn.template.toJSON().Resources[churn.logicalId(bucket)].Properties;
      expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' }),
      );
    }
  });

  test('expires monitoring objects and does not version them', () => {
    const properties = churn.template.toJSON().Resources[churn.logicalId(churn.stack.dataLake.monitoring)].Properties;
    expect(properties.VersioningConfiguration).toBeUndefined();
    expect(properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: 180, Status: 'Enabled' }),
    );
  });

  test('logs access to every zone in the access-log bucket', () => {
    const accessLogs = churn.logicalId(churn.stack.dataLake.accessLogs);
    for (const zone of ['raw', 'curated', 'artifacts', 'monitoring'] as const) {
      const bucket = churn.stack.dataLake.bucket(zone);
      const properties = churn.template.toJSON().Resources[churn.logicalId(bucket)].Properties;
      expect(properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: accessLogs },
        LogFilePrefix: `${zone}/`,
      });
    }
  });

  test('sends raw-zone events to EventBridge', () => {
    churn.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: churn.logicalId(churn.stack.dataLake.raw) },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });
});

describe('Training', () => {
  test('has no NAT gateway and only public subnets that assign public IPs', () => {
    churn.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const subnets = Object.values(churn.template.findResources('AWS::EC2::Subnet'));
    expect(subnets.length).toBeGreaterThan(0);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
  });

  test('logs VPC flows to the access-log bucket', () => {
    churn.template.hasResourceProperties('AWS::EC2::FlowLog', {
      LogDestinationType: 's3',
      TrafficType: 'ALL',
    });
  });

  test('gives training jobs a security group with no inbound rule', () => {
    const groups = Object.values(churn.template.findResources('AWS::EC2::SecurityGroup'));
    expect(groups).toHaveLength(1);
    expect(groups[0].Properties.SecurityGroupIngress).toBeUndefined();
    churn.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('runs on a Fargate compute environment by default', () => {
    churn.template.resourcePropertiesCountIs('AWS::Batch::ComputeEnvironment', {}, 1);
    churn.template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      Type: 'managed',
      ComputeResources: Match.objectLike({ Type: 'FARGATE' }),
    });
  });

  test('adds Fargate Spot and EC2 Spot GPU environments when models ask for them', () => {
    const types = Object.values(variants.template.findResources('AWS::Batch::ComputeEnvironment')).map(
      (environment) => environment.Properties.ComputeResources.Type,
    );
    expect(types.sort()).toEqual(['FARGATE', 'FARGATE_SPOT', 'SPOT']);
    variants.template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'SPOT', MinvCpus: 0, InstanceTypes: ['g4dn', 'g5'] }),
    });
  });
});

describe('TrainingJob', () => {
  const jobDefinition = (synthesized: Synthesized, name: string) =>
    synthesized.template.toJSON().Resources[synthesized.logicalId(model(synthesized, name).trainingJob.jobDefinition)]
      .Properties;

  test('retries exit code 75 and Spot interruptions, and exits on anything else', () => {
    const { RetryStrategy } = jobDefinition(churn, 'churn');
    expect(RetryStrategy).toEqual(PLATFORM_RETRY_STRATEGY);
  });

  test('stops a job after the configured timeout', () => {
    expect(jobDefinition(churn, 'churn').Timeout).toEqual({ AttemptDurationSeconds: 3600 });
    expect(jobDefinition(variants, 'price').Timeout).toEqual({ AttemptDurationSeconds: 7200 });
  });

  test('gives the container the trainer contract and the zone buckets', () => {
    const environment = jobDefinition(churn, 'churn').ContainerProperties.Environment as { Name: string }[];
    const names = environment.map((variable) => variable.Name);
    expect(names).toEqual(
      expect.arrayContaining([
        TRAINER_ENV.model,
        TRAINER_ENV.target,
        TRAINER_ENV.positiveLabel,
        TRAINER_ENV.params,
        ZONE_ENV.curated,
        ZONE_ENV.artifacts,
      ]),
    );
  });

  test('sizes a Fargate job from the config and assigns it a public IP', () => {
    const container = jobDefinition(churn, 'churn').ContainerProperties;
    expect(container.ResourceRequirements).toEqual(
      expect.arrayContaining([
        { Type: 'VCPU', Value: '1' },
        { Type: 'MEMORY', Value: '4096' },
      ]),
    );
    expect(container.NetworkConfiguration).toEqual({ AssignPublicIp: 'ENABLED' });
  });

  test('requests GPUs on EC2 for a GPU model', () => {
    const container = jobDefinition(variants, 'price').ContainerProperties;
    expect(container.ResourceRequirements).toEqual(expect.arrayContaining([{ Type: 'GPU', Value: '1' }]));
    expect(jobDefinition(variants, 'price').PlatformCapabilities).toEqual(['EC2']);
  });

  test('lets the job read only its curated data and write only the trainer output folders of its runs', () => {
    const job = model(churn, 'churn').trainingJob;
    const curated = churn.logicalId(churn.stack.dataLake.curated);
    const artifacts = churn.logicalId(churn.stack.dataLake.artifacts);
    expect(objectGrants(churn.template, churn.logicalId(job.jobRole))).toEqual([
      `s3:GetObject on ${curated}.Arn/churn/*`,
      `s3:ListBucket on ${curated}.Arn`,
      `s3:PutObject on ${artifacts}.Arn/runs/churn/*/candidate/*`,
    ]);
  });

  test("grants the job no key that a run record or the trigger's objects live at", () => {
    // The granted pattern, as IAM matches it ('*' spans '/'), against the keys other writers own.
    const granted = new RegExp(`^${TrainingJob.outputPrefix('churn', '*').replace(/\*/g, '.*')}.*$`);
    expect(granted.test(candidateArtifactKey('churn', 'run-1'))).toBe(true);
    expect(granted.test(runRecordKey('churn', 'run-1'))).toBe(false);
    expect(granted.test(pendingMarkerKey('churn', 'marker'))).toBe(false);
    expect(granted.test(triggerManifestKey('churn', 'churn-upload-1'))).toBe(false);
    expect(granted.test(leaseKey('churn'))).toBe(false);
  });
});

describe('Lambda functions (MlopsFunction)', () => {
  const ours = (synthesized: Synthesized) =>
    Object.values(synthesized.template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Runtime !== undefined && String(fn.Properties.Runtime).startsWith('nodejs'),
    );

  test('every platform function runs Node 24 on arm64 with X-Ray tracing and its own log group', () => {
    const functions = ours(churn);
    expect(functions).toHaveLength(9);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  test('log groups keep logs for the configured retention', () => {
    for (const group of Object.values(variants.template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(90);
    }
  });

  test('no function role uses an AWS managed policy', () => {
    const roles = Object.values(churn.template.findResources('AWS::IAM::Role')).filter(
      (role) => role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com',
    );
    const withManagedPolicies = roles.filter((role) =>
      JSON.stringify(role.Properties.ManagedPolicyArns ?? []).includes('AWSLambdaBasicExecutionRole'),
    );
    // CDK's own BucketNotificationsHandler is the one exception (acknowledged in the nag test).
    expect(withManagedPolicies).toHaveLength(1);
  });

  test('grants Resource "*" only where the action has no resource-level permissions (X-Ray, log delivery, ECR auth)', () => {
    const resources = churn.template.toJSON().Resources as Record<string, { Type: string; Properties: never }>;
    const roleIds = Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .map(([id]) => id);
    for (const roleId of roleIds) {
      for (const statement of statementsOf(churn.template, roleId)) {
        if (!resourcesOf(statement).includes('*')) continue;
        const actions = actionsOf(statement);
        const allowed = actions.every((action) =>
          [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'ecr:GetAuthorizationToken',
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
          ].includes(action),
        );
        expect({ roleId, actions, allowed }).toEqual({ roleId, actions, allowed: true });
      }
    }
  });
});

describe('RetrainingSteps', () => {
  test('each step reads and writes only its model prefixes', () => {
    const { steps } = model(churn, 'churn');
    const [raw, curated, artifacts] = ['raw', 'curated', 'artifacts'].map((zone) =>
      churn.logicalId(churn.stack.dataLake.bucket(zone as never)),
    );
    expect(objectGrants(churn.template, churn.logicalId(steps.validate.role))).toEqual([
      `s3:GetObject on ${artifacts}.Arn/registry/churn/*`,
      `s3:GetObject on ${artifacts}.Arn/runs/churn/*`,
      `s3:GetObject on ${curated}.Arn/churn/*`,
      `s3:GetObject on ${raw}.Arn/churn/*`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:ListBucket on ${curated}.Arn`,
      `s3:ListBucket on ${raw}.Arn`,
      `s3:PutObject on ${artifacts}.Arn/runs/churn/*`,
      `s3:PutObject on ${curated}.Arn/churn/*`,
    ]);
    expect(objectGrants(churn.template, churn.logicalId(steps.register.role))).toEqual([
      `s3:GetObject on ${artifacts}.Arn/registry/churn/*`,
      `s3:GetObject on ${artifacts}.Arn/runs/churn/*`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:PutObject on ${artifacts}.Arn/registry/churn/*`,
      `s3:PutObject on ${artifacts}.Arn/runs/churn/*`,
    ]);
  });

  test('the adopt step reads only the uploaded imports and the snapshots, and writes only the run records and candidates', () => {
    const { steps } = model(churn, 'churn');
    const [curated, artifacts] = ['curated', 'artifacts'].map((zone) =>
      churn.logicalId(churn.stack.dataLake.bucket(zone as never)),
    );
    expect(objectGrants(churn.template, churn.logicalId(steps.adopt.role))).toEqual([
      `s3:GetObject on ${artifacts}.Arn/imports/churn/*`,
      `s3:GetObject on ${artifacts}.Arn/runs/churn/*`,
      `s3:GetObject on ${curated}.Arn/churn/snapshots/*`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:ListBucket on ${curated}.Arn`,
      `s3:PutObject on ${artifacts}.Arn/runs/churn/*`,
    ]);
  });

  test("validate may read the joined feedback rows only for a model that trains on them, and only its model's", () => {
    // given a model whose training data includes its feedback
    const feedback = synth(
      parseConfig(
        {
          project: 'feedback',
          models: [
            {
              name: 'churn',
              target: 'churned',
              positiveLabel: 'yes',
              training: { data: { source: 'window-and-feedback' } },
            },
          ],
        },
        'test: feedback',
      ),
    );
    const monitoringReads = (synthesized: Synthesized) =>
      objectGrants(synthesized.template, synthesized.logicalId(model(synthesized, 'churn').steps.validate.role)).filter(
        (grant) => grant.includes(synthesized.logicalId(synthesized.stack.dataLake.monitoring)),
      );
    // then
    const monitoring = feedback.logicalId(feedback.stack.dataLake.monitoring);
    expect(monitoringReads(feedback)).toEqual([
      `s3:GetObject on ${monitoring}.Arn/joined/churn/*`,
      `s3:ListBucket on ${monitoring}.Arn`,
    ]);
    expect(monitoringReads(churn)).toEqual([]);
  });

  test("validate of a model with a feature view reads the view's files and gets the view's config", () => {
    // given
    const withView = synth(
      parseConfig(
        {
          project: 'views',
          featureViews: [{ name: 'customer', entityKey: 'customer_id', ttlSeconds: 86400 }],
          models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', featureView: 'customer' }],
        },
        'test: a feature view',
      ),
    );
    const { steps } = model(withView, 'churn');
    const curated = withView.logicalId(withView.stack.dataLake.curated);
    // then
    expect(objectGrants(withView.template, withView.logicalId(steps.validate.role))).toEqual(
      expect.arrayContaining([`s3:GetObject on ${curated}.Arn/features/customer/*`]),
    );
    expect(objectGrants(withView.template, withView.logicalId(steps.validate.role))).not.toContain(
      `s3:PutObject on ${curated}.Arn/features/customer/*`,
    );
    const environment = withView.template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [RUNTIME_ENV.featureViewConfig]: Match.anyValue() } } },
    });
    expect(
      Object.values(environment).map((fn) =>
        JSON.parse(fn.Properties.Environment.Variables[RUNTIME_ENV.featureViewConfig]),
      ),
    ).toEqual(
      // validate and the endpoint (the one variable spells a model's view for every function of it)
      [
        expect.objectContaining({ name: 'customer', entityKey: 'customer_id', ttlSeconds: 86400 }),
        expect.objectContaining({ name: 'customer', entityKey: 'customer_id', ttlSeconds: 86400 }),
      ],
    );
  });

  test('refuses a feature view other than the one the model names', () => {
    const config = parseConfig(
      {
        featureViews: [{ name: 'customer', entityKey: 'customer_id' }],
        models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes' }],
      },
      'test: no view on the model',
    );
    expect(
      () =>
        new RetrainingSteps(new Stack(), 'Steps', {
          model: config.models[0]!,
          dataLake: churn.stack.dataLake,
          featureView: config.featureViews[0]!,
        }),
    ).toThrow(/the model reads feature view undefined, but featureView is "customer"; pass the view the model names/);
  });

  test('listing is limited to the prefix by condition', () => {
    const { steps } = model(churn, 'churn');
    const lists = statementsOf(churn.template, churn.logicalId(steps.validate.role)).filter(
      (statement) => actionsOf(statement).join() === 's3:ListBucket',
    );
    expect(lists.map((statement) => statement.Condition)).toEqual(
      expect.arrayContaining([
        { StringLike: { 's3:prefix': ['churn/*'] } },
        { StringLike: { 's3:prefix': ['registry/churn/*'] } },
      ]),
    );
  });

  test('only the register step may put registry events, on the default bus', () => {
    const { steps } = model(churn, 'churn');
    const events = statementsOf(churn.template, churn.logicalId(steps.register.role)).filter((statement) =>
      actionsOf(statement).includes('events:PutEvents'),
    );
    expect(events.map((statement) => flatten(statement.Resource))).toEqual([
      'arn:AWS::Partition:events:AWS::Region:AWS::AccountId:event-bus/default',
    ]);
  });
});

describe('RetrainingWorkflow', () => {
  test('logs every execution event with data and traces with X-Ray', () => {
    churn.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
  });

  test('encrypts the notification topics and refuses publishing without TLS', () => {
    for (const topic of Object.values(churn.template.findResources('AWS::SNS::Topic'))) {
      expect(flatten(topic.Properties.KmsMasterKeyId)).toBe(
        'arn:AWS::Partition:kms:AWS::Region:AWS::AccountId:alias/aws/sns',
      );
    }
    for (const policy of Object.values(churn.template.findResources('AWS::SNS::TopicPolicy'))) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  test("submits only its own model's training job definition, never another model's", () => {
    const two = synth(twoModels);
    for (const [name, other] of [
      ['churn', 'price'],
      ['price', 'churn'],
    ] as const) {
      const role = two.logicalId(model(two, name).workflow.stateMachine.role);
      const submit = statementsOf(two.template, role).filter((statement) =>
        actionsOf(statement).includes('batch:SubmitJob'),
      );
      const resources = submit.flatMap(resourcesOf).map(flatten);
      const own = two.logicalId(model(two, name).trainingJob.jobDefinition);
      const others = two.logicalId(model(two, other).trainingJob.jobDefinition);
      expect(resources).toContain(own);
      expect(resources).not.toContain(others);
      expect(resources.filter((resource) => resource.includes('job-definition'))).toEqual([]);
    }
  });

  test('starts the state machine on the configured cron', () => {
    const stateMachine = variants.logicalId(model(variants, 'churn').workflow.stateMachine);
    variants.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 ? * MON *)',
      Targets: [Match.objectLike({ Arn: { Ref: stateMachine } })],
    });
  });

  test('starts the scheduled run with an execution input the state machine contract accepts', () => {
    const [rule] = Object.values(
      variants.template.findResources('AWS::Events::Rule', {
        Properties: { ScheduleExpression: 'cron(0 3 ? * MON *)' },
      }),
    ) as { Properties: { Targets: { Input: string }[] } }[];
    const input = executionInputSchema.parse(JSON.parse(rule!.Properties.Targets[0]!.Input));
    expect(input).toEqual({
      model: 'churn',
      trigger: { kind: 'schedule', objects: [], reason: 'cron(0 3 ? * MON *)' },
    });
  });
});

describe('RetrainTrigger', () => {
  test('queues uploads under each model prefix of the raw bucket', () => {
    churn.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: churn.logicalId(churn.stack.dataLake.raw) }] },
          object: { key: [{ prefix: 'churn/' }] },
        },
      },
    });
  });

  test('leaves models with onUpload false out of the upload rule', () => {
    variants.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ object: { key: [{ prefix: 'churn/' }, { prefix: 'price/' }] } }),
      }),
    });
  });

  test('queues the end of every run of the workflows', () => {
    churn.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [{ Ref: churn.logicalId(model(churn, 'churn').workflow.stateMachine) }],
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
    });
  });

  test('encrypts the queues, refuses them without TLS and dead-letters poison messages', () => {
    const queues = Object.values(churn.template.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    churn.template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 10 },
    });
    for (const policy of Object.values(churn.template.findResources('AWS::SQS::QueuePolicy'))) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  test('reads the queue in batches of 100 gathered for up to 60 seconds', () => {
    churn.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('reserves no concurrency, so a new account with a Lambda quota of 10 can deploy', () => {
    const fn = churn.logicalId(churn.stack.trigger.function.function);
    expect(churn.template.toJSON().Resources[fn].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('may start and list executions of the workflows only, and keep its objects under triggers/<model>/', () => {
    const role = churn.logicalId(churn.stack.trigger.function.role);
    const states = statementsOf(churn.template, role).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('states:')),
    );
    expect(states).toEqual([
      expect.objectContaining({
        Action: ['states:ListExecutions', 'states:StartExecution'],
        Resource: { Ref: churn.logicalId(model(churn, 'churn').workflow.stateMachine) },
      }),
    ]);
    const artifacts = churn.logicalId(churn.stack.dataLake.artifacts);
    expect(objectGrants(churn.template, role)).toEqual([
      `s3:DeleteObject on ${artifacts}.Arn/triggers/churn/*`,
      `s3:GetObject on ${artifacts}.Arn/triggers/churn/*`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:PutObject on ${artifacts}.Arn/triggers/churn/*`,
    ]);
  });
});

describe('InferenceEndpoint', () => {
  test('serves over a Function URL with AWS_IAM auth by default', () => {
    churn.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  test('serves without auth when the config says NONE', () => {
    const fn = variants.logicalId(model(variants, 'price').endpoint.function.function);
    variants.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] },
    });
  });

  test('reserves no concurrency on the inference function by default', () => {
    // a new account's quota of 10 leaves nothing to reserve: any reservation would fail the first deploy
    const fn = churn.logicalId(model(churn, 'churn').endpoint.function.function);
    expect(churn.template.toJSON().Resources[fn].Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  test('reserves the concurrency the config sets', () => {
    const fn = variants.logicalId(model(variants, 'price').endpoint.function.function);
    expect(variants.template.toJSON().Resources[fn].Properties.ReservedConcurrentExecutions).toBe(3);
  });

  test('describes its throttle alarm by the account quota when nothing is reserved', () => {
    churn.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      AlarmDescription: Match.stringLikeRegexp("account's concurrency quota is exhausted"),
    });
    variants.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      AlarmDescription: Match.stringLikeRegexp('at the reserved concurrency \\(3\\)'),
    });
  });

  test('warns at synth that a public endpoint without reserved concurrency is capped only by the account quota', () => {
    Annotations.fromStack(optedOut.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('endpoint.auth is NONE for churn.*only the account.*set endpoint.reservedConcurrency'),
    );
    Annotations.fromStack(variants.stack).hasInfo(
      '*',
      Match.stringLikeRegexp('reserved concurrency \\(3\\) caps its cost'),
    );
  });

  test('alarms on errors, throttles and p99 duration', () => {
    const alarms = Object.values(churn.template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties.MetricName,
    );
    expect(alarms).toEqual(expect.arrayContaining(['Errors', 'Throttles', 'Duration']));
    churn.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
    });
  });

  test('reads only the model registry and writes only its capture, actuals and prediction-log prefixes', () => {
    const role = churn.logicalId(model(churn, 'churn').endpoint.function.role);
    const artifacts = churn.logicalId(churn.stack.dataLake.artifacts);
    const monitoring = churn.logicalId(churn.stack.dataLake.monitoring);
    expect(objectGrants(churn.template, role)).toEqual([
      `s3:GetObject on ${artifacts}.Arn/registry/churn/*`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:PutObject on ${monitoring}.Arn/actuals/churn/*`,
      `s3:PutObject on ${monitoring}.Arn/capture/churn/*`,
      `s3:PutObject on ${monitoring}.Arn/predictions/churn/*`,
    ]);
  });

  test('may not write the prediction log when predictions.log is off', () => {
    const role = optedOut.logicalId(model(optedOut, 'churn').endpoint.function.role);
    const monitoring = optedOut.logicalId(optedOut.stack.dataLake.monitoring);
    const grants = objectGrants(optedOut.template, role);
    expect(grants).toContain(`s3:PutObject on ${monitoring}.Arn/actuals/churn/*`);
    expect(grants.filter((grant) => grant.includes('predictions/'))).toEqual([]);
  });

  test('may invoke only the configured SageMaker endpoint', () => {
    const role = variants.logicalId(model(variants, 'price').endpoint.function.role);
    const invoke = statementsOf(variants.template, role).filter((statement) =>
      actionsOf(statement).includes('sagemaker:InvokeEndpoint'),
    );
    expect(invoke.map((statement) => flatten(statement.Resource))).toEqual([
      'arn:AWS::Partition:sagemaker:AWS::Region:AWS::AccountId:endpoint/price-endpoint',
    ]);
    const churnRole = variants.logicalId(model(variants, 'churn').endpoint.function.role);
    expect(JSON.stringify(statementsOf(variants.template, churnRole))).not.toContain('sagemaker');
  });
});

describe('DriftMonitor', () => {
  test('runs the drift function on the configured schedule', () => {
    const fn = churn.logicalId(model(churn, 'churn').driftMonitor.function.function);
    churn.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] } })],
    });
  });

  test('alarms on dataset drift in the Mlops namespace', () => {
    churn.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Mlops',
      MetricName: 'DatasetDrift',
      Dimensions: [{ Name: 'Model', Value: 'churn' }],
    });
  });

  test('reads registry and capture, writes drift reports, publishes to its topic, starts its workflow', () => {
    const { driftMonitor, workflow } = model(churn, 'churn');
    const role = churn.logicalId(driftMonitor.function.role);
    const artifacts = churn.logicalId(churn.stack.dataLake.artifacts);
    const monitoring = churn.logicalId(churn.stack.dataLake.monitoring);
    expect(objectGrants(churn.template, role)).toEqual([
      `s3:GetObject on ${artifacts}.Arn/registry/churn/*`,
      `s3:GetObject on ${monitoring}.Arn/capture/churn/*`,
      `s3:GetObject on ${monitoring}.Arn/drift/churn/*`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:ListBucket on ${monitoring}.Arn`,
      `s3:ListBucket on ${monitoring}.Arn`,
      `s3:PutObject on ${monitoring}.Arn/drift/churn/*`,
    ]);
    const others = statementsOf(churn.template, role)
      .filter((statement) => actionsOf(statement).some((action) => /^(sns|states|cloudwatch):/.test(action)))
      .map((statement) => `${actionsOf(statement).join()} on ${flatten(statement.Resource)}`)
      .sort();
    expect(others).toEqual([
      `sns:Publish on ${churn.logicalId(driftMonitor.alertTopic)}`,
      `states:StartExecution on ${churn.logicalId(workflow.stateMachine)}`,
    ]);
    const fn = churn.logicalId(driftMonitor.function.function);
    expect(churn.template.toJSON().Resources[fn].Properties.Environment.Variables[RUNTIME_ENV.stateMachineArn]).toEqual(
      {
        Ref: churn.logicalId(workflow.stateMachine),
      },
    );
  });

  test('neither knows nor may start the workflow when retrain.onDrift is off', () => {
    const { driftMonitor } = model(optedOut, 'churn');
    const role = optedOut.logicalId(driftMonitor.function.role);
    const actions = statementsOf(optedOut.template, role).flatMap(actionsOf);
    expect(actions.filter((action) => action.startsWith('states:'))).toEqual([]);
    const fn = optedOut.logicalId(driftMonitor.function.function);
    expect(optedOut.template.toJSON().Resources[fn].Properties.Environment.Variables).not.toHaveProperty(
      RUNTIME_ENV.stateMachineArn,
    );
  });
});

describe('QualityMonitor', () => {
  test('runs the quality function on the configured schedule', () => {
    const fn = churn.logicalId(model(churn, 'churn').qualityMonitor.function.function);
    churn.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] } })],
    });
  });

  test('alarms on a quality drop and on a rollback in the Mlops namespace', () => {
    for (const metricName of ['QualityDegraded', 'QualityRollback']) {
      churn.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Mlops',
        MetricName: metricName,
        Dimensions: [{ Name: 'Model', Value: 'churn' }],
      });
    }
  });

  test("reads only the model's logs, uploads and registry, writes its join and reports, starts its workflow", () => {
    const { qualityMonitor, workflow } = model(churn, 'churn');
    const role = churn.logicalId(qualityMonitor.function.role);
    const artifacts = churn.logicalId(churn.stack.dataLake.artifacts);
    const monitoring = churn.logicalId(churn.stack.dataLake.monitoring);
    const raw = churn.logicalId(churn.stack.dataLake.raw);
    expect(objectGrants(churn.template, role)).toEqual([
      `s3:DeleteObject on ${monitoring}.Arn/ground-truth/churn/*`,
      `s3:GetObject on ${artifacts}.Arn/registry/churn/*`,
      `s3:GetObject on ${monitoring}.Arn/actuals/churn/*`,
      `s3:GetObject on ${monitoring}.Arn/ground-truth/churn/*`,
      `s3:GetObject on ${monitoring}.Arn/joined/churn/*`,
      `s3:GetObject on ${monitoring}.Arn/predictions/churn/*`,
      `s3:GetObject on ${monitoring}.Arn/quality/churn/*`,
      `s3:GetObject on ${raw}.Arn/feedback/churn/*`,
      `s3:ListBucket on ${artifacts}.Arn`,
      `s3:ListBucket on ${monitoring}.Arn`,
      `s3:ListBucket on ${monitoring}.Arn`,
      `s3:ListBucket on ${monitoring}.Arn`,
      `s3:ListBucket on ${monitoring}.Arn`,
      `s3:ListBucket on ${monitoring}.Arn`,
      `s3:ListBucket on ${raw}.Arn`,
      `s3:PutObject on ${monitoring}.Arn/ground-truth/churn/*`,
      `s3:PutObject on ${monitoring}.Arn/joined/churn/*`,
      `s3:PutObject on ${monitoring}.Arn/quality/churn/*`,
    ]);
    const others = statementsOf(churn.template, role)
      .filter((statement) => actionsOf(statement).some((action) => /^(sns|states|cloudwatch|events):/.test(action)))
      .map((statement) => `${actionsOf(statement).join()} on ${flatten(statement.Resource)}`)
      .sort();
    expect(others).toEqual([
      `sns:Publish on ${churn.logicalId(qualityMonitor.alertTopic)}`,
      `states:StartExecution on ${churn.logicalId(workflow.stateMachine)}`,
    ]);
  });

  test('may write the registry only when quality.rollbackOnRegression is on', () => {
    const rollback = synth(
      parseConfig(
        {
          project: 'rollback',
          models: [{ name: 'churn', target: 'churned', positiveLabel: 'yes', quality: { rollbackOnRegression: true } }],
        },
        'test: rollback',
      ),
    );
    const registryWrites = (synthesized: Synthesized) =>
      objectGrants(
        synthesized.template,
        synthesized.logicalId(model(synthesized, 'churn').qualityMonitor.function.role),
      ).filter((grant) => grant.startsWith('s3:PutObject') && grant.includes('/registry/'));
    expect(registryWrites(churn)).toEqual([]);
    expect(registryWrites(rollback)).toEqual([
      `s3:PutObject on ${rollback.logicalId(rollback.stack.dataLake.artifacts)}.Arn/registry/churn/*`,
    ]);
  });
});

describe('MlopsStack', () => {
  test('outputs endpoint URLs, bucket names, state machine and topic ARNs', () => {
    const outputs = Object.keys(churn.template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ChurnEndpointUrl',
        'ChurnStateMachineArn',
        'ChurnNotificationTopicArn',
        'ChurnDriftTopicArn',
        'RawBucketName',
        'CuratedBucketName',
        'ArtifactsBucketName',
        'MonitoringBucketName',
        'DashboardName',
      ]),
    );
  });

  test('creates one dashboard for the deployment', () => {
    churn.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('two models get two workflows and endpoints on one data lake and one compute environment', () => {
    const { template } = synth(twoModels);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    template.resourceCountIs('AWS::Lambda::Url', 2);
    template.resourceCountIs('AWS::Batch::JobDefinition', 2);
    template.resourceCountIs('AWS::S3::Bucket', 5);
    template.resourceCountIs('AWS::Batch::ComputeEnvironment', 1);
    template.resourceCountIs('AWS::Batch::JobQueue', 1);
    template.resourceCountIs('AWS::SQS::Queue', 2);
  });
});

describe('InferenceEndpoint reload on promotion', () => {
  test('an EventBridge rule sends production moves of the model to its function', () => {
    const { endpoint } = model(churn, 'churn');
    churn.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['mlops.registry'],
        'detail-type': ['ModelAliasMoved'],
        detail: { model: ['churn'], alias: ['production'] },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': [churn.logicalId(endpoint.function.function), 'Arn'] } }],
    });
  });
});
