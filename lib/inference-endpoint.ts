import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FeatureViewConfig } from '../core/config/feature-view-schema';
import { modelConfigToEnv, RUNTIME_ENV } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { actualsPrefix, predictionsPrefix } from '../core/ground-truth/layout';
import { productionMovePattern } from '../core/registry/events';
import { capturePrefix, registryPrefix } from '../core/workflow/layout';
import type { DataLake } from './data-lake';
import {
  type FeatureTable,
  featureViewEnvironment,
  featureViewReaderFor,
  grantFeatureViewRead,
} from './feature-view-access';
import { MlopsFunction } from './mlops-function';

export interface InferenceEndpointProps {
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /** @default 1769 (one full vCPU: scoring 1,000 rows is CPU-bound) */
  readonly memorySize?: number;
  /** @default Duration.seconds(15) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * The online feature store's table. Used only when the model has a featureView: the function
   * then reads that view's items (BatchGetItem on `<view>#*` keys only).
   * @default - none; required for a model with a featureView
   */
  readonly featureTable?: FeatureTable;
  /** The model's feature view (featureViewOf(config, model)). @default - none; required for a model with a featureView */
  readonly featureView?: FeatureViewConfig;
}

/**
 * One model's HTTPS endpoint: the inference function behind a Lambda Function URL (AWS_IAM auth
 * unless the config says NONE, acknowledged), reserved concurrency only when the config sets one
 * (a new account's quota of 10 leaves none to reserve: docs/deploy.md), alarms on errors, throttles
 * and p99 duration; reads the model's registry prefix, writes its capture, prediction-log and
 * actuals prefixes, and may invoke the configured SageMaker endpoint.
 */
export class InferenceEndpoint extends Construct {
  public readonly function: MlopsFunction;
  public readonly url: FunctionUrl;
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: InferenceEndpointProps) {
    super(scope, id);
    const { model, dataLake } = props;
    const timeout = props.timeout ?? Duration.seconds(15);
    const reader = featureViewReaderFor(model, props.featureTable, props.featureView);
    this.function = new MlopsFunction(this, 'Function', {
      kind: 'inference',
      description: `Inference endpoint of ${model.name}`,
      memorySize: props.memorySize ?? 1769,
      timeout,
      reservedConcurrentExecutions: model.endpoint.reservedConcurrency,
      logRetention: props.logRetention,
      environment: {
        [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
        ...(reader ? featureViewEnvironment(reader.table, reader.view) : {}),
      },
    })
      .useZone(
        'artifacts',
        dataLake.artifacts,
        registryPrefix(model.name),
        'read',
        `Loads the production alias and the model version it points to under ${registryPrefix(model.name)}.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        capturePrefix(model.name),
        'write',
        `Writes sampled requests under ${capturePrefix(model.name)}dt=<day>/hour=<hour>/, keys known only at run time.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        actualsPrefix(model.name),
        'write',
        `POST /feedback writes each request's actuals as a new batch under ${actualsPrefix(model.name)}dt=<day>/hour=<hour>/, named at run time.`,
      );
    if (model.predictions.log) {
      this.function.useZone(
        'monitoring',
        dataLake.monitoring,
        predictionsPrefix(model.name),
        'write',
        `Records each request's predictions as a new batch under ${predictionsPrefix(model.name)}dt=<day>/hour=<hour>/, named at run time.`,
      );
    }

    if (reader) grantFeatureViewRead(this.function.role, reader.table, reader.view.name);

    const sagemakerEndpoint = model.endpoint.sagemakerEndpointName;
    if (sagemakerEndpoint) {
      this.function.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['sagemaker:InvokeEndpoint'],
          // SageMaker ARNs carry the endpoint name in lower case.
          resources: [
            Stack.of(this).formatArn({
              service: 'sagemaker',
              resource: 'endpoint',
              resourceName: sagemakerEndpoint.toLowerCase(),
            }),
          ],
        }),
      );
    }

    // A production move reloads the model in the container that receives the event at once; the
    // other containers follow within endpoint.modelRefreshSeconds.
    new Rule(this, 'ReloadOnPromotion', {
      description: `Reloads ${model.name}'s endpoint when its production alias moves`,
      eventPattern: productionMovePattern(model.name),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });

    const { reservedConcurrency } = model.endpoint;
    const authType = model.endpoint.auth === 'NONE' ? FunctionUrlAuthType.NONE : FunctionUrlAuthType.AWS_IAM;
    this.url = this.function.function.addFunctionUrl({ authType });
    if (authType === FunctionUrlAuthType.NONE) {
      // The config already required endpoint.acknowledgePublicAccess; AwsSolutions has no rule on
      // Function URL auth, so the cost cap (or its absence) is said at synth instead.
      if (reservedConcurrency === undefined) {
        Annotations.of(this.url).addWarningV2(
          '@mlops/public-endpoint-uncapped',
          `endpoint.auth is NONE for ${model.name}: the URL is public and only the account's concurrency quota caps its cost; set endpoint.reservedConcurrency to cap it (the quota must leave room: docs/deploy.md).`,
        );
      } else {
        Annotations.of(this.url).addInfo(
          `endpoint.auth is NONE for ${model.name}: the URL is public; reserved concurrency (${reservedConcurrency}) caps its cost.`,
        );
      }
    }

    const fn = this.function.function;
    const period = Duration.minutes(5);
    this.alarms = [
      new Alarm(this, 'ErrorsAlarm', {
        alarmDescription: `${model.name} endpoint: invocations failed (5xx or crash)`,
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'ThrottlesAlarm', {
        // Without a reservation the function shares the account's pool: a throttle then means the
        // whole account ran out of concurrency, which matters as much.
        alarmDescription:
          reservedConcurrency === undefined
            ? `${model.name} endpoint: requests throttled, the account's concurrency quota is exhausted (no reserved concurrency)`
            : `${model.name} endpoint: requests throttled at the reserved concurrency (${reservedConcurrency})`,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'LatencyAlarm', {
        alarmDescription: `${model.name} endpoint: p99 duration above 80% of the timeout`,
        metric: fn.metricDuration({ period, statistic: 'p99' }),
        threshold: timeout.toMilliseconds() * 0.8,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
