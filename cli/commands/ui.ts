import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeSink } from '../../adapters/eventbridge-sink';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { type ConsoleTarget, mountConsole } from '../../console/host';
import { loadConfig } from '../../core/config/load';
import type { PlatformConfig } from '../../core/config/schema';
import { outputKey } from '../../core/config/stack-outputs';
import { consoleFeatureViews } from '../../core/console/feature-views';
import { ModelRegistry } from '../../core/registry/registry';
import type { ZONES } from '../../core/workflow/layout';
import { startFunctionUrlServer } from '../../local/function-url-server';
import { intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import { resolveTarget } from '../deployment-target';
import type { Command } from '../io';

/**
 * `mlops ui`: the console on loopback, like `mlflow ui`. Against a deployed app (--stack, or
 * MLOPS_ARTIFACTS_BUCKET set) it reads the stack's outputs and acts with your own AWS
 * credentials: nothing is deployed for it and nothing listens beyond this machine. Without
 * either, it serves the running local platform's data (which `npm start` also serves at /ui/).
 */
export const uiCommand: Command = {
  spec: {
    name: 'ui',
    summary: 'serve the console (models, runs, drift, quality; promote, roll back, reject, retrain) on loopback',
    usage: 'mlops ui [--stack <name>] [--port <n>] [--config <file>]',
    flags: {
      stack: { type: 'string', description: 'the deployed stack (default: the config project)', valueName: 'name' },
      port: { type: 'string', description: 'loopback port', default: '3100', valueName: 'n' },
      config: { type: 'string', description: 'mlops.config.json for model names and feature views', valueName: 'file' },
    },
    examples: [
      'mlops ui --stack mlops            # a deployed app, with your AWS credentials',
      'mlops ui                          # the local platform (npm start)',
    ],
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags } = parsed;
    const stack = stringFlag(flags, 'stack');
    const config = readConfigIfPresent(stringFlag(flags, 'config'));
    const target =
      stack || process.env.MLOPS_ARTIFACTS_BUCKET
        ? await deployedTarget(stack ?? config?.project, config)
        : await localTarget(config);
    const server = await startFunctionUrlServer({ port: intFlag(flags, 'port') ?? 3100, host: '127.0.0.1' });
    const mounted = mountConsole(server, target, (line) => io.err(`${line}\n`));
    io.out(`console (${target.label}): ${mounted.url}\n`);
    io.out('  loopback only; the token in the URL allows actions: keep it private. Ctrl-C stops it.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  },
};

function readConfigIfPresent(path: string | undefined): PlatformConfig | undefined {
  try {
    return loadConfig(path);
  } catch (error) {
    if (path) throw error;
    return undefined;
  }
}

async function deployedTarget(
  stackName: string | undefined,
  config: PlatformConfig | undefined,
): Promise<ConsoleTarget> {
  if (!stackName) throw new UsageError('mlops ui needs --stack <name> (or a mlops.config.json whose project names it)');
  const { readStackOutputs } = require('../../adapters/stack-outputs') as typeof import('../../adapters/stack-outputs');
  const outputs = new Map(
    (await readStackOutputs(stackName)).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']),
  );
  const bucket = (zone: (typeof ZONES)[number]) => outputs.get(`${outputKey(zone)}BucketName`);
  const artifactsBucket = bucket('artifacts');
  if (!artifactsBucket)
    throw new UsageError(`stack ${stackName} has no ArtifactsBucketName output: is it deployed by this app?`);
  const client = createS3Client();
  const artifacts = new S3ObjectStore(client, artifactsBucket);
  const registry = new ModelRegistry({
    store: artifacts,
    events: new EventBridgeSink(new EventBridgeClient({}), process.env.MLOPS_EVENT_BUS_NAME || 'default'),
  });
  const models = config ? config.models.map((model) => model.name) : await registry.listModels();
  const stateMachines = Object.fromEntries(
    models.flatMap((model) => {
      const arn = outputs.get(`${outputKey(model)}StateMachineArn`);
      return arn ? [[model, arn]] : [];
    }),
  );
  const monitoringBucket = bucket('monitoring');
  const rawBucket = bucket('raw');
  const curatedBucket = bucket('curated');
  return {
    artifacts,
    ...(monitoringBucket ? { monitoring: new S3ObjectStore(client, monitoringBucket) } : {}),
    ...(rawBucket ? { raw: new S3ObjectStore(client, rawBucket) } : {}),
    ...(curatedBucket ? { curated: new S3ObjectStore(client, curatedBucket) } : {}),
    registry,
    stepFunctions: new SFNClient({}),
    stateMachines,
    models,
    featureViews: config ? consoleFeatureViews(config) : [],
    logsLocation: (model, runId) => executionLinks(stateMachines[model], runId),
    label: `stack ${stackName}`,
    actor: `console (${process.env.USER ?? 'unknown user'})`,
  };
}

/** The run's Step Functions execution (a run is named by its execution) and the state machine's list, in the AWS console. */
function executionLinks(stateMachineArn: string | undefined, runId: string): string[] {
  if (!stateMachineArn) return [];
  const region = stateMachineArn.split(':')[3];
  const base = `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2`;
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
  return [`${base}/executions/details/${executionArn}`, `${base}/statemachines/view/${stateMachineArn}`];
}

async function localTarget(config: PlatformConfig | undefined): Promise<ConsoleTarget> {
  const target = resolveTarget({ ...process.env, MLOPS_ARTIFACTS_BUCKET: '' });
  return {
    artifacts: target.artifacts,
    ...(target.monitoring ? { monitoring: target.monitoring } : {}),
    registry: target.registry,
    stepFunctions: target.stepFunctions,
    stateMachines: target.stateMachines,
    models: Object.keys(target.stateMachines),
    featureViews: config ? consoleFeatureViews(config) : [],
    label: 'local platform',
    actor: `console (${process.env.USER ?? 'unknown user'})`,
  };
}
