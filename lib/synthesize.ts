import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformConfig } from '../core/config/schema';
import type { Zone } from '../core/workflow/layout';
import { ZONES } from '../core/workflow/layout';
import { buildApp } from './app';
import { TRAINER_BUNDLE_FILE } from './bundles';
import type { FunctionKind } from './lambda-entries';
import type { MlopsFunction } from './mlops-function';
import { WORKFLOW_BATCH_STATE, WORKFLOW_LAMBDA_STATES } from './retraining-workflow';
import { defaultTrainerImageDirectory } from './trainer-image';

type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
};

/** A CloudFormation reference the caller turns into a concrete value (an ARN, a bucket name). */
export interface CfnReference {
  readonly logicalId: string;
  /** `Ref` when absent, else the `Fn::GetAtt` attribute (e.g. `Arn`). */
  readonly attribute?: string;
  /** The referenced resource's type, e.g. `AWS::Lambda::Function`; pseudo parameters have none. */
  readonly resourceType?: string;
}
export type ReferenceResolver = (reference: CfnReference) => string;

export interface SynthesizedWorkflow {
  /** The state machine definition (Amazon States Language, JSONPath), references resolved. */
  readonly definition: Record<string, unknown>;
  readonly stateMachineLogicalId: string;
  /** The state machine's ARN as the resolver gives it (what MLOPS_STATE_MACHINES holds). */
  readonly stateMachineArn: string;
  /** Task state name -> the function it invokes. */
  readonly lambdaStates: Readonly<Record<string, FunctionKind>>;
  /** Name of the Batch `.sync` task state. */
  readonly batchState: string;
  /** Logical id of the model's training job definition (its job role is what the trainer runs as). */
  readonly jobDefinitionLogicalId: string;
  /** Environment of the model's Batch job definition (run id, input and output come from the state). */
  readonly trainerEnvironment: Readonly<Record<string, string>>;
  /**
   * The trainer bundle the job's image runs (index.js), in the image asset cdk.out staged. A model
   * with its own image cannot run without Docker: the platform's trainer bundle stands in for it.
   */
  readonly trainerBundle: string;
}

/** One deployed Lambda function, as the local platform hosts it. */
export interface SynthesizedFunction {
  readonly kind: FunctionKind;
  /** The model it serves; absent for shared functions (the retrain trigger). */
  readonly model?: string;
  readonly logicalId: string;
  /** Its environment variables, references resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** The esbuild bundle's directory (holding index.js) when synthesized with `bundle: true`. */
  readonly bundleDirectory?: string;
}

export interface SynthesizedPlatform {
  readonly stackName: string;
  /** The CloudFormation template as synthesized (references unresolved). */
  readonly template: Record<string, unknown>;
  /** Logical id of each zone's bucket, to map onto local bucket names in a resolver. */
  readonly bucketLogicalIds: Readonly<Record<Zone, string>>;
  readonly workflows: Readonly<Record<string, SynthesizedWorkflow>>;
  readonly functions: readonly SynthesizedFunction[];
  /** The resolver every resolved value above went through (zone buckets by their given names). */
  readonly resolveReference: ReferenceResolver;
  /** The online feature store, when the config has feature views. */
  readonly featureStore?: SynthesizedFeatureStore;
}

export interface SynthesizedFeatureStore {
  /** The table's name as the resolver gives it (what MLOPS_FEATURE_TABLE holds). */
  readonly tableName: string;
  /** The materializer's upload rule's event pattern, references resolved; absent when no view materializes on upload. */
  readonly uploadPattern?: Record<string, unknown>;
  /** Logical id of the backfill's Batch job definition (`mlops features materialize --batch` submits it locally). */
  readonly backfillJobDefinitionLogicalId: string;
}

export interface SynthesizeOptions {
  /** Maps references to values. @default fakeReference: deterministic fake ARNs and names in us-east-1, account 123456789012 */
  readonly resolve?: ReferenceResolver;
  /** Names for the zone buckets (the local platform's), used before `resolve`. @default - resolve decides */
  readonly bucketNames?: Readonly<Record<Zone, string>>;
  /** Bundle the Lambda functions (writes them to outdir). @default false */
  readonly bundle?: boolean;
  /** @default - a temporary directory */
  readonly outdir?: string;
}

/**
 * Synthesizes the app for a config without AWS credentials and returns, per model, the state
 * machine definition and the trainer environment the local platform runs. cdk-nag is not run here
 * (the infra tests and `cdk synth` run it).
 */
export function synthesizeTemplates(config: PlatformConfig, options: SynthesizeOptions = {}): SynthesizedPlatform {
  const { app, stack } = buildApp(config, {
    bundle: options.bundle ?? false,
    nag: false,
    cloudFormationValidation: false,
    outdir: options.outdir,
  });
  const template = app.synth().getStackByName(stack.stackName).template as Template;
  const bucketLogicalIds = Object.fromEntries(
    ZONES.map((zone) => [zone, stack.getLogicalId(stack.dataLake.bucket(zone).node.defaultChild as never)]),
  ) as Record<Zone, string>;
  const zoneOfBucket = new Map(ZONES.map((zone) => [bucketLogicalIds[zone], zone]));
  const fallback = options.resolve ?? fakeReference;
  const resolveReference: ReferenceResolver = (reference) => {
    const zone = zoneOfBucket.get(reference.logicalId);
    if (zone && options.bucketNames) {
      const bucket = options.bucketNames[zone];
      return reference.attribute === 'Arn' ? `arn:aws:s3:::${bucket}` : bucket;
    }
    return fallback(reference);
  };
  const resolve = (value: unknown) => resolveIntrinsics(value, template, resolveReference);
  const workflows: Record<string, SynthesizedWorkflow> = {};
  for (const [name, resources] of stack.models) {
    const stateMachineLogicalId = stack.resolve(
      stack.getLogicalId(resources.workflow.stateMachine.node.defaultChild as never),
    ) as string;
    const definitionString = resolve(template.Resources[stateMachineLogicalId].Properties?.DefinitionString) as string;
    const jobDefinitionId = stack.resolve(
      stack.getLogicalId(resources.trainingJob.jobDefinition.node.defaultChild as never),
    ) as string;
    const container = template.Resources[jobDefinitionId].Properties?.ContainerProperties as {
      Environment: { Name: string; Value: unknown }[];
      Image: unknown;
    };
    workflows[name] = {
      definition: JSON.parse(definitionString),
      stateMachineLogicalId,
      stateMachineArn: resolveReference({
        logicalId: stateMachineLogicalId,
        resourceType: 'AWS::StepFunctions::StateMachine',
      }),
      lambdaStates: WORKFLOW_LAMBDA_STATES,
      batchState: WORKFLOW_BATCH_STATE,
      jobDefinitionLogicalId: jobDefinitionId,
      trainerEnvironment: Object.fromEntries(
        container.Environment.map(({ Name, Value }) => [Name, String(resolve(Value))]),
      ),
      trainerBundle: stagedTrainerBundle(app.outdir, container.Image),
    };
  }
  const hosted: Array<{ kind: FunctionKind; model?: string; fn: MlopsFunction }> = [
    { kind: 'retrain-trigger', fn: stack.trigger.function },
  ];
  for (const [model, resources] of stack.models) {
    hosted.push(
      { kind: 'validate-data', model, fn: resources.steps.validate },
      { kind: 'adopt-artifact', model, fn: resources.steps.adopt },
      { kind: 'evaluate-model', model, fn: resources.steps.evaluate },
      { kind: 'register-model', model, fn: resources.steps.register },
      { kind: 'record-failure', model, fn: resources.steps.recordFailure },
      { kind: 'inference', model, fn: resources.endpoint.function },
      { kind: 'drift-monitor', model, fn: resources.driftMonitor.function },
      { kind: 'quality-monitor', model, fn: resources.qualityMonitor.function },
    );
    if (resources.streamingScoring)
      hosted.push({ kind: 'stream-scorer', model, fn: resources.streamingScoring.function });
  }
  if (stack.featureStore) hosted.push({ kind: 'materialize-features', fn: stack.featureStore.materializer });
  const outdir = app.outdir;
  const functions = hosted.map(({ kind, model, fn }): SynthesizedFunction => {
    const logicalId = stack.resolve(stack.getLogicalId(fn.function.node.defaultChild as never)) as string;
    const resource = template.Resources[logicalId];
    const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    return {
      kind,
      ...(model ? { model } : {}),
      logicalId,
      environment: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(resolve(value))])),
      ...(options.bundle && typeof assetPath === 'string' ? { bundleDirectory: join(outdir, assetPath) } : {}),
    };
  });
  return {
    stackName: stack.stackName,
    template,
    bucketLogicalIds,
    workflows,
    functions,
    resolveReference,
    ...(stack.featureStore
      ? { featureStore: synthesizedFeatureStore(stack, template, resolve, resolveReference) }
      : {}),
  };
}

function synthesizedFeatureStore(
  stack: ReturnType<typeof buildApp>['stack'],
  template: Template,
  resolve: (value: unknown) => unknown,
  resolveReference: ReferenceResolver,
): SynthesizedFeatureStore {
  const store = stack.featureStore as NonNullable<typeof stack.featureStore>;
  const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.resolve(stack.getLogicalId(construct.node.defaultChild as never)) as string;
  const tableName = resolveReference({ logicalId: logicalIdOf(store.table), resourceType: 'AWS::DynamoDB::Table' });
  const backfillJobDefinitionLogicalId = logicalIdOf(store.backfillJobDefinition);
  if (!store.uploadRule) return { tableName, backfillJobDefinitionLogicalId };
  const rule = template.Resources[logicalIdOf(store.uploadRule)];
  return {
    tableName,
    backfillJobDefinitionLogicalId,
    uploadPattern: resolve(rule.Properties?.EventPattern) as Record<string, unknown>,
  };
}

/** An image asset's URI ends in its hash, and cdk.out stages the asset's folder as `asset.<hash>`. */
export function stagedTrainerBundle(outdir: string, image: unknown): string {
  const uri = JSON.stringify(image);
  const hash = /:([0-9a-f]{64})"/.exec(uri)?.[1];
  const staged = hash ? join(outdir, `asset.${hash}`, TRAINER_BUNDLE_FILE) : undefined;
  return staged && existsSync(staged) ? staged : join(defaultTrainerImageDirectory(), TRAINER_BUNDLE_FILE);
}

const FAKE_REGION = 'us-east-1';
const FAKE_ACCOUNT = '123456789012';

/** Deterministic stand-ins: names from logical ids, ARNs in the service's format. */
export function fakeReference(reference: CfnReference): string {
  const { logicalId, attribute, resourceType } = reference;
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': FAKE_REGION,
    'AWS::AccountId': FAKE_ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'mlops',
  };
  if (logicalId in pseudo) return pseudo[logicalId];
  const name = logicalId.toLowerCase();
  const arn = (service: string, resource: string) => `arn:aws:${service}:${FAKE_REGION}:${FAKE_ACCOUNT}:${resource}`;
  switch (resourceType) {
    case 'AWS::S3::Bucket':
      return attribute === 'Arn' ? `arn:aws:s3:::${name}` : name;
    case 'AWS::Lambda::Function':
      return attribute === 'Arn' ? arn('lambda', `function:${logicalId}`) : logicalId;
    case 'AWS::SNS::Topic':
      return arn('sns', logicalId);
    case 'AWS::Batch::JobQueue':
      return arn('batch', `job-queue/${logicalId}`);
    case 'AWS::Batch::JobDefinition':
      return arn('batch', `job-definition/${logicalId}:1`);
    case 'AWS::DynamoDB::Table':
      return attribute === 'Arn' ? arn('dynamodb', `table/${logicalId}`) : logicalId;
    case 'AWS::StepFunctions::StateMachine':
      return arn('states', `stateMachine:${logicalId}`);
    default:
      return attribute ? `${logicalId}.${attribute}` : logicalId;
  }
}

/** Replaces Ref, Fn::GetAtt, Fn::Join and Fn::Sub (plain `${Name}` form) with resolved strings. */
export function resolveIntrinsics(value: unknown, template: Template, resolve: ReferenceResolver): unknown {
  const reference = (logicalId: string, attribute?: string) =>
    resolve({ logicalId, attribute, resourceType: template.Resources[logicalId]?.Type });
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    if (entries.length === 1) {
      const [key, argument] = entries[0];
      if (key === 'Ref') return reference(argument as string);
      if (key === 'Fn::GetAtt') {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return reference(logicalId, attribute);
      }
      if (key === 'Fn::Join') {
        const [delimiter, parts] = argument as [string, unknown[]];
        return parts.map((part) => String(visit(part))).join(delimiter);
      }
      if (key === 'Fn::Sub' && typeof argument === 'string') {
        return argument.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
          const [logicalId, attribute] = name.split('.');
          return reference(logicalId, attribute);
        });
      }
    }
    return Object.fromEntries(entries.map(([key, child]) => [key, visit(child)]));
  };
  return visit(value);
}
