import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JsonPath,
  LogLevel,
  Pass,
  QueryLanguage,
  Result,
  StateMachine,
  Succeed,
  TaskInput,
  type TaskStateBase,
} from 'aws-cdk-lib/aws-stepfunctions';
import {
  BatchSubmitJob,
  type BatchSubmitJobProps,
  LambdaInvoke,
  SnsPublish,
} from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { ModelConfig } from '../core/config/schema';
import {
  type ExecutionInput,
  evaluationResultSchema,
  registrationResultSchema,
  TRAINER_ENV,
  validationResultSchema,
} from '../core/workflow/contract';
import type { DataLake } from './data-lake';
import type { FunctionKind } from './lambda-entries';
import { acknowledgeWildcardResource, XRAY_REASON } from './nag';
import { TrainingJob } from './training-job';

/** Errors a step throws when a retry cannot help: the event or the config is wrong (see lambdas/shared/step-errors.ts). */
const DETERMINISTIC_STEP_ERRORS = ['StepInputError', 'WorkflowConfigError'] as const;

/**
 * BatchSubmitJob grants batch:SubmitJob on every job definition of the account
 * ("job-definition/*"). This one grants only the job definition (the revision the state machine
 * names) and the queue it submits to, so one model's workflow cannot start another's job.
 */
class ModelBatchSubmitJob extends BatchSubmitJob {
  constructor(scope: Construct, id: string, props: BatchSubmitJobProps) {
    super(scope, id, props);
    const [, events] = this.taskPolicies ?? [];
    (this as unknown as { taskPolicies?: PolicyStatement[] }).taskPolicies = [
      new PolicyStatement({ actions: ['batch:SubmitJob'], resources: [props.jobDefinitionArn, props.jobQueueArn] }),
      ...(events ? [events] : []),
    ];
  }
}

/** Task states of the retraining state machine and the function each one invokes (for local hosts). */
export const WORKFLOW_LAMBDA_STATES: Readonly<Record<string, FunctionKind>> = {
  Validate: 'validate-data',
  Adopt: 'adopt-artifact',
  Evaluate: 'evaluate-model',
  Register: 'register-model',
  RecordFailure: 'record-failure',
};
export const WORKFLOW_BATCH_STATE = 'Train';
export const WORKFLOW_SNS_STATES = ['Notify', 'NotifyFailure'] as const;

export interface RetrainingWorkflowProps {
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  readonly trainingJob: TrainingJob;
  readonly validateFunction: IFunction;
  /** Adopts an imported artifact in place of training (state `Adopt`). */
  readonly adoptFunction: IFunction;
  readonly evaluateFunction: IFunction;
  readonly registerFunction: IFunction;
  readonly recordFailureFunction: IFunction;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * One model's retraining state machine (JSONPath): Validate -> Train (Batch, .sync) -> Evaluate ->
 * Gate -> Register (promotes only on 'promote') -> Notify. A run started with a candidateKey
 * (`mlops register`) takes Adopt instead of Train: the imported artifact becomes the run's
 * candidate and meets the same gate, registry and failure path. Every task catches into RecordFailure
 * -> NotifyFailure -> Fail, so a failed run never touches the production alias. Logs everything
 * and traces with X-Ray; publishes outcomes to the model's notification topic; optionally started
 * by a cron rule.
 */
export class RetrainingWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly notificationTopic: Topic;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: RetrainingWorkflowProps) {
    super(scope, id);
    const { model, dataLake, trainingJob } = props;
    const name = model.name;

    this.notificationTopic = new Topic(this, 'Notifications', {
      displayName: `Retraining of ${name}`,
      // The AWS-managed SNS key: encrypted at rest with no key to pay for while idle.
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });

    // A step's result is the contract's fields picked from the Lambda payload, stored under its own key
    // ($.validation, ...). A step without a result (RecordFailure) leaves the state as it was.
    // Validate and RecordFailure also receive the execution name, which becomes the run id, so the
    // run record, the trainer's output prefix and the execution share one identifier.
    const withRunId = TaskInput.fromObject({ input: JsonPath.entirePayload, runId: JsonPath.executionName });
    const invoke = (
      stateId: string,
      fn: IFunction,
      result?: { path: string; fields: readonly string[] },
      payload?: TaskInput,
    ) =>
      new LambdaInvoke(this, stateId, {
        lambdaFunction: fn,
        payload,
        resultSelector: result
          ? Object.fromEntries(result.fields.map((field) => [field, JsonPath.objectAt(`$.Payload.${field}`)]))
          : undefined,
        resultPath: result ? result.path : JsonPath.DISCARD,
      });

    const validate = invoke(
      'Validate',
      props.validateFunction,
      { path: '$.validation', fields: Object.keys(validationResultSchema.shape) },
      withRunId,
    );

    const outputTemplate = TrainingJob.outputPrefix(name, '{}');
    const train = new ModelBatchSubmitJob(this, WORKFLOW_BATCH_STATE, {
      jobName: `${name}-training`,
      jobQueueArn: trainingJob.jobQueue.jobQueueArn,
      jobDefinitionArn: trainingJob.jobDefinition.jobDefinitionArn,
      containerOverrides: {
        environment: {
          [TRAINER_ENV.runId]: JsonPath.stringAt('$.validation.runId'),
          [TRAINER_ENV.input]: JsonPath.format(
            's3://{}/{}',
            dataLake.curated.bucketName,
            JsonPath.stringAt('$.validation.trainingInputKey'),
          ),
          [TRAINER_ENV.output]: JsonPath.format(
            `s3://{}/${outputTemplate}`,
            dataLake.artifacts.bucketName,
            JsonPath.stringAt('$.validation.runId'),
          ),
        },
      },
      resultSelector: { jobId: JsonPath.stringAt('$.JobId'), status: JsonPath.stringAt('$.Status') },
      resultPath: '$.training',
    });

    const adopt = invoke('Adopt', props.adoptFunction, { path: '$.training', fields: ['imported'] });
    const candidateSource = new Choice(this, 'TrainOrAdopt', {
      comment: 'An execution input with candidateKey registers an imported artifact instead of training one',
    })
      .when(Condition.isPresent('$.candidateKey'), adopt)
      .otherwise(train);

    const evaluate = invoke('Evaluate', props.evaluateFunction, {
      path: '$.evaluation',
      fields: Object.keys(evaluationResultSchema.shape),
    });
    const register = invoke('Register', props.registerFunction, {
      path: '$.registration',
      fields: Object.keys(registrationResultSchema.shape),
    });
    // Register is idempotent by run id, so a failure after its promotion (one S3 error while
    // updating the run record) is retried to completion rather than recorded as a failed run.
    // Errors that a retry cannot change are not retried.
    register.addRetry({ errors: [...DETERMINISTIC_STEP_ERRORS], maxAttempts: 0 });
    register.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
    const notify = new SnsPublish(this, 'Notify', {
      topic: this.notificationTopic,
      subject: `Retraining of ${name} finished`,
      message: TaskInput.fromObject({
        model: name,
        outcome: 'succeeded',
        runId: JsonPath.stringAt('$.validation.runId'),
        decision: JsonPath.stringAt('$.evaluation.decision'),
        reason: JsonPath.stringAt('$.evaluation.reason'),
        registration: JsonPath.objectAt('$.registration'),
        execution: JsonPath.executionId,
      }),
      resultPath: JsonPath.DISCARD,
    });

    const recordFailure = invoke(
      'RecordFailure',
      props.recordFailureFunction,
      { path: '$.failure', fields: ['runId', 'failedStep', 'reason', 'productionVersion', 'productionChanged'] },
      withRunId,
    );
    const notifyFailure = new SnsPublish(this, 'NotifyFailure', {
      topic: this.notificationTopic,
      subject: `Retraining of ${name} failed`,
      message: TaskInput.fromObject({
        model: name,
        outcome: 'failed',
        runId: JsonPath.stringAt('$.failure.runId'),
        failedStep: JsonPath.stringAt('$.failure.failedStep'),
        reason: JsonPath.stringAt('$.failure.reason'),
        productionChanged: JsonPath.objectAt('$.failure.productionChanged'),
        error: JsonPath.objectAt('$.error'),
        execution: JsonPath.executionId,
      }),
      resultPath: JsonPath.DISCARD,
    });
    const failed = new Fail(this, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    // The failure path must not fail: if RecordFailure itself fails (after retries), `$.failure`
    // is filled from what is always present, so NotifyFailure never meets a missing path.
    const failureNotRecorded = new Pass(this, 'FailureNotRecorded', {
      parameters: {
        runId: JsonPath.executionName,
        failedStep: 'unknown',
        reason: JsonPath.format(
          'the failure could not be recorded in the run record ({}); see the execution history',
          JsonPath.stringAt('$.recordFailureError.Error'),
        ),
        productionChanged: 'unknown',
      },
      resultPath: '$.failure',
    }).next(notifyFailure);
    recordFailure.addRetry({ errors: ['States.ALL'], maxAttempts: 2, interval: Duration.seconds(2), backoffRate: 2 });
    recordFailure.addCatch(failureNotRecorded, { resultPath: '$.recordFailureError' });
    notifyFailure.addCatch(failed, { resultPath: '$.notifyFailureError' });
    recordFailure.next(notifyFailure);
    notifyFailure.next(failed);

    for (const task of [validate, train, adopt, evaluate, register, notify] as TaskStateBase[]) {
      task.addCatch(recordFailure, { resultPath: '$.error' });
    }

    const unknownDecision = new Pass(this, 'UnknownDecision', {
      result: Result.fromObject({
        Error: 'Mlops.UnknownGateDecision',
        Cause: 'evaluate-model returned a decision other than promote or reject',
      }),
      resultPath: '$.error',
    }).next(recordFailure);
    const gate = new Choice(this, 'Gate')
      .when(
        Condition.or(
          Condition.stringEquals('$.evaluation.decision', 'promote'),
          Condition.stringEquals('$.evaluation.decision', 'reject'),
        ),
        register,
      )
      .otherwise(unknownDecision);
    register.next(notify).next(new Succeed(this, 'Succeeded'));

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${name}-retraining`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: `Retraining of ${name}: validate, train (or adopt an imported artifact), evaluate, gate, register, notify`,
      queryLanguage: QueryLanguage.JSON_PATH,
      definitionBody: DefinitionBody.fromChainable(
        validate.next(candidateSource.afterwards().next(evaluate).next(gate)),
      ),
      timeout: Duration.minutes(model.training.timeoutMinutes * 3 + 60),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeRoleFindings(props);

    if (model.retrain.cron) {
      const input: ExecutionInput = {
        model: name,
        trigger: { kind: 'schedule', objects: [], reason: model.retrain.cron },
      };
      new Rule(this, 'Schedule', {
        description: `Retrains ${name} on ${model.retrain.cron}`,
        schedule: Schedule.expression(model.retrain.cron),
        targets: [new SfnStateMachine(this.stateMachine, { input: RuleTargetInput.fromObject(input) })],
      });
    }
  }

  private acknowledgeRoleFindings(props: RetrainingWorkflowProps): void {
    const role = this.stateMachine.role;
    acknowledgeWildcardResource(
      role,
      '*',
      `${XRAY_REASON} CloudWatch Logs delivery (logs:CreateLogDelivery and related) also requires "*".`,
    );
    for (const fn of [
      props.validateFunction,
      props.adoptFunction,
      props.evaluateFunction,
      props.registerFunction,
      props.recordFailureFunction,
    ]) {
      acknowledgeWildcardResource(
        role,
        `${fn.functionArn}:*`,
        'LambdaInvoke grants the function and its versions/aliases (":*"); the state machine calls this one function only.',
      );
    }
  }
}
