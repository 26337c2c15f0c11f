import { Duration } from 'aws-cdk-lib';
import { AlarmStatusWidget, Dashboard, GraphWidget, type IAlarm, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { DriftMonitor } from './drift-monitor';
import type { InferenceEndpoint } from './inference-endpoint';
import type { QualityMonitor } from './quality-monitor';
import type { RetrainingWorkflow } from './retraining-workflow';

export interface PlatformDashboardProps {
  /** @default - CloudFormation generates a name */
  readonly dashboardName?: string;
}

/** What the dashboard shows of one model. */
export interface DashboardModel {
  readonly name: string;
  readonly endpoint: InferenceEndpoint;
  readonly workflow: RetrainingWorkflow;
  readonly driftMonitor: DriftMonitor;
  readonly qualityMonitor: QualityMonitor;
}

/** One CloudWatch dashboard per deployment: a row per model (endpoint, retraining, drift, live quality) and every alarm. */
export class PlatformDashboard extends Construct {
  public readonly dashboard: Dashboard;
  private readonly alarms: IAlarm[] = [];

  constructor(scope: Construct, id: string, props: PlatformDashboardProps = {}) {
    super(scope, id);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
  }

  public addModel(model: DashboardModel): void {
    const fn = model.endpoint.function.function;
    const stateMachine = model.workflow.stateMachine;
    this.dashboard.addWidgets(new TextWidget({ markdown: `## ${model.name}`, width: 24, height: 1 }));
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${model.name}: endpoint requests`,
        left: [fn.metricInvocations(), fn.metricErrors(), fn.metricThrottles()],
        width: 8,
      }),
      new GraphWidget({
        title: `${model.name}: endpoint duration`,
        left: [fn.metricDuration({ statistic: 'p50' }), fn.metricDuration({ statistic: 'p99' })],
        width: 8,
      }),
      new GraphWidget({
        title: `${model.name}: retraining runs and drift`,
        left: [stateMachine.metricSucceeded(), stateMachine.metricFailed()],
        right: [model.driftMonitor.datasetDriftMetric],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${model.name}: live quality of production (outcomes joined)`,
        left: [model.qualityMonitor.qualityMetric],
        right: [model.qualityMonitor.labeledMetric],
        width: 24,
      }),
    );
    this.alarms.push(
      ...model.endpoint.alarms,
      model.driftMonitor.datasetDriftAlarm,
      model.qualityMonitor.degradedAlarm,
      model.qualityMonitor.rollbackAlarm,
    );
  }

  /** Adds the alarm panel; call after the last model. */
  public addAlarmPanel(): void {
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }
}
