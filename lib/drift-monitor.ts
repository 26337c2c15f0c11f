import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, MODEL_DIMENSION, modelConfigToEnv, RUNTIME_ENV } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { capturePrefix, driftReportPrefix, registryPrefix } from '../core/workflow/layout';
import type { DataLake } from './data-lake';
import { MlopsFunction } from './mlops-function';

export interface DriftMonitorProps {
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /**
   * The model's retraining workflow. The function gets its ARN and states:StartExecution on it only
   * when `retrain.onDrift` is true; otherwise it cannot start a run at all.
   */
  readonly workflow: IStateMachine;
  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * One model's drift monitor: an EventBridge schedule (the config's rate or cron) runs the
 * drift-monitor function, which compares captured traffic with the training reference, writes a
 * report, publishes metrics in the `Mlops` namespace and alerts to an encrypted SNS topic, and, when
 * `retrain.onDrift` is on, may start a retraining run. An alarm fires on dataset drift.
 */
export class DriftMonitor extends Construct {
  public readonly function: MlopsFunction;
  public readonly alertTopic: Topic;
  public readonly datasetDriftAlarm: Alarm;
  public readonly datasetDriftMetric: Metric;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const { model, dataLake } = props;
    const name = model.name;

    this.alertTopic = new Topic(this, 'Alerts', {
      displayName: `Drift alerts of ${name}`,
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });

    this.function = new MlopsFunction(this, 'Function', {
      kind: 'drift-monitor',
      description: `Drift monitor of ${name}`,
      memorySize: 1769,
      timeout: props.timeout ?? Duration.minutes(5),
      logRetention: props.logRetention,
      environment: {
        [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model),
        [RUNTIME_ENV.topicArn]: this.alertTopic.topicArn,
      },
    })
      .useZone(
        'artifacts',
        dataLake.artifacts,
        registryPrefix(name),
        'read',
        `Reads the production version's reference profile under ${registryPrefix(name)}.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        capturePrefix(name),
        'read',
        `Reads the captured traffic of the window under ${capturePrefix(name)}, hourly partitions.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        driftReportPrefix(name),
        'read-write',
        `Writes timestamped drift reports under ${driftReportPrefix(name)}, and reads and conditionally updates latest.json and state.json (the retrain cooldown) there.`,
      );
    const role = this.function.role;
    // Metrics leave as CloudWatch embedded metric format in the function's logs, so the role needs
    // no cloudwatch:PutMetricData.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertTopic.topicArn] }));
    if (model.retrain.onDrift) this.allowRetrain(props.workflow);

    new Rule(this, 'Schedule', {
      description: `Checks ${name} for drift on ${model.drift.schedule}`,
      schedule: Schedule.expression(model.drift.schedule),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });

    this.datasetDriftMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRICS.datasetDrift,
      dimensionsMap: { [MODEL_DIMENSION]: name },
      statistic: 'Maximum',
      period: Duration.days(1),
    });
    this.datasetDriftAlarm = new Alarm(this, 'DatasetDriftAlarm', {
      alarmDescription: `${name}: the latest drift check found dataset drift`,
      metric: this.datasetDriftMetric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** The workflow's ARN and the right to start it, together: the function may start a run only with both. */
  private allowRetrain(workflow: IStateMachine): void {
    this.function.function.addEnvironment(RUNTIME_ENV.stateMachineArn, workflow.stateMachineArn);
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StartExecution'], resources: [workflow.stateMachineArn] }),
    );
  }
}
