import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeSink } from '../adapters/eventbridge-sink';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { ConsoleData } from '../core/console/console-data';
import type { ConsoleFeatureView } from '../core/console/feature-views';
import { ModelRegistry } from '../core/registry/registry';
import { backfillVersionIndex } from '../core/registry/version-index';
import { backfillRunIndex } from '../core/runs/run-index';
import { readRunRecord } from '../core/runs/run-record';
import type { ObjectStore } from '../core/storage/object-store';
import type { Zone } from '../core/workflow/layout';
import type { FunctionUrlServer } from '../local/function-url-server';
import { createConsoleActions } from './actions';
import { createConsoleRoute } from './server';

/** The path segment the console is served under, on the platform's HTTP port and on `mlops ui`'s. */
export const CONSOLE_ROUTE = 'ui';

export interface ConsoleTarget {
  readonly artifacts: ObjectStore;
  readonly monitoring?: ObjectStore;
  readonly raw?: ObjectStore;
  readonly curated?: ObjectStore;
  readonly registry: ModelRegistry;
  readonly stepFunctions: SFNClient;
  readonly stateMachines: Readonly<Record<string, string>>;
  readonly models: readonly string[];
  readonly featureViews?: readonly ConsoleFeatureView[];
  readonly logsLocation?: (model: string, runId: string) => string[];
  readonly label: string;
  readonly actor?: string;
}

export interface MountedConsole {
  /** The console's URL with the session token in its fragment (never sent to the server or in a Referer). */
  readonly url: string;
  readonly token: string;
  /** Resolves once the runs index covers runs recorded before it existed. */
  readonly indexed: Promise<void>;
}

/** Mounts the console at /ui/ on a loopback Function URL server, with a fresh session token. */
export function mountConsole(
  server: FunctionUrlServer,
  target: ConsoleTarget,
  log: (line: string) => void = () => undefined,
): MountedConsole {
  const token = randomBytes(24).toString('base64url');
  const models = async () => [...target.models];
  const data = new ConsoleData({
    artifacts: target.artifacts,
    monitoring: target.monitoring,
    raw: target.raw,
    curated: target.curated,
    registry: target.registry,
    models,
  });
  server.route(
    CONSOLE_ROUTE,
    createConsoleRoute({
      data,
      actions: createConsoleActions({
        registry: target.registry,
        stepFunctions: target.stepFunctions,
        stateMachines: target.stateMachines,
        actor: target.actor,
      }),
      token,
      featureViews: target.featureViews,
      logsLocation: target.logsLocation,
      label: target.label,
    }),
  );
  const indexed = (async () => {
    for (const model of target.models) {
      try {
        const versions = await backfillVersionIndex(target.artifacts, model);
        if (versions > 0) log(`console: indexed ${versions} earlier version(s) of ${model}`);
        const added = await backfillRunIndex(
          target.artifacts,
          model,
          async (runId) => (await readRunRecord(target.artifacts, model, runId))?.startedAt ?? null,
        );
        if (added > 0) log(`console: indexed ${added} earlier run(s) of ${model}`);
      } catch (error) {
        log(`console: could not index the earlier versions and runs of ${model}: ${(error as Error).message}`);
      }
    }
  })();
  return { url: `${server.url}/${CONSOLE_ROUTE}/#token=${token}`, token, indexed };
}

/** The local platform's console target: its S3, EventBridge and Step Functions endpoints with the administrator key. */
export function localConsoleTarget(options: {
  readonly s3Endpoint: string;
  readonly awsEndpoint: string;
  readonly buckets: Readonly<Record<Zone, string>>;
  readonly stateMachines: Readonly<Record<string, string>>;
  readonly featureViews: readonly ConsoleFeatureView[];
  readonly logDir: string;
}): ConsoleTarget {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const region = 'us-east-1';
  const s3 = createS3Client({ endpoint: options.s3Endpoint, credentials });
  const artifacts = new S3ObjectStore(s3, options.buckets.artifacts);
  const events = new EventBridgeSink(new EventBridgeClient({ endpoint: options.awsEndpoint, region, credentials }));
  return {
    artifacts,
    monitoring: new S3ObjectStore(s3, options.buckets.monitoring),
    raw: new S3ObjectStore(s3, options.buckets.raw),
    curated: new S3ObjectStore(s3, options.buckets.curated),
    registry: new ModelRegistry({ store: artifacts, events }),
    stepFunctions: new SFNClient({ endpoint: options.awsEndpoint, region, credentials }),
    stateMachines: options.stateMachines,
    models: Object.keys(options.stateMachines),
    featureViews: options.featureViews,
    logsLocation: (model) =>
      ['validate-data', 'adopt-artifact', 'evaluate-model', 'register-model', 'record-failure', 'trainer'].map((kind) =>
        join(options.logDir, `${kind}-${model}.log`),
      ),
    label: 'local platform',
    actor: 'console',
  };
}
