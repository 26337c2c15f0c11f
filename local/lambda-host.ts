import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { inheritedEnvironment } from './loopback';

/**
 * Runs a Lambda handler locally the way Lambda does: in its own process (its own environment
 * variables and module state, a real cold start), one invocation at a time, restarted after a
 * crash. The entry is the bundle from cdk.out or a TypeScript source file.
 */
export interface LocalFunctionOptions {
  readonly name: string;
  /** Path to the handler module (.js bundle or .ts source). */
  readonly entry: string;
  /** @default 'handler' */
  readonly exportName?: string;
  /** Function environment, on top of PATH and the local AWS settings. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 900000 (Lambda's maximum) */
  readonly timeoutMs?: number;
  /** Receives the function's stdout/stderr lines (its logs). @default inherited */
  readonly onLog?: (line: string) => void;
}

/** A function error as Lambda reports it; `errorType` becomes the Step Functions `Error`. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly stackTrace: readonly string[] = [],
  ) {
    super(errorMessage);
    this.name = errorType;
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

export class LocalFunction {
  private child?: ChildProcess;
  private starting?: Promise<ChildProcess>;
  private readonly pending = new Map<string, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Number of cold starts so far (tests and the bench read it). */
  coldStarts = 0;

  constructor(readonly options: LocalFunctionOptions) {}

  private start(): Promise<ChildProcess> {
    this.starting ??= new Promise<ChildProcess>((resolve, reject) => {
      const { name, entry, exportName = 'handler', environment = {}, timeoutMs = 900_000, onLog } = this.options;
      const child = fork(join(__dirname, 'lambda-worker.js'), [entry, exportName, name, String(timeoutMs)], {
        env: { ...inheritedEnvironment(), ...environment, AWS_LAMBDA_FUNCTION_NAME: name },
        stdio: onLog ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      if (onLog) {
        for (const stream of [child.stdout, child.stderr]) {
          let partial = '';
          stream?.on('data', (chunk: Buffer) => {
            const lines = (partial + chunk.toString()).split('\n');
            partial = lines.pop() ?? '';
            for (const line of lines) onLog(line);
          });
        }
      }
      this.coldStarts++;
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          this.child = child;
          resolve(child);
        } else if (message.type === 'init-error') {
          reject(
            new FunctionError(message.error.errorType, `${name} failed to initialise: ${message.error.errorMessage}`),
          );
        } else {
          const pending = this.pending.get(message.id);
          if (!pending) return;
          this.pending.delete(message.id);
          clearTimeout(pending.timer);
          if (message.type === 'result') pending.resolve(message.result);
          else
            pending.reject(
              new FunctionError(message.error.errorType, message.error.errorMessage, message.error.stackTrace),
            );
        }
      });
      child.on('exit', (code, signal) => {
        this.child = undefined;
        this.starting = undefined;
        const reason = new FunctionError(
          'Runtime.ExitError',
          `${name} exited (${signal ?? `code ${code}`}) during the invocation`,
        );
        for (const pending of this.pending.values()) {
          clearTimeout(pending.timer);
          pending.reject(reason);
        }
        this.pending.clear();
        reject(reason);
      });
    });
    return this.starting;
  }

  /** Invokes the function with an event; resolves with its result or rejects with a FunctionError. */
  invoke<T = unknown>(event: unknown): Promise<T> {
    // Lambda gives one container one invocation at a time; a queue keeps that here.
    const run = async (): Promise<T> => {
      const child = await this.start();
      const id = randomUUID();
      return new Promise<T>((resolve, reject) => {
        const timeoutMs = this.options.timeoutMs ?? 900_000;
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new FunctionError('States.Timeout', `${this.options.name} timed out after ${timeoutMs} ms`));
          child.kill();
        }, timeoutMs);
        this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
        child.send({ type: 'invoke', id, requestId: id, event });
      });
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    const child = this.child ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: { errorType: string; errorMessage: string } }
  | { type: 'result'; id: string; result: unknown }
  | { type: 'error'; id: string; error: { errorType: string; errorMessage: string; stackTrace: string[] } };
