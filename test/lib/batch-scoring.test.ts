import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parseConfig } from '../../core/config/parse';
import { buildApp, FEATURE_FLAGS } from '../../lib/app';
import { BatchScoring } from '../../lib/batch-scoring';
import { DataLake } from '../../lib/data-lake';
import { StreamingScoring } from '../../lib/streaming-scoring';
import { Training } from '../../lib/training';
import { churnOnly, flatten, objectGrants, PLATFORM_RETRY_STRATEGY, type Synthesized, synth } from './helpers';

const scoringConfig = parseConfig(
  {
    project: 'scoring',
    models: [
      {
        name: 'churn',
        target: 'churned',
        positiveLabel: 'yes',
        streaming: { batchSize: 200, maxRetries: 3, shardCount: 2 },
        batchScoring: { schedule: 'cron(0 2 * * ? *)', shards: 4, vcpu: 2, memoryMiB: 4096 },
      },
    ],
  },
  'test: scoring',
);

let scoring: Synthesized;
beforeAll(() => {
  scoring = synth(scoringConfig);
});

describe('batch scoring', () => {
  test('the job definition runs mlops score in the trainer image with input, out and shards parameters, replacing earlier outputs', () => {
    // given batchScoring in the config, when synthesized, then the job runs the score command with defaults
    const [definition] = Object.values(
      scoring.template.findResources('AWS::Batch::JobDefinition', {
        Properties: { Parameters: Match.objectLike({ shards: '4' }) },
      }),
    );
    const container = definition!.Properties.ContainerProperties;
    expect(container.Command).toEqual([
      'score',
      '--model',
      'churn',
      '--input',
      'Ref::input',
      '--out',
      'Ref::out',
      '--shards',
      'Ref::shards',
      '--force',
    ]);
    expect(container.ResourceRequirements).toEqual(
      expect.arrayContaining([
        { Type: 'VCPU', Value: '2' },
        { Type: 'MEMORY', Value: '4096' },
      ]),
    );
  });

  test('the default input and output are the model score prefixes of the curated zone', () => {
    // given the scoring job definition, when its parameters are read, then they name the curated prefixes
    const definitions = scoring.template.findResources('AWS::Batch::JobDefinition', {
      Properties: { Parameters: Match.objectLike({ shards: '4' }) },
    });
    const [definition] = Object.values(definitions);
    const parameters = definition!.Properties.Parameters as Record<string, unknown>;
    expect(flatten(parameters.input)).toMatch(/^s3:\/\/DataLakeCurated[0-9A-F]+\/churn\/score\/input\/$/);
    expect(flatten(parameters.out)).toMatch(/^s3:\/\/DataLakeCurated[0-9A-F]+\/churn\/score\/output\/$/);
  });

  test('the job role reads and writes only under the score prefix, reads only the model registry and may only add prediction records', () => {
    // given the job role, when its S3 grants are listed, then they are limited to the three prefixes
    const batch = scoring.stack.models.get('churn')!.batchScoring!;
    const grants = objectGrants(scoring.template, scoring.logicalId(batch.jobRole));
    expect(grants.map((grant) => grant.replace(/[0-9A-F]{8}\./, '.'))).toEqual([
      's3:GetObject on DataLakeArtifacts.Arn/registry/churn/*',
      's3:GetObject on DataLakeCurated.Arn/churn/score/*',
      's3:ListBucket on DataLakeArtifacts.Arn',
      's3:ListBucket on DataLakeCurated.Arn',
      's3:PutObject on DataLakeCurated.Arn/churn/score/*',
      's3:PutObject on DataLakeMonitoring.Arn/predictions/churn/*',
    ]);
  });

  test('the job is told the monitoring bucket for the prediction log, and neither it nor the grant exists with the log off', () => {
    // given the default config (log on) and one with predictions.log false
    const environmentOf = (synthesized: Synthesized) => {
      const [definition] = Object.values(
        synthesized.template.findResources('AWS::Batch::JobDefinition', {
          Properties: { Parameters: Match.objectLike({ shards: '4' }) },
        }),
      );
      const entries = definition!.Properties.ContainerProperties.Environment as { Name: string; Value: unknown }[];
      return Object.fromEntries(entries.map((entry) => [entry.Name, flatten(entry.Value)]));
    };
    const off = synth(
      parseConfig(
        {
          project: 'scoring',
          models: [
            {
              name: 'churn',
              target: 'churned',
              positiveLabel: 'yes',
              predictions: { log: false },
              batchScoring: { schedule: 'cron(0 2 * * ? *)', shards: 4 },
            },
          ],
        },
        'test: scoring, log off',
      ),
    );
    // when synthesized, then MLOPS_MONITORING_BUCKET is set only with the log on
    expect(environmentOf(scoring).MLOPS_MONITORING_BUCKET).toMatch(/^DataLakeMonitoring[0-9A-F]+$/);
    expect(environmentOf(off).MLOPS_MONITORING_BUCKET).toBeUndefined();
    const batch = off.stack.models.get('churn')!.batchScoring!;
    expect(objectGrants(off.template, off.logicalId(batch.jobRole)).some((grant) => grant.includes('Monitoring'))).toBe(
      false,
    );
  });

  test('the scoring job retries exactly as the training job does: exit code 75 and Spot or host interruptions', () => {
    // given one model with both jobs, when synthesized, then both job definitions carry the same retry strategy
    const resources = scoring.stack.models.get('churn')!;
    const retryStrategyOf = (jobDefinition: IConstruct) =>
      scoring.template.toJSON().Resources[scoring.logicalId(jobDefinition)].Properties.RetryStrategy;
    const scoringRetries = retryStrategyOf(resources.batchScoring!.jobDefinition);
    expect(scoringRetries).toEqual(retryStrategyOf(resources.trainingJob.jobDefinition));
    expect(scoringRetries).toEqual(PLATFORM_RETRY_STRATEGY);
  });

  test('the schedule submits an array job of the configured shards', () => {
    // given a cron schedule and 4 shards, when synthesized, then a rule targets the queue with array size 4
    scoring.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Targets: [Match.objectLike({ BatchParameters: Match.objectLike({ ArrayProperties: { Size: 4 } }) })],
    });
  });

  test('an upload under the input prefix submits one plain job over that object', () => {
    // given onUpload (the default), when synthesized, then a rule on the curated bucket passes the object as the input parameter
    scoring.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'detail-type': ['Object Created'],
        detail: Match.objectLike({ object: { key: [{ prefix: 'churn/score/input/' }] } }),
      }),
      Targets: [
        Match.objectLike({
          BatchParameters: Match.objectLike({ JobName: 'score-churn' }),
          InputTransformer: Match.objectLike({
            InputTemplate: Match.stringLikeRegexp('"input":"s3://<detail-bucket-name>/<detail-object-key>"'),
          }),
        }),
      ],
    });
  });

  test('the stack outputs the queue and job definition that mlops score submit needs', () => {
    // given batch scoring, when synthesized, then both outputs exist
    const outputs = Object.keys(scoring.template.toJSON().Outputs);
    expect(outputs).toEqual(expect.arrayContaining(['ChurnScoreJobQueue', 'ChurnScoreJobDefinition']));
  });

  test('BatchScoring refuses a model without a batchScoring section, naming it', () => {
    // given the churn-only config (no batchScoring), when the construct is built, then it throws
    const stack = new Stack(new App({ context: FEATURE_FLAGS }));
    const dataLake = new DataLake(stack, 'DataLake');
    const training = new Training(stack, 'Training', { flowLogBucket: dataLake.accessLogs });
    expect(
      () =>
        new BatchScoring(stack, 'BatchScoring', {
          model: churnOnly.models[0]!,
          dataLake,
          jobQueue: training.queueFor({ gpu: 0, spot: false }),
        }),
    ).toThrow('BatchScoring needs models[churn].batchScoring in the config; received none');
  });
});

describe('streaming scoring', () => {
  test('input and output streams are encrypted with the configured shards', () => {
    // given streaming with 2 shards, when synthesized, then two encrypted streams exist
    scoring.template.resourcePropertiesCountIs(
      'AWS::Kinesis::Stream',
      { ShardCount: 2, StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } },
      2,
    );
  });

  test('the event source mapping reports partial failures, bisects, bounds retries and sends failures to the queue', () => {
    // given streaming settings, when synthesized, then the mapping carries them
    const streaming = scoring.stack.models.get('churn')!.streamingScoring!;
    scoring.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 200,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'LATEST',
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [scoring.logicalId(streaming.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  test('the function is the stream-scorer kind with its output stream and dead-letter queue in the environment', () => {
    // given the function, when synthesized, then the environment names the streams and queue
    const streaming = scoring.stack.models.get('churn')!.streamingScoring!;
    scoring.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Scores churn records from its Kinesis stream',
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'stream-scorer',
          MLOPS_OUTPUT_STREAM_NAME: { Ref: scoring.logicalId(streaming.outputStream) },
          MLOPS_DEAD_LETTER_QUEUE_URL: { Ref: scoring.logicalId(streaming.deadLetterQueue) },
        }),
      },
    });
  });

  test("the stream scorer may write only its model's prediction-log prefix in the monitoring zone", () => {
    const streaming = scoring.stack.models.get('churn')!.streamingScoring!;
    const monitoring = scoring.logicalId(scoring.stack.dataLake.monitoring);
    const grants = objectGrants(scoring.template, scoring.logicalId(streaming.function.role));
    expect(grants.filter((grant) => grant.includes(monitoring))).toEqual([
      `s3:PutObject on ${monitoring}.Arn/predictions/churn/*`,
    ]);
  });

  test('StreamingScoring refuses a model without a streaming section, naming it', () => {
    // given the churn-only config, when the construct is built, then it throws
    const stack = new Stack(new App({ context: FEATURE_FLAGS }));
    const dataLake = new DataLake(stack, 'DataLake');
    expect(() => new StreamingScoring(stack, 'Streaming', { model: churnOnly.models[0]!, dataLake })).toThrow(
      'StreamingScoring needs models[churn].streaming in the config; received none',
    );
  });

  test('a model without streaming or batchScoring deploys neither', () => {
    // given the churn-only config, when synthesized, then no stream or scoring job exists
    const plain = synth(churnOnly);
    plain.template.resourceCountIs('AWS::Kinesis::Stream', 0);
    expect(plain.stack.models.get('churn')).toMatchObject({ batchScoring: undefined, streamingScoring: undefined });
  });
});

test('both scoring paths pass cdk-nag AwsSolutions with their acknowledgements', () => {
  // given the scoring config with the AwsSolutions plugin, when synthesized, then no finding is left
  const { app } = buildApp(scoringConfig, {
    bundle: false,
    cloudFormationValidation: false,
    outdir: mkdtempSync(join(tmpdir(), 'mlops-nag-scoring-')),
  });
  expect(() => app.synth()).not.toThrow();
});
