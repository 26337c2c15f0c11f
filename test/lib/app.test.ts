import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { DefinitionBody, StateMachine, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import { FEATURE_FLAGS } from '../../lib/app';
import { DataLake } from '../../lib/data-lake';
import { RetrainTrigger } from '../../lib/retrain-trigger';
import { Training } from '../../lib/training';
import { TrainingJob } from '../../lib/training-job';
import { churnOnly } from './helpers';

const REPO = join(__dirname, '../..');

function newStack(context: Record<string, unknown> = FEATURE_FLAGS): Stack {
  return new Stack(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

describe('construct props are validated with the value received and the fix', () => {
  test('DataLake refuses an app without bucket-policy access-log delivery', () => {
    const stack = newStack({});
    expect(() => new DataLake(stack, 'DataLake')).toThrow(/serverAccessLogsUseBucketPolicy.*buildApp sets it/);
  });

  test('Training rejects maxvCpus below 1', () => {
    const stack = newStack();
    const dataLake = new DataLake(stack, 'DataLake');
    expect(() => new Training(stack, 'Training', { flowLogBucket: dataLake.accessLogs, maxvCpus: 0 })).toThrow(
      'maxvCpus must be at least 1, received 0',
    );
  });

  test('TrainingJob rejects more than 10 attempts', () => {
    const stack = newStack();
    const dataLake = new DataLake(stack, 'DataLake');
    const training = new Training(stack, 'Training', { flowLogBucket: dataLake.accessLogs });
    expect(
      () =>
        new TrainingJob(stack, 'Job', {
          model: churnOnly.models[0],
          dataLake,
          jobQueue: training.queueFor({ gpu: 0, spot: false }),
          attempts: 11,
        }),
    ).toThrow('attempts must be between 1 and 10 (AWS Batch), received 11');
  });

  test('RetrainTrigger rejects an empty list of workflows', () => {
    const stack = newStack();
    const dataLake = new DataLake(stack, 'DataLake');
    expect(
      () =>
        new RetrainTrigger(stack, 'Trigger', {
          rawBucket: dataLake.raw,
          artifactsBucket: dataLake.artifacts,
          workflows: [],
        }),
    ).toThrow('RetrainTrigger needs at least one workflow');
  });

  test('RetrainTrigger rejects a batch size above 10000', () => {
    const stack = newStack();
    const dataLake = new DataLake(stack, 'DataLake');
    const stateMachine = new StateMachine(stack, 'Workflow', {
      definitionBody: DefinitionBody.fromChainable(new Succeed(stack, 'Done')),
    });
    expect(
      () =>
        new RetrainTrigger(stack, 'Trigger', {
          rawBucket: dataLake.raw,
          artifactsBucket: dataLake.artifacts,
          workflows: [{ model: 'churn', stateMachine, onUpload: true }],
          batchSize: 20000,
        }),
    ).toThrow('batchSize must be 1 to 10000, received 20000');
  });

  test('Training shares one queue between models of the same capacity', () => {
    const stack = newStack();
    const training = new Training(stack, 'Training', { flowLogBucket: new DataLake(stack, 'DataLake').accessLogs });
    expect(training.queueFor({ gpu: 0, spot: false })).toBe(training.queueFor({ gpu: 0, spot: false }));
    expect(training.queueFor({ gpu: 0, spot: true })).not.toBe(training.queueFor({ gpu: 0, spot: false }));
  });
});

describe('project settings', () => {
  test('cdk.json runs the app through tsx with notices and telemetry off', () => {
    const cdk = JSON.parse(readFileSync(join(REPO, 'cdk.json'), 'utf8'));
    expect(cdk.app).toBe('node bin/run-ts.js bin/app.ts');
    expect(cdk.notices).toBe(false);
    expect(cdk.context['cli-telemetry']).toBe(false);
  });

  test('the config module imports nothing from AWS', () => {
    const folder = join(REPO, 'core/config');
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
      expect({
        file,
        imports: readFileSync(join(folder, file), 'utf8').match(/from '(aws-cdk-lib|@aws-sdk)[^']*'/g),
      }).toEqual({
        file,
        imports: null,
      });
    }
  });
});
