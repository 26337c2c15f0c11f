import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeSink } from '../adapters/eventbridge-sink';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { ModelRegistry } from '../core/registry/registry';
import type { ObjectStore } from '../core/storage/object-store';
import { ZONE_ENV } from '../core/workflow/layout';
import { UsageError } from './args';
import { readPlatformInfo } from './commands/local';

/**
 * Where the registry commands act: the deployed app when MLOPS_ARTIFACTS_BUCKET is set (the
 * stack output; AWS credentials from the usual chain), otherwise the local platform in
 * MLOPS_LOCAL_DIR or ./.local.
 */
export interface Target {
  readonly kind: 'aws' | 'local';
  readonly artifacts: ObjectStore;
  /** The monitoring zone (reports), when known: deployed, MLOPS_MONITORING_BUCKET names it. */
  readonly monitoring?: ObjectStore;
  readonly registry: ModelRegistry;
  readonly stepFunctions: SFNClient;
  /** Model name -> state machine ARN, when known. */
  readonly stateMachines: Readonly<Record<string, string>>;
  /** The local platform's inference/admin URL. */
  readonly localUrl?: string;
}

export function resolveTarget(env: NodeJS.ProcessEnv = process.env): Target {
  const bucket = env[ZONE_ENV.artifacts];
  if (bucket) {
    const client = createS3Client();
    const artifacts = new S3ObjectStore(client, bucket);
    const monitoringBucket = env[ZONE_ENV.monitoring];
    const events = new EventBridgeSink(new EventBridgeClient({}), env.MLOPS_EVENT_BUS_NAME || 'default');
    let stateMachines: Record<string, string> = {};
    try {
      stateMachines = env.MLOPS_STATE_MACHINES ? JSON.parse(env.MLOPS_STATE_MACHINES) : {};
    } catch {
      throw new UsageError('MLOPS_STATE_MACHINES must be a JSON object of model name to state machine ARN');
    }
    return {
      kind: 'aws',
      artifacts,
      ...(monitoringBucket ? { monitoring: new S3ObjectStore(client, monitoringBucket) } : {}),
      registry: new ModelRegistry({ store: artifacts, events }),
      stepFunctions: new SFNClient({}),
      stateMachines,
    };
  }
  const info = readPlatformInfo();
  if (!info.running)
    throw new UsageError(`the local platform in ${info.dataDir} is not running; start it with 'npm start'`);
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const region = 'us-east-1';
  const s3 = createS3Client({ endpoint: info.s3Endpoint, credentials });
  const artifacts = new S3ObjectStore(s3, info.buckets.artifacts);
  const events = new EventBridgeSink(
    new EventBridgeClient({ endpoint: info.awsEndpoint, region, credentials }),
    'default',
  );
  return {
    kind: 'local',
    artifacts,
    monitoring: new S3ObjectStore(s3, info.buckets.monitoring),
    registry: new ModelRegistry({ store: artifacts, events }),
    stepFunctions: new SFNClient({ endpoint: info.awsEndpoint, region, credentials }),
    stateMachines: Object.fromEntries(info.models.map((model) => [model.name, model.stateMachineArn])),
    localUrl: info.httpUrl,
  };
}

/** The model's retraining state machine ARN on this target, or a usage error that says how to name it. */
export function stateMachineArnOf(target: Target, model: string): string {
  const arn = target.stateMachines[model];
  if (arn) return arn;
  throw new UsageError(
    target.kind === 'aws'
      ? `no state machine ARN for "${model}": set MLOPS_STATE_MACHINES to the stack output's JSON map`
      : `unknown model "${model}"; models are: ${Object.keys(target.stateMachines).join(', ')}`,
  );
}

/**
 * The curated zone, for commands that read only there (`mlops features`): the deployed app's when
 * MLOPS_CURATED_BUCKET is set (the stack output; AWS credentials from the usual chain), otherwise
 * the running local platform's.
 */
export function resolveCuratedZone(env: NodeJS.ProcessEnv = process.env): ObjectStore {
  const bucket = env[ZONE_ENV.curated];
  if (bucket) return new S3ObjectStore(createS3Client(), bucket);
  const info = readPlatformInfo();
  if (!info.running) {
    throw new UsageError(
      `the local platform in ${info.dataDir} is not running; start it with 'npm start', or set ${ZONE_ENV.curated} to the deployed app's curated bucket`,
    );
  }
  const s3 = createS3Client({
    endpoint: info.s3Endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return new S3ObjectStore(s3, info.buckets.curated);
}
