import { Duration } from 'aws-cdk-lib';
import type { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import {
  actualsPrefix,
  feedbackUploadPrefix,
  groundTruthPrefix,
  joinedPrefix,
  predictionsPrefix,
} from '../core/ground-truth/layout';
import { qualityReportPrefix } from '../core/ground-truth/report';
import { registryPrefix } from '../core/workflow/layout';
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

export interface QualityMonitorProps {
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /**
   * The model's retraining workflow. The function gets its ARN and states:StartExecution on it only
   * when `quality.retrain` is true; otherwise it cannot start a run at all.
   */
  readonly workflow: IStateMachine;
  /** @default Duration.minutes(15) (a join of a million outcomes takes seconds; the lookup of old ones more) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * One model's quality monitor: an EventBridge schedule (`quality.schedule`) runs the
 * quality-monitor function, which joins new outcomes to their predictions, measures the
 * production version on them, writes a report, publishes metrics in the `Mlops` namespace and
 * alerts to an encrypted SNS topic; per the config it may start a retraining run, and with
 * `quality.rollbackOnRegression` move production back (the only case it may write the registry).
 */
export class QualityMonitor extends Construct {
  public readonly function: MlopsFunction;
  public readonly alertTopic: Topic;
  public readonly degradedAlarm: Alarm;
  public readonly rollbackAlarm: Alarm;
  /** Live AUC (binary) or RMSE (regression) of the production version. */
  public readonly qualityMetric: Metric;
  public readonly labeledMetric: Metric;

  constructor(scope: Construct, id: string, props: QualityMonitorProps) {
    super(scope, id);
    const { model, dataLake } = props;
    const name = model.name;
    const quality = model.quality;

    this.alertTopic = monitorAlertTopic(this, `Quality alerts of ${name}`);

    this.function = monitorFunction(this, {
      kind: 'quality-monitor',
      description: `Quality monitor of ${name}`,
      timeout: props.timeout ?? Duration.minutes(15),
      logRetention: props.logRetention,
      model,
      topic: this.alertTopic,
    })
      .useZone(
        'artifacts',
        dataLake.artifacts,
        registryPrefix(name),
        quality.rollbackOnRegression ? 'read-write' : 'read',
        quality.rollbackOnRegression
          ? `Reads the production version under ${registryPrefix(name)} and, on a regression (quality.rollbackOnRegression), moves the production alias back (alias and history keys are made at run time).`
          : `Reads the production version under ${registryPrefix(name)}.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        predictionsPrefix(name),
        'read',
        `Reads the prediction log under ${predictionsPrefix(name)}, day and hour partitions.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        actualsPrefix(name),
        'read',
        `Reads posted outcomes under ${actualsPrefix(name)}, day and hour partitions.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        groundTruthPrefix(name),
        'read-write-delete',
        `Keeps the join's state (compare-and-swap) and its pending outcomes under ${groundTruthPrefix(name)}; a replaced pending object is deleted.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        joinedPrefix(name),
        'read-write',
        `Writes and reads joined rows under ${joinedPrefix(name)}, by the hour of the prediction.`,
      )
      .useZone(
        'monitoring',
        dataLake.monitoring,
        qualityReportPrefix(name),
        'read-write',
        `Writes timestamped quality reports under ${qualityReportPrefix(name)}, and conditionally updates latest.json and state.json (the retrain cooldown) there.`,
      )
      .useZone(
        'raw',
        dataLake.raw,
        feedbackUploadPrefix(name),
        'read',
        `Reads outcome files uploaded under ${feedbackUploadPrefix(name)}.`,
      );
    allowAlerts(this.function, this.alertTopic);
    if (quality.retrain) allowRetrain(this.function, props.workflow);
    monitorSchedule(
      this,
      this.function,
      quality.schedule,
      `Joins outcomes and measures ${name} on ${quality.schedule}`,
    );

    this.qualityMetric = modelMetric(
      name,
      model.problemType === 'binary' ? METRICS.qualityAuc : METRICS.qualityRmse,
      'Average',
    );
    this.labeledMetric = modelMetric(name, METRICS.qualityLabeled, 'Maximum');
    this.degradedAlarm = flagAlarm(
      this,
      'QualityDegradedAlarm',
      modelMetric(name, METRICS.qualityDegraded, 'Maximum'),
      `${name}: the latest quality check found live quality below its floor or its validation metric`,
    );
    this.rollbackAlarm = flagAlarm(
      this,
      'QualityRollbackAlarm',
      modelMetric(name, METRICS.qualityRollback, 'Maximum'),
      `${name}: the quality monitor rolled production back to the previous version`,
    );
  }
}
