// Over 450 lines on purpose: this file composes every local part in start order; each part lives in its own module.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createS3Client } from '../adapters/s3-object-store';
import { CONSOLE_ROUTE, localConsoleTarget, mountConsole } from '../console/host';
import { loadConfig, configPath as resolveConfigPath } from '../core/config/load';
import { RUNTIME_ENV } from '../core/config/runtime-env';
import type { PlatformConfig } from '../core/config/schema';
import { consoleFeatureViews } from '../core/console/feature-views';
import { FEATURE_TABLE_ENV } from '../core/feature-views/layout';
import { formatPlatformInfo, type PlatformInfo } from '../core/local/platform-info';
import type { TemplateIam } from '../core/local/template-iam';
import { manualExecutionInput } from '../core/workflow/contract';
import { rawPrefix, ZONES, type Zone } from '../core/workflow/layout';
import { TRAINER_ENTRY } from '../lib/bundles';
import { LAMBDA_ENTRIES, REPO_ROOT } from '../lib/lambda-entries';
import { WORKFLOW_SNS_STATES } from '../lib/retraining-workflow';
import { type SynthesizedFunction, synthesizeTemplates } from '../lib/synthesize';
import { ADMIN_ROUTE } from './admin-route';
import { createAdminRoute } from './admin-routes';
import { startAwsEndpoint } from './aws-endpoint';
import { startLocalBatchRules } from './batch-rules';
import { writeBuiltInData } from './built-in-data';
import { startLocalDynamoDb } from './dynamodb-server';
import { BatchingQueue } from './event-queue';
import {
  createEventRouter,
  executionStatusEvent,
  LOCAL_REGION,
  type LocalObjectCreated,
  objectCreatedEvent,
} from './event-routing';
import { startFeatureMaterialization } from './feature-materialization';
import { startFunctionUrlServer } from './function-url-server';
import { ACCOUNT, functionUrlGuard, guardWorkflowTasks, LocalIam, REGION } from './iam-enforcement';
import { LocalFunction } from './lambda-host';
import { summarizeExecution, truncate } from './log-text';
import { type ScheduledMonitor, startMonitorTimers } from './monitor-timers';
import { createServingAnnouncer } from './ready-banner';
import { startLocalS3 } from './s3-server';
import { prepareModels } from './seeding';
import { LocalStepFunctions } from './step-functions';
import { startLocalStreaming } from './streaming';
import { batchSubmitJobTask, lambdaInvokeTask, snsPublishTask } from './task-handlers';

/**
 * The whole platform on one machine. It hosts the deployable pieces, it does not reimplement
 * them: the CDK app is synthesized (same config, same state machine definitions, same function
 * environments), each Lambda bundle runs in its own process, the trainer runs as a child process
 * with the Batch job definition's environment, and every AWS call the functions make goes to a
 * loopback endpoint (S3, Step Functions, EventBridge, SNS). This file composes the parts:
 * event-routing.ts, admin-routes.ts, monitor-timers.ts, seeding.ts, ready-banner.ts.
 */
export interface PlatformOptions {
  /** @default MLOPS_CONFIG or ./mlops.config.json */
  readonly configPath?: string;
  /** Folder for the S3 data, execution history, logs and bundles; survives restarts. @default .local */
  readonly dataDir?: string;
  /** @default 4566 */
  readonly s3Port?: number;
  /** Inference endpoints and the local admin routes. @default 3000 */
  readonly httpPort?: number;
  /** Step Functions / EventBridge / SNS / SQS endpoint. @default 4599 */
  readonly awsPort?: number;
  /** Kinesis endpoint (the streaming models' input and output streams). @default 4567 */
  readonly kinesisPort?: number;
  /** DynamoDB endpoint (the online feature store; only with featureViews). @default 4569 */
  readonly dynamodbPort?: number;
  /** Run the esbuild bundles from cdk.out (as deployed) or the TypeScript sources. @default 'bundles' */
  readonly code?: 'bundles' | 'sources';
  /**
   * Batching window of the queue in front of the retrain trigger. The cloud uses 60 s; locally a
   * shorter window keeps the loop quick while still turning a burst into one run. @default 5000
   */
  readonly batchingWindowMs?: number;
  /** Run drift checks on each model's configured rate. @default true */
  readonly driftSchedules?: boolean;
  /** Run quality checks (join and measure) on each model's configured rate. @default true */
  readonly qualitySchedules?: boolean;
  /**
   * Fire the batch-scoring schedules every this many milliseconds instead of their rate (cron
   * schedules too). @default - each rule's own rate; cron schedules only on AWS
   */
  readonly batchScoringEveryMs?: number;
  /** Upload the built-in churn data when the `churn` model has none yet. @default true */
  readonly seedBuiltInData?: boolean;
  /**
   * Changes the template's IAM before it is enforced (a test removes a grant to see the flow that
   * needs it fail). @default - enforced as synthesized
   */
  readonly adjustIam?: (iam: TemplateIam) => TemplateIam;
  /** Progress lines for a person. @default stdout */
  readonly log?: (line: string) => void;
}

export type { PlatformInfo } from '../core/local/platform-info';

/** Seconds the local quality monitor leaves a new log batch before joining it (AWS: 900, a writer's timeout). */
export const LOCAL_JOIN_SETTLE_SECONDS = 1;

/** Writes <data dir>/platform.json: paths and small facts only (the schema drops anything else). */
export function writePlatformInfo(dataDir: string, info: PlatformInfo): void {
  writeFileSync(join(dataDir, 'platform.json'), formatPlatformInfo(info));
}

export interface Platform {
  readonly info: PlatformInfo;
  readonly config: PlatformConfig;
  readonly stepFunctions: LocalStepFunctions;
  /** The console (console/), with this session's token; null when a model is named like its route. */
  readonly consoleUrl: string | null;
  /** Starts a retraining run by hand, as `mlops retrain` does. */
  retrain(model: string, dataKey?: string): { executionArn: string };
  /** Runs the model's drift monitor now. */
  runDrift(model: string, windowHours?: number): Promise<unknown>;
  /** Runs the model's quality monitor now: the join, then the report and the policy. */
  runQuality(model: string, windowHours?: number): Promise<unknown>;
  /** Runs the feature view's backfill job (an array of `shards` children); set with feature views. */
  runFeatureBackfill?(view: string, shards: number): Promise<unknown>;
  /** Runs the model's scheduled batch-scoring job now; resolves with the job's outcome. */
  runBatchScoring(model: string): Promise<unknown>;
  /** Resolves when no upload is queued and no run or batch job is in progress. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = resolve(options.dataDir ?? '.local');
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const config = loadConfig(options.configPath);
  const buckets = Object.fromEntries(ZONES.map((zone) => [zone, `${config.project}-${zone}`])) as Record<Zone, string>;
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };

  try {
    // Every function and job signs with its role's key; the user's `local` key acts as an administrator.
    const iam = new LocalIam(log);
    const s3 = await startLocalS3({
      authorize: (accessKeyId, request) => iam.authorizeS3(accessKeyId, request),
      port: options.s3Port ?? 4566,
      directory: join(dataDir, 's3'),
      buckets: Object.values(buckets),
    });
    closers.push(() => s3.close());

    const stepFunctions = new LocalStepFunctions(join(dataDir, 'executions.json'));
    let routeEvent: (entry: Record<string, unknown>) => void = () => undefined;
    let sqs: (operation: string, input: Record<string, unknown>) => Promise<unknown> = async (operation) => {
      throw new Error(`SQS ${operation}: no local queues yet`);
    };
    const publish = (message: { topicArn: string; subject?: string; message: string }) => {
      appendFileSync(
        join(logDir, 'notifications.jsonl'),
        `${JSON.stringify({ ...message, time: new Date().toISOString() })}\n`,
      );
      log(`notification: ${message.subject ?? message.topicArn.split(':').pop()}`);
    };
    const aws = await startAwsEndpoint({
      port: options.awsPort ?? 4599,
      authorization: {
        authorize: (accessKeyId, actions) => iam.authorizeCall(accessKeyId, actions),
        region: REGION,
        account: ACCOUNT,
      },
      handlers: {
        stepFunctions: stepFunctions.api,
        putEvents: async (entries) => {
          for (const entry of entries) {
            log(`event: ${entry.DetailType} ${truncate(String(entry.Detail ?? ''), 160)}`);
            routeEvent(entry);
          }
        },
        publish: async (message) => publish(message),
        sqs: (operation, input) => sqs(operation, input),
      },
    });
    closers.push(() => aws.close());

    const awsEnvironment: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SFN: aws.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
      AWS_ENDPOINT_URL_SNS: aws.url,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };

    const code = options.code ?? 'bundles';
    log(`synthesizing the CDK app for ${config.models.map((m) => m.name).join(', ')} (${code})...`);
    const started = Date.now();
    const synth = synthesizeTemplates(config, {
      bucketNames: buckets,
      bundle: code === 'bundles',
      outdir: join(dataDir, 'cdk.out'),
    });
    log(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Kinesis streams, event source mappings and on-failure queues, as the template wires them.
    const streaming = await startLocalStreaming({
      synth,
      awsEndpoint: aws.url,
      dataDir,
      port: options.kinesisPort,
      publish,
      log,
    });
    closers.push(() => streaming.close());
    sqs = streaming.queues.handle;
    // The online feature store: dynalite on disk, its table named as the template names it.
    const dynamodb = synth.featureStore
      ? await startLocalDynamoDb({
          port: options.dynamodbPort,
          region: LOCAL_REGION,
          directory: join(dataDir, 'dynamodb'),
          tables: [synth.featureStore.tableName],
        })
      : undefined;
    if (dynamodb && synth.featureStore) {
      closers.push(() => dynamodb.close());
      awsEnvironment.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
      awsEnvironment[FEATURE_TABLE_ENV] = synth.featureStore.tableName;
    }
    iam.load(synth.template, synth.resolveReference, options.adjustIam);

    const functions = new Map<string, LocalFunction>();
    const functionKey = (fn: Pick<SynthesizedFunction, 'kind' | 'model'>) =>
      `${fn.kind}${fn.model ? `:${fn.model}` : ''}`;
    for (const fn of synth.functions) {
      const entry = fn.bundleDirectory ? join(fn.bundleDirectory, 'index.js') : LAMBDA_ENTRIES[fn.kind];
      const name = functionKey(fn).replace(':', '-');
      const logFile = join(logDir, `${name}.log`);
      // Locally nothing freezes the process between requests, so captures are written at once
      // and a drift check sees traffic sent a moment ago; on AWS they are batched (60 s / 1000 rows).
      const localSettings: Record<string, string> =
        fn.kind === 'inference'
          ? { MLOPS_CAPTURE_MAX_AGE_SECONDS: '0' }
          : fn.kind === 'stream-scorer'
            ? streaming.functionEnvironment(fn.logicalId, fn.environment)
            : fn.kind === 'quality-monitor'
              ? // Local writers put each batch at once; on AWS a batch may take up to a function timeout.
                { [RUNTIME_ENV.joinSettleSeconds]: String(LOCAL_JOIN_SETTLE_SECONDS) }
              : {};
      const local = new LocalFunction({
        name,
        entry,
        environment: {
          ...fn.environment,
          ...localSettings,
          ...awsEnvironment,
          ...iam.functionCredentials(fn.logicalId),
        },
        timeoutMs: 15 * 60_000,
        onLog: (line) => appendFileSync(logFile, `${line}\n`),
      });
      functions.set(functionKey(fn), local);
      closers.push(() => local.close());
    }
    const byLogicalId = new Map(synth.functions.map((f) => [f.logicalId, functions.get(functionKey(f))]));
    await streaming.connect((logicalId) => byLogicalId.get(logicalId));
    // Pollers stop before the functions they invoke (closers run in reverse).
    closers.push(() => streaming.close());
    const fn = (kind: SynthesizedFunction['kind'], model?: string) => {
      const found = functions.get(functionKey({ kind, model }));
      if (!found) throw new Error(`no local function ${functionKey({ kind, model })}`);
      return found;
    };

    routeEvent = createEventRouter((model) => functions.get(`inference:${model}`), log);

    for (const [model, workflow] of Object.entries(synth.workflows)) {
      const handlers: Record<string, ReturnType<typeof lambdaInvokeTask>> = {};
      for (const [state, kind] of Object.entries(workflow.lambdaStates))
        handlers[state] = lambdaInvokeTask(fn(kind, model));
      handlers[workflow.batchState] = batchSubmitJobTask({
        // The bundle the image runs, from cdk.out (as the functions run); --from-source runs the TypeScript entry.
        command:
          code === 'bundles'
            ? [process.execPath, workflow.trainerBundle, 'trainer']
            : [process.execPath, join(REPO_ROOT, 'bin', 'run-ts.js'), TRAINER_ENTRY, 'trainer'],
        environment: workflow.trainerEnvironment,
        awsEnvironment: { ...awsEnvironment, ...iam.jobCredentials(workflow.jobDefinitionLogicalId) },
        onLog: (line) => {
          appendFileSync(join(logDir, `trainer-${model}.log`), `${line}\n`);
          if (/ (gbdt|linear) \d+\/\d+|wrote s3:|training failed|note:/.test(line))
            log(`  [${model}] trainer: ${line.replace(/^\S+Z /, '')}`);
        },
      });
      for (const state of WORKFLOW_SNS_STATES) handlers[state] = snsPublishTask(publish);
      // Each Task state calls its service as the state machine's role.
      guardWorkflowTasks(iam, workflow, handlers);
      stepFunctions.register(workflow.stateMachineArn, { definition: workflow.definition as never, handlers });
    }
    // The template's batch-scoring rules (schedule, uploads to <model>/score/input/) and their Batch jobs.
    const batchRules = startLocalBatchRules({
      synth,
      buckets,
      outdir: join(dataDir, 'cdk.out'),
      code,
      awsEnvironment,
      jobCredentials: (jobDefinition) => iam.jobCredentials(jobDefinition),
      logDir,
      log,
      s3Events: s3.events,
      scheduleEveryMs: options.batchScoringEveryMs,
    });
    closers.push(() => batchRules.close());
    // The materializer's upload rule (curated uploads under features/<view>/), as EventBridge would route them.
    const materialization = synth.featureStore?.uploadPattern
      ? startFeatureMaterialization({
          pattern: synth.featureStore.uploadPattern,
          materializer: fn('materialize-features'),
          s3Events: s3.events,
          log,
        })
      : undefined;
    if (materialization) closers.push(() => materialization.close());
    // `mlops features materialize --batch`: the backfill job definition as SubmitJob runs it, one child per shard.
    const featureStore = synth.featureStore;
    const runFeatureBackfill = featureStore
      ? (view: string, shards: number) =>
          batchRules.submitJob(featureStore.backfillJobDefinitionLogicalId, {
            jobName: `materialize-${view}`,
            parameters: { view, shards: String(shards) },
            arraySize: shards,
          })
      : undefined;
    const modelOfMachine = new Map(Object.entries(synth.workflows).map(([model, w]) => [w.stateMachineArn, model]));

    // EventBridge -> SQS -> retrain trigger, as the CDK app wires it.
    const queue = new BatchingQueue({
      batchingWindowMs: options.batchingWindowMs ?? 5000,
      deliver: (event) => fn('retrain-trigger').invoke(event),
      onDeadLetter: (record, reason) =>
        log(`retrain trigger: message dropped to the dead-letter log (${reason}): ${truncate(record.body, 200)}`),
    });
    closers.push(() => queue.close());
    // The CDK app's UploadRule matches only the prefixes of models with retrain.onUpload (lib/retrain-trigger.ts).
    const uploadPrefixes = config.models
      .filter((model) => model.retrain.onUpload)
      .map((model) => rawPrefix(model.name));
    s3.events.on('object-created', (event: LocalObjectCreated) => {
      if (event.bucket !== buckets.raw) return;
      log(`upload: s3://${event.bucket}/${event.key}`);
      if (!uploadPrefixes.some((prefix) => event.key.startsWith(prefix))) {
        log(`  no retraining: its model has retrain.onUpload false`);
        return;
      }
      queue.send(objectCreatedEvent(event));
    });

    stepFunctions.onStateEntered((execution, state) => {
      log(`  [${modelOfMachine.get(execution.stateMachineArn)}] ${execution.name}: ${state}`);
    });
    stepFunctions.onStatusChange((execution) => {
      const model = modelOfMachine.get(execution.stateMachineArn) ?? '?';
      log(`[${model}] run ${execution.name} ${execution.status}${summarizeExecution(execution)}`);
      queue.send(executionStatusEvent(execution));
      if (execution.status === 'SUCCEEDED') void announceIfServing(model);
    });

    const runDrift = (model: string, windowHours?: number) =>
      fn('drift-monitor', model).invoke(windowHours === undefined ? { force: true } : { windowHours, force: true });
    const runQuality = (model: string, windowHours?: number) =>
      fn('quality-monitor', model).invoke(windowHours === undefined ? { force: true } : { windowHours, force: true });

    const http = await startFunctionUrlServer({ port: options.httpPort ?? 3000 });
    closers.push(() => http.close());
    for (const model of config.models) {
      const endpoint = synth.functions.find((f) => f.kind === 'inference' && f.model === model.name);
      http.route(
        model.name,
        (event) => fn('inference', model.name).invoke(event),
        functionUrlGuard({
          iam,
          name: model.name,
          authType: model.endpoint.auth,
          functionArn: synth.resolveReference({
            logicalId: endpoint?.logicalId ?? '',
            attribute: 'Arn',
            resourceType: 'AWS::Lambda::Function',
          }),
          region: LOCAL_REGION,
          log,
        }),
      );
    }
    http.route(
      ADMIN_ROUTE,
      createAdminRoute({
        config,
        runDrift,
        runQuality,
        runBatchScoring: (model) => batchRules.runScheduled(model),
        ...(runFeatureBackfill ? { runFeatureBackfill } : {}),
      }),
    );
    const consoleServed = !config.models.some((model) => model.name === CONSOLE_ROUTE);
    if (!consoleServed) log(`console: not served, a model is named "${CONSOLE_ROUTE}"`);
    const consoleUrl = consoleServed
      ? mountConsole(
          http,
          localConsoleTarget({
            s3Endpoint: s3.endpoint,
            awsEndpoint: aws.url,
            buckets,
            stateMachines: Object.fromEntries(Object.entries(synth.workflows).map(([m, w]) => [m, w.stateMachineArn])),
            featureViews: consoleFeatureViews(config),
            logDir,
          }),
          log,
        ).url
      : null;
    if (consoleUrl) log(`console: ${consoleUrl}`);

    const client = createS3Client({
      endpoint: s3.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const builtInData = writeBuiltInData(join(dataDir, 'data'));
    const streamOf = (model: string) => {
      const scorer = synth.functions.find((f) => f.kind === 'stream-scorer' && f.model === model);
      const found = streaming.streams.find((stream) => stream.functionLogicalId === scorer?.logicalId);
      if (!found) return {};
      const { functionLogicalId: _function, ...stream } = found;
      return { stream };
    };
    const info: PlatformInfo = {
      s3Endpoint: s3.endpoint,
      awsEndpoint: aws.url,
      httpUrl: http.url,
      buckets,
      models: config.models.map((model) => ({
        name: model.name,
        endpoint: `${http.url}/${model.name}/`,
        feedback: `${http.url}/${model.name}/feedback`,
        stateMachineArn: synth.workflows[model.name].stateMachineArn,
        ...streamOf(model.name),
      })),
      ...(streaming.kinesis ? { kinesisEndpoint: streaming.kinesis.endpoint } : {}),
      ...(dynamodb && synth.featureStore
        ? { dynamodbEndpoint: dynamodb.endpoint, featureTable: synth.featureStore.tableName }
        : {}),
      // Without its token: the token is printed once, in the console line of the log and banner.
      ...(consoleUrl ? { consoleUrl: consoleUrl.replace(/#.*$/, '') } : {}),
      dataDir,
      configPath: resolveConfigPath(options.configPath),
      builtInData,
      pid: process.pid,
    };
    writePlatformInfo(dataDir, info);
    closers.push(() => writePlatformInfo(dataDir, { ...info, pid: null }));

    const monitors: ScheduledMonitor[] = [];
    if (options.driftSchedules !== false) {
      monitors.push({ name: 'drift', schedule: (m) => m.drift.schedule, function: (m) => fn('drift-monitor', m) });
    }
    if (options.qualitySchedules !== false) {
      monitors.push({
        name: 'quality',
        schedule: (m) => m.quality.schedule,
        function: (m) => fn('quality-monitor', m),
      });
    }
    closers.push(startMonitorTimers(config.models, monitors, log));

    const announceIfServing = createServingAnnouncer(info, config, log, consoleUrl);
    await prepareModels({
      client,
      buckets,
      models: config.models,
      builtInData,
      seedBuiltInData: options.seedBuiltInData !== false,
      announceIfServing,
      log,
    });

    return {
      info,
      config,
      stepFunctions,
      consoleUrl,
      retrain: (model, dataKey) => {
        const arn = synth.workflows[model]?.stateMachineArn;
        if (!arn) throw new Error(`unknown model "${model}"; models are: ${Object.keys(synth.workflows).join(', ')}`);
        return stepFunctions.start({
          stateMachineArn: arn,
          input: JSON.stringify(manualExecutionInput(model, dataKey)),
        });
      },
      runDrift,
      runQuality,
      runBatchScoring: (model) => batchRules.runScheduled(model),
      ...(runFeatureBackfill ? { runFeatureBackfill } : {}),
      idle: async () => {
        for (;;) {
          await queue.drain();
          await stepFunctions.idle();
          await batchRules.idle();
          await materialization?.idle();
          await streaming.idle();
          if (stepFunctions.all().every((e) => e.status !== 'RUNNING')) return;
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
