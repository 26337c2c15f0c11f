import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { TRAINER_EXIT } from '../core/workflow/contract';
import { FunctionError, type LocalFunction } from './lambda-host';
import { inheritedEnvironment } from './loopback';
import type { TaskHandler } from './state-machine-runner';

/**
 * Local stand-ins for the services the retraining state machine's Task states call. Each returns
 * what the real integration returns, and fails the way it fails, so the state machine's
 * ResultSelectors, Choices and Catches behave as in the cloud.
 */

/** `arn:aws:states:::lambda:invoke`: the service envelope on success; on a function error, Error = errorType and Cause = Lambda's JSON. */
export function lambdaInvokeTask(fn: LocalFunction): TaskHandler {
  return async (input) => {
    const { Payload } = (input ?? {}) as { Payload?: unknown };
    try {
      const result = await fn.invoke(Payload ?? {});
      return { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' };
    } catch (error) {
      if (!(error instanceof FunctionError)) throw error;
      const failure = new Error(
        JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.stackTrace }),
      );
      failure.name = error.errorType;
      throw failure;
    }
  };
}

export interface BatchJobOptions {
  /** The job definition's container environment (resolved from the template). */
  readonly environment: Readonly<Record<string, string>>;
  /** Local AWS settings (endpoints, dummy credentials) on top of it. */
  readonly awsEnvironment: Readonly<Record<string, string>>;
  /** Attempts, as the job definition's retry strategy (retries only the retryable exit code). @default 3 */
  readonly attempts?: number;
  readonly onLog?: (line: string) => void;
  /** The command the container runs: the trainer bundle (or sources) with `trainer`, e.g. `node index.js trainer`. */
  readonly command: readonly string[];
}

/**
 * Runs a container's command as a child process, its output line by line to `onLog`; resolves
 * with the exit code. After `timeoutMs` the process is killed at once (exit code 137; AWS Batch sends
 * SIGTERM and SIGKILL 30 s later).
 */
export function runContainer(
  command: readonly string[],
  env: Record<string, string>,
  onLog?: (line: string) => void,
  timeoutMs?: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, timeoutMs);
    let partial = '';
    const forward = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLog?.(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(timedOut ? 137 : (code ?? 1));
    });
  });
}

/**
 * `arn:aws:states:::batch:submitJob.sync`: runs the trainer as a child process with the job
 * definition's environment plus the state's ContainerOverrides, retrying the retryable exit code
 * as the job definition's retry strategy does, and returns (or fails with) a DescribeJobs-shaped
 * job description.
 */
export function batchSubmitJobTask(options: BatchJobOptions): TaskHandler {
  const { command } = options;
  const maxAttempts = options.attempts ?? 3;
  return async (input) => {
    const request = (input ?? {}) as {
      JobName?: string;
      JobQueue?: string;
      JobDefinition?: string;
      ContainerOverrides?: { Environment?: Array<{ Name: string; Value: string }> };
    };
    const overrides = Object.fromEntries(
      (request.ContainerOverrides?.Environment ?? []).map(({ Name, Value }) => [Name, Value]),
    );
    const env = { ...inheritedEnvironment(), ...options.environment, ...overrides, ...options.awsEnvironment };
    const jobId = randomUUID();
    const attempts: Array<{
      Container: { ExitCode: number };
      StartedAt: number;
      StoppedAt: number;
      StatusReason: string;
    }> = [];
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const startedAt = Date.now();
      const exitCode = await runContainer(command, env, options.onLog);
      attempts.push({
        Container: { ExitCode: exitCode },
        StartedAt: startedAt,
        StoppedAt: Date.now(),
        StatusReason: 'Essential container in task exited',
      });
      if (exitCode !== TRAINER_EXIT.retryable) break;
      options.onLog?.(`attempt ${attempt} exited ${exitCode} (retryable)${attempt < maxAttempts ? '; retrying' : ''}`);
    }
    const last = attempts[attempts.length - 1];
    const description = {
      JobId: jobId,
      JobName: request.JobName,
      JobQueue: request.JobQueue,
      JobDefinition: request.JobDefinition,
      Status: last.Container.ExitCode === 0 ? 'SUCCEEDED' : 'FAILED',
      StatusReason: last.StatusReason,
      Attempts: attempts,
      Container: {
        ExitCode: last.Container.ExitCode,
        Environment: Object.entries(overrides).map(([Name, Value]) => ({ Name, Value })),
      },
      CreatedAt: attempts[0].StartedAt,
      StartedAt: attempts[0].StartedAt,
      StoppedAt: last.StoppedAt,
    };
    if (description.Status === 'SUCCEEDED') return description;
    const failure = new Error(JSON.stringify(description));
    failure.name = 'States.TaskFailed';
    throw failure;
  };
}

/** `arn:aws:states:::sns:publish`: hands the message to the local topic log. */
export function snsPublishTask(
  publish: (message: { topicArn: string; subject?: string; message: string }) => void,
): TaskHandler {
  return async (input) => {
    const {
      TopicArn = '',
      Message,
      Subject,
    } = (input ?? {}) as { TopicArn?: string; Message?: unknown; Subject?: string };
    publish({
      topicArn: TopicArn,
      subject: Subject,
      message: typeof Message === 'string' ? Message : JSON.stringify(Message),
    });
    return { MessageId: randomUUID() };
  };
}
