import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type PlatformInfo, parsePlatformInfo } from '../../core/local/platform-info';
import { ADMIN_ROUTE } from '../../local/admin-route';
import { intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command, CommandIo } from '../io';

const DEFAULT_DATA_DIR = '.local';

/** The running (or last) local platform's endpoints, written by `mlops local start`. */
export function readPlatformInfo(
  dataDir = process.env.MLOPS_LOCAL_DIR ?? DEFAULT_DATA_DIR,
): PlatformInfo & { running: boolean } {
  const file = join(resolve(dataDir), 'platform.json');
  if (!existsSync(file)) throw new UsageError(`no local platform in ${resolve(dataDir)}; start one with 'npm start'`);
  const info = parsePlatformInfo(JSON.parse(readFileSync(file, 'utf8')), file);
  let running = false;
  if (info.pid) {
    try {
      process.kill(info.pid, 0);
      running = true;
    } catch {
      running = false;
    }
  }
  return { ...info, running };
}

export const localCommand: Command = {
  spec: {
    name: 'local',
    summary: 'run the whole platform on this machine (start), or show its endpoints (info)',
    usage: 'mlops local start [options] | mlops local info [--json]',
    positionals: ['action'],
    flags: {
      config: {
        type: 'string',
        description: 'config file (default: MLOPS_CONFIG or ./mlops.config.json)',
        valueName: 'file',
      },
      'data-dir': {
        type: 'string',
        description: `where data, history, logs and bundles live (default: MLOPS_LOCAL_DIR or ${DEFAULT_DATA_DIR})`,
        valueName: 'dir',
      },
      's3-port': { type: 'string', description: 'S3-compatible endpoint port', default: '4566', valueName: 'n' },
      'http-port': { type: 'string', description: 'inference endpoints port', default: '3000', valueName: 'n' },
      'aws-port': {
        type: 'string',
        description: 'Step Functions / EventBridge / SNS / SQS endpoint port',
        default: '4599',
        valueName: 'n',
      },
      'kinesis-port': {
        type: 'string',
        description: 'Kinesis endpoint port (streaming models)',
        default: '4567',
        valueName: 'n',
      },
      'dynamodb-port': {
        type: 'string',
        description: 'DynamoDB endpoint port (the online feature store, with featureViews)',
        default: '4569',
        valueName: 'n',
      },
      'from-source': { type: 'boolean', description: 'run the TypeScript handlers instead of the cdk.out bundles' },
      'batching-window': {
        type: 'string',
        description: 'seconds an upload burst is collected before one retrain starts',
        default: '5',
        valueName: 's',
      },
      'batch-scoring-every': {
        type: 'string',
        description:
          "fire each model's batch-scoring schedule every s seconds instead of its rate (cron schedules too)",
        valueName: 's',
      },
      empty: { type: 'boolean', description: 'start without uploading the built-in churn data' },
      json: { type: 'boolean', description: 'info: print JSON' },
    },
    examples: ['npm start', 'mlops local start --s3-port 0 --http-port 0', 'mlops local info --json'],
  },

  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const action = positionals[0];
    const dataDir = stringFlag(flags, 'data-dir') ?? process.env.MLOPS_LOCAL_DIR ?? DEFAULT_DATA_DIR;
    if (action === 'info') {
      const info = readPlatformInfo(dataDir);
      if (flags.json) {
        io.out(`${JSON.stringify(info, null, 2)}\n`);
        return 0;
      }
      io.out(
        [
          `local platform ${info.running ? `running (pid ${info.pid})` : 'not running'}; data in ${info.dataDir}`,
          `S3 endpoint:   ${info.s3Endpoint}`,
          `AWS endpoint:  ${info.awsEndpoint} (Step Functions, EventBridge, SNS, SQS)`,
          ...(info.kinesisEndpoint ? [`Kinesis:       ${info.kinesisEndpoint}`] : []),
          ...(info.dynamodbEndpoint
            ? [`DynamoDB:      ${info.dynamodbEndpoint} (feature table ${info.featureTable ?? '-'})`]
            : []),
          ...(info.consoleUrl
            ? [`console:       ${info.consoleUrl} (open the URL with the token the platform printed at start)`]
            : []),
          `buckets:       ${Object.entries(info.buckets)
            .map(([zone, bucket]) => `${zone}=${bucket}`)
            .join(' ')}`,
          ...info.models.flatMap((model) => [
            `model ${model.name}: ${model.endpoint} (feedback: POST ${model.feedback})`,
            ...(model.stream
              ? [
                  `  stream in:  ${model.stream.inputStream}  out: ${model.stream.outputStream ?? '-'}  on-failure: ${model.stream.onFailureFile ?? '-'}`,
                ]
              : []),
          ]),
          `built-in churn data (${info.builtInData.rows} rows per batch):`,
          `  first batch:   ${info.builtInData.v1Path}`,
          `  later batch:   ${info.builtInData.v2Path}`,
          `  corrupt file:  ${info.builtInData.corruptPath}`,
          ...(info.builtInData.customerFeaturesPath
            ? [`  customer view: ${info.builtInData.customerFeaturesPath}`]
            : []),
          '',
        ].join('\n'),
      );
      return 0;
    }
    if (action !== 'start')
      throw new UsageError(`expected 'start' or 'info', got ${action === undefined ? 'nothing' : `"${action}"`}`);
    // Loaded here, not at the top: the platform pulls in aws-cdk-lib (seconds to load), which no other command needs.
    const { startPlatform } = require('../../local/platform') as typeof import('../../local/platform');
    const platform = await startPlatform({
      configPath: stringFlag(flags, 'config'),
      dataDir,
      s3Port: intFlag(flags, 's3-port'),
      httpPort: intFlag(flags, 'http-port'),
      awsPort: intFlag(flags, 'aws-port'),
      kinesisPort: intFlag(flags, 'kinesis-port'),
      dynamodbPort: intFlag(flags, 'dynamodb-port'),
      code: flags['from-source'] ? 'sources' : 'bundles',
      batchingWindowMs: (intFlag(flags, 'batching-window') ?? 5) * 1000,
      seedBuiltInData: !flags.empty,
      ...(flags['batch-scoring-every'] === undefined
        ? {}
        : { batchScoringEveryMs: intFlag(flags, 'batch-scoring-every')! * 1000 }),
      log: (line) => io.out(`${line}\n`),
    });
    const { info } = platform;
    io.out(
      `platform up: S3 ${info.s3Endpoint}, endpoints ${info.httpUrl}/<model>/, AWS ${info.awsEndpoint}` +
        `${info.kinesisEndpoint ? `, Kinesis ${info.kinesisEndpoint}` : ''}` +
        `${info.dynamodbEndpoint ? `, DynamoDB ${info.dynamodbEndpoint}` : ''}; Ctrl-C stops\n`,
    );
    await new Promise<void>((done) => {
      const stop = () => {
        io.out('\nstopping...\n');
        platform.close().then(done, done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

/** The running local platform's info, or undefined when there is none or it has stopped. */
export function runningLocalPlatform(): (PlatformInfo & { running: boolean }) | undefined {
  try {
    const info = readPlatformInfo();
    return info.running ? info : undefined;
  } catch {
    return undefined;
  }
}

/** The local platform's answer to a job it ran through its Batch emulation (`mlops score run`, `features materialize --batch`). */
export interface LocalJobAnswer {
  readonly jobId?: string;
  readonly jobName?: string;
  readonly status?: string;
  readonly children?: Array<{ arrayIndex?: number; exitCode: number; attempts: number }>;
}

/**
 * Runs a job on the running local platform through one of its admin routes and prints its outcome
 * (the answer as JSON, or one line with the exit codes and the log). Exit code 0 when it succeeded.
 */
export async function runLocalJob(
  route: string,
  body: unknown,
  io: CommandIo,
  options: { readonly json: boolean; readonly detail?: string },
): Promise<number> {
  const info = readPlatformInfo();
  if (!info.running)
    throw new UsageError(`the local platform in ${info.dataDir} is not running; start it with 'npm start'`);
  const response = await fetch(`${info.httpUrl}/${ADMIN_ROUTE}/${route}`, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as LocalJobAnswer & { error?: { message: string } };
  if (!response.ok) throw new UsageError(answer.error?.message ?? `the platform answered ${response.status}`);
  if (options.json) io.out(`${JSON.stringify(answer, null, 2)}\n`);
  else {
    const exits = (answer.children ?? []).map((child) => child.exitCode).join(', ');
    const detail = options.detail ? `, ${options.detail}` : '';
    io.out(
      `${answer.jobName} ${answer.status} (job ${answer.jobId}${detail}; exit code(s) ${exits}; log ${join(info.dataDir, 'logs', `${answer.jobName}.log`)})\n`,
    );
  }
  return answer.status === 'SUCCEEDED' ? 0 : 1;
}
