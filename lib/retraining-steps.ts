import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FeatureViewConfig } from '../core/config/feature-view-schema';
import { featureViewConfigToEnv, modelConfigToEnv, RUNTIME_ENV } from '../core/config/runtime-env';
import type { ModelConfig } from '../core/config/schema';
import { featureViewPrefix } from '../core/feature-views/layout';
import { joinedPrefix } from '../core/ground-truth/layout';
import { trainsOnFeedback } from '../core/ground-truth/prediction-log';
import {
  curatedPrefix,
  importsPrefix,
  rawPrefix,
  registryPrefix,
  runsPrefix,
  snapshotsPrefix,
  trainingManifestsPrefix,
} from '../core/workflow/layout';
import type { DataLake } from './data-lake';
import { MlopsFunction } from './mlops-function';

export interface RetrainingStepsProps {
  readonly model: ModelConfig;
  readonly dataLake: DataLake;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * The model's feature view (required when the model names one): validate joins each upload with
   * its history, so it gets the view's config and read access to its files.
   * @default - none
   */
  readonly featureView?: FeatureViewConfig;
}

/**
 * The Lambda functions the retraining state machine calls for one model (validate, adopt an
 * imported artifact, evaluate, register, record a failure), each granted only the prefixes of that
 * model it reads or writes.
 */
export class RetrainingSteps extends Construct {
  public readonly validate: MlopsFunction;
  public readonly adopt: MlopsFunction;
  public readonly evaluate: MlopsFunction;
  public readonly register: MlopsFunction;
  public readonly recordFailure: MlopsFunction;

  constructor(scope: Construct, id: string, props: RetrainingStepsProps) {
    super(scope, id);
    const { model, dataLake, featureView } = props;
    const name = model.name;
    if (model.featureView !== featureView?.name) {
      throw new Error(
        `RetrainingSteps of ${name}: the model reads feature view ${JSON.stringify(model.featureView)}, but featureView is ${JSON.stringify(featureView?.name)}; pass the view the model names`,
      );
    }
    const runs = runsPrefix(name);
    const registry = registryPrefix(name);
    const environment = { [RUNTIME_ENV.modelConfig]: modelConfigToEnv(model) };
    const step = (
      stepId: string,
      kind: 'validate-data' | 'adopt-artifact' | 'evaluate-model' | 'register-model' | 'record-failure',
    ) =>
      new MlopsFunction(this, stepId, {
        kind,
        description: `${kind} step of ${name}`,
        memorySize: kind === 'record-failure' ? 256 : 1769, // 1769 MB = one full vCPU for data parsing and scoring
        timeout: kind === 'record-failure' ? Duration.seconds(30) : Duration.minutes(5),
        environment,
        logRetention: props.logRetention,
      });

    this.validate = step('Validate', 'validate-data')
      .useZone('raw', dataLake.raw, rawPrefix(name), 'read', `Reads the data files uploaded under ${rawPrefix(name)}.`)
      .useZone(
        'curated',
        dataLake.curated,
        curatedPrefix(name),
        'read-write',
        `Writes content-addressed snapshots under ${snapshotsPrefix(name)} and training manifests under ${trainingManifestsPrefix(name)}, and checks whether one exists.`,
      )
      .useZone(
        'artifacts',
        dataLake.artifacts,
        registry,
        'read',
        `Reads the production version's schema under ${registry}.`,
      )
      .useZone('artifacts', dataLake.artifacts, runs, 'read-write', `Writes the run record under ${runs}<runId>/.`);
    if (featureView) {
      const prefix = featureViewPrefix(featureView.name);
      this.validate
        .useZone(
          'curated',
          dataLake.curated,
          prefix,
          'read',
          `Reads the history of feature view ${featureView.name} under ${prefix} to join it with the uploaded labels.`,
        )
        .addEnvironment(RUNTIME_ENV.featureViewConfig, featureViewConfigToEnv(featureView));
    }
    if (trainsOnFeedback(model)) {
      this.validate.useZone(
        'monitoring',
        dataLake.monitoring,
        joinedPrefix(name),
        'read',
        `Reads the joined feedback rows under ${joinedPrefix(name)} that training.data.source window-and-feedback trains on.`,
      );
    }

    // Reads the uploaded artifact and the run's snapshot; writes only the run's candidate and record.
    this.adopt = step('Adopt', 'adopt-artifact')
      .useZone(
        'artifacts',
        dataLake.artifacts,
        importsPrefix(name),
        'read',
        `Reads the artifacts mlops register uploads under ${importsPrefix(name)}.`,
      )
      .useZone(
        'curated',
        dataLake.curated,
        snapshotsPrefix(name),
        'read',
        `Reads the columns of the run's snapshot under ${snapshotsPrefix(name)}.`,
      )
      .useZone(
        'artifacts',
        dataLake.artifacts,
        runs,
        'read-write',
        `Writes the run's candidate and updates the run record under ${runs}<runId>/.`,
      );

    this.evaluate = step('Evaluate', 'evaluate-model')
      .useZone(
        'curated',
        dataLake.curated,
        curatedPrefix(name),
        'read',
        `Reads the held-out rows of the run's snapshot under ${curatedPrefix(name)}.`,
      )
      .useZone('artifacts', dataLake.artifacts, registry, 'read', `Loads the champion model under ${registry}.`)
      .useZone(
        'artifacts',
        dataLake.artifacts,
        runs,
        'read-write',
        `Reads the candidate and updates the run record under ${runs}.`,
      );

    this.register = step('Register', 'register-model')
      .useZone(
        'artifacts',
        dataLake.artifacts,
        registry,
        'read-write',
        `Writes versions, aliases and alias history under ${registry}; version keys are assigned at run time.`,
      )
      .useZone(
        'artifacts',
        dataLake.artifacts,
        runs,
        'read-write',
        `Copies the candidate and updates the run record under ${runs}.`,
      );
    const defaultBus = Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    this.register.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [defaultBus] }),
    );
    this.register.addEnvironment(RUNTIME_ENV.eventBusName, 'default');

    this.recordFailure = step('RecordFailure', 'record-failure')
      .useZone(
        'artifacts',
        dataLake.artifacts,
        registry,
        'read',
        `Reads the production version to record it unchanged under ${registry}.`,
      )
      .useZone('artifacts', dataLake.artifacts, runs, 'read-write', `Writes the failed run's record under ${runs}.`);
  }
}
