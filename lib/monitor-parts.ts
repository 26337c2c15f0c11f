import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, MODEL_DIMENSION, modelConfigToEnv, RUNTIME_ENV } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { MlopsFunction } from './mlops-function';

/**
 * The parts every scheduled monitor (drift, quality) builds the same way. Ids are given inside
 * the monitor's own scope, so a monitor keeps the ids (and resources) it had before sharing them.
 */

/**
 * The monitor's function (`Function`): 1,769 MB (one full vCPU), the model's config and the alert
 * topic in its environment. The caller adds its zones.
 */
export function monitorFunction(
  scope: Construct,
  props: {
    readonly kind: 'drift-monitor' | 'quality-monitor';
    readonly description: string;
    readonly timeout: Duration;
    readonly logRetention?: RetentionDays;
    readonly model: ModelConfig;
    readonly topic: Topic;
  },
): MlopsFunction {
  return new MlopsFunction(scope, 'Function', {
    kind: props.kind,
    description: props.description,
    memorySize: 1769,
    timeout: props.timeout,
    logRetention: props.logRetention,
    environment: {
      [RUNTIME_ENV.modelConfig]: modelConfigToEnv(props.model),
      [RUNTIME_ENV.topicArn]: props.topic.topicArn,
    },
  });
}

/** The monitor's SNS topic (`Alerts`), encrypted with the AWS-managed key, TLS only. */
export function monitorAlertTopic(scope: Construct, displayName: string): Topic {
  return new Topic(scope, 'Alerts', {
    displayName,
    masterKey: Alias.fromAliasName(scope, 'SnsKey', 'alias/aws/sns'),
    enforceSSL: true,
  });
}

/** Publishing to the topic; metrics leave as embedded metric format in the logs (no cloudwatch:PutMetricData). */
export function allowAlerts(fn: MlopsFunction, topic: Topic): void {
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
}

/** The workflow's ARN and the right to start it, together: the function may start a run only with both. */
export function allowRetrain(fn: MlopsFunction, workflow: IStateMachine): void {
  fn.function.addEnvironment(RUNTIME_ENV.stateMachineArn, workflow.stateMachineArn);
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['states:StartExecution'], resources: [workflow.stateMachineArn] }),
  );
}

/** The EventBridge rule (`Schedule`) that runs the monitor, retried twice as a scheduled event. */
export function monitorSchedule(scope: Construct, fn: MlopsFunction, expression: string, description: string): Rule {
  return new Rule(scope, 'Schedule', {
    description,
    schedule: Schedule.expression(expression),
    targets: [new LambdaFunction(fn.function, { retryAttempts: 2 })],
  });
}

/** A daily metric of the model in the `Mlops` namespace, dimension exactly `Model`. */
export function modelMetric(model: string, metricName: string, statistic: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [MODEL_DIMENSION]: model },
    statistic,
    period: Duration.days(1),
  });
}

/** An alarm when a 0/1 metric reaches 1; missing data (no verdict) is not breaching. */
export function flagAlarm(scope: Construct, id: string, metric: Metric, alarmDescription: string): Alarm {
  return new Alarm(scope, id, {
    alarmDescription,
    metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
