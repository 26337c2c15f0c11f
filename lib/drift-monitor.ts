import { Duration } from 'aws-cdk-lib';
import type { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { capturePrefix, driftReportPrefix, registryPrefix } from '../core/workflow/layout';
import type { DataLake } from './data-lake';
import type { MlopsFunction } from './mlops-function';
import {
  allowAlerts,
  allowRetrain,
  flagAlarm,
  modelMetric,
  monitorAlertTopic,
  monitorFunction,
  monitorSchedule,
} from './monitor-parts';

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

    this.alertTopic = monitorAlertTopic(this, `Drift alerts of ${name}`);

    this.function = monitorFunction(this, {
      kind: 'drift-monitor',
      description: `Drift monitor of ${name}`,
      timeout: props.timeout ?? Duration.minutes(5),
      logRetention: props.logRetention,
      model,
      topic: this.alertTopic,
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
    allowAlerts(this.function, this.alertTopic);
    if (model.retrain.onDrift) allowRetrain(this.function, props.workflow);
    monitorSchedule(this, this.function, model.drift.schedule, `Checks ${name} for drift on ${model.drift.schedule}`);

    this.datasetDriftMetric = modelMetric(name, METRICS.datasetDrift, 'Maximum');
    this.datasetDriftAlarm = flagAlarm(
      this,
      'DatasetDriftAlarm',
      this.datasetDriftMetric,
      `${name}: the latest drift check found dataset drift`,
    );
  }
}
