import { spawn } from 'node:child_process';
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { parseArtifact } from '../../core/artifact/format';
import { churnCsv } from '../../core/datasets/churn';
import { MIN_ROWS_FOR_WORKER } from '../../core/learners/gbdt';
import { TRAINER_ENV, TRAINER_EXIT, TRAINER_OUTPUTS } from '../../core/workflow/contract';

/**
 * Checks a trainer (the image, or its bundle) against the trainer contract (docs/trainer-contract.md)
 * with an S3-compatible endpoint: environment in, files out, exit codes. CI runs it against the
 * built image and a MinIO container; the tests run it against the bundle and the local S3.
 *
 *   node bin/run-ts.js containers/trainer/contract-check.ts --endpoint http://127.0.0.1:9000 --image mlops-trainer:ci
 *   node bin/run-ts.js containers/trainer/contract-check.ts --endpoint http://127.0.0.1:4566 --bundle dist/trainer/index.js
 *
 * Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default `local`, what s3rver takes).
 */

export interface ContractCheckOptions {
  /** The S3-compatible endpoint, as the trainer reaches it (the image runs with the host's network). */
  readonly endpoint: string;
  /** Runs the trainer with the environment it is given, e.g. `node index.js trainer`. */
  readonly command: readonly string[];
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * Rows of the uploaded CSV; 80% train, so the default (20,480) trains on 16,384 rows, enough for
   * the GBDT learner's worker thread. @default 20480
   */
  readonly rows?: number;
  /** @default 'mlops-contract' */
  readonly bucket?: string;
  readonly log?: (line: string) => void;
}

/** The trainer validates on 20% of the rows: this many leave enough training rows for the worker thread. */
const DEFAULT_ROWS = Math.ceil(MIN_ROWS_FOR_WORKER / 0.8);

export interface ContractCase {
  readonly name: string;
  readonly exitCode: number;
  /** What did not match the contract; empty when the case passed. */
  readonly problems: readonly string[];
}

/** The variables the check sets for the trainer: the contract's and the SDK's (a container must be given each). */
export const FORWARDED_ENVIRONMENT = [
  ...Object.values(TRAINER_ENV),
  'AWS_ENDPOINT_URL_S3',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
] as const;

/** What the check gives the trainer for one run: the contract's variables and the SDK's. */
export function contractEnvironment(run: {
  readonly endpoint: string;
  readonly credentials: ContractCheckOptions['credentials'];
  readonly bucket: string;
  readonly inputKey: string;
  readonly runId: string;
}): Record<(typeof FORWARDED_ENVIRONMENT)[number], string> {
  return {
    [TRAINER_ENV.model]: 'churn',
    [TRAINER_ENV.runId]: run.runId,
    [TRAINER_ENV.input]: `s3://${run.bucket}/${run.inputKey}`,
    [TRAINER_ENV.output]: `s3://${run.bucket}/runs/churn/${run.runId}/candidate/`,
    [TRAINER_ENV.target]: 'churned',
    [TRAINER_ENV.positiveLabel]: 'yes',
    [TRAINER_ENV.params]: JSON.stringify({ learner: 'gbdt', learnerParams: { gbdt: { nEstimators: 30, threads: 2 } } }),
    AWS_ENDPOINT_URL_S3: run.endpoint,
    AWS_ACCESS_KEY_ID: run.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: run.credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
}

/** `docker run` of an image with the host's network and the forwarded variables. */
export function dockerCommand(image: string): string[] {
  return [
    'docker',
    'run',
    '--rm',
    '--network',
    'host',
    ...FORWARDED_ENVIRONMENT.flatMap((name) => ['-e', name]),
    image,
  ];
}

function run(
  command: readonly string[],
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), 'trainer'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().trimEnd().split('\n')) log(`  | ${line}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? 1, output }));
  });
}

export async function checkTrainerContract(options: ContractCheckOptions): Promise<ContractCase[]> {
  const log = options.log ?? (() => undefined);
  const bucket = options.bucket ?? 'mlops-contract';
  const rows = options.rows ?? DEFAULT_ROWS;
  const client = createS3Client({ endpoint: options.endpoint, credentials: options.credentials });
  try {
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if (!(error instanceof BucketAlreadyOwnedByYou || error instanceof BucketAlreadyExists)) throw error;
    }
    const store = new S3ObjectStore(client, bucket);
    const inputKey = 'churn/snapshots/contract.csv';
    await store.put(inputKey, churnCsv({ rows, seed: 7, batch: 'v1' }), { contentType: 'text/csv' });
    log(`uploaded ${rows} rows to s3://${bucket}/${inputKey}`);

    const environment = (runId: string, overrides: Record<string, string> = {}) => ({
      ...contractEnvironment({ endpoint: options.endpoint, credentials: options.credentials, bucket, inputKey, runId }),
      ...overrides,
    });
    const outputs = async (runId: string) => {
      const prefix = `runs/churn/${runId}/candidate/`;
      const found = new Map<string, string>();
      for (const name of Object.values(TRAINER_OUTPUTS)) {
        const object = await store.get(`${prefix}${name}`);
        if (object) found.set(name, Buffer.from(object.body).toString('utf8'));
      }
      return found;
    };
    const cases: ContractCase[] = [];
    const check = async (
      name: string,
      runId: string,
      overrides: Record<string, string>,
      expected: number,
      verify: (files: Map<string, string>, problems: string[]) => void,
    ) => {
      log(`case: ${name}`);
      const { exitCode } = await run(options.command, environment(runId, overrides), log);
      const problems: string[] = [];
      if (exitCode !== expected) problems.push(`exit code ${exitCode}, expected ${expected}`);
      verify(await outputs(runId), problems);
      cases.push({ name, exitCode, problems });
    };

    await check(
      `trains with 2 threads on ${rows} uploaded rows`,
      'contract-ok',
      {},
      TRAINER_EXIT.ok,
      (files, problems) => {
        for (const name of [TRAINER_OUTPUTS.artifact, TRAINER_OUTPUTS.metrics, TRAINER_OUTPUTS.profile]) {
          if (!files.has(name)) problems.push(`${name} missing`);
        }
        if (files.has(TRAINER_OUTPUTS.error)) problems.push(`${TRAINER_OUTPUTS.error} written on success`);
        const artifact = files.get(TRAINER_OUTPUTS.artifact);
        if (artifact) {
          try {
            const parsed = parseArtifact(artifact);
            if (parsed.model.kind !== 'gbdt') problems.push(`model kind ${parsed.model.kind}, expected gbdt`);
          } catch (error) {
            problems.push(`model.json does not parse: ${(error as Error).message}`);
          }
        }
      },
    );
    await check(
      'bad input: the target column does not exist',
      'contract-bad-input',
      { [TRAINER_ENV.target]: 'no_such_column' },
      TRAINER_EXIT.badInput,
      (files, problems) => {
        if (files.has(TRAINER_OUTPUTS.artifact)) problems.push(`${TRAINER_OUTPUTS.artifact} written on failure`);
        const error = files.get(TRAINER_OUTPUTS.error);
        if (!error) problems.push(`${TRAINER_OUTPUTS.error} missing`);
        else if (JSON.parse(error).exitCode !== TRAINER_EXIT.badInput)
          problems.push(`${TRAINER_OUTPUTS.error} says ${error}`);
      },
    );
    await check(
      'transient: the S3 endpoint does not answer',
      'contract-unreachable',
      // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
      { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' },
      TRAINER_EXIT.retryable,
      () => undefined,
    );
    return cases;
  } finally {
    client.destroy();
  }
}

function flag(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

async function cli(argv: readonly string[]): Promise<number> {
  const endpoint = flag(argv, '--endpoint');
  const image = flag(argv, '--image');
  const bundle = flag(argv, '--bundle');
  if (!endpoint || (!image && !bundle)) {
    process.stderr.write(
      'usage: contract-check.ts --endpoint <S3 URL> (--image <docker image> | --bundle <dist/trainer/index.js>)\n',
    );
    return 2;
  }
  const cases = await checkTrainerContract({
    endpoint,
    command: image ? dockerCommand(image) : [process.execPath, bundle!],
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    },
    log: (line) => process.stdout.write(`${line}\n`),
  });
  for (const result of cases) {
    process.stdout.write(
      `${result.problems.length === 0 ? 'ok  ' : 'FAIL'} ${result.name} (exit ${result.exitCode})${result.problems.map((p) => `\n     ${p}`).join('')}\n`,
    );
  }
  return cases.every((result) => result.problems.length === 0) ? 0 : 1;
}

// bin/run-ts.js puts the entry file in argv[1].
if (process.argv[1] === __filename) {
  cli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
