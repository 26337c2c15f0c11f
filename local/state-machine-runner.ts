/**
 * Runs an Amazon States Language definition locally with aws-local-stepfunctions, every Task
 * state served by a local handler (a Task left to the interpreter would call real AWS, so an
 * unserved Task is refused before the run starts).
 */

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

import { StateMachine } from 'aws-local-stepfunctions';
import { STATES_PAYLOAD_LIMIT_BYTES } from '../core/workflow/contract';

export type TaskHandler = (input: unknown) => Promise<unknown>;

/**
 * Step Functions' quota for an execution's input, a task's result and each state's input and
 * output: 256 KiB of UTF-8 JSON. Going over fails the execution with States.DataLimitExceeded,
 * which no Catch (not even States.ALL) catches, so the local runner enforces it the same way.
 */
export { STATES_PAYLOAD_LIMIT_BYTES };
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  /** The States error name and cause of a failed execution. */
  readonly error?: string;
  readonly cause?: string;
  /** State names in the order they were entered. */
  readonly path: readonly string[];
}

interface AslState {
  Type: string;
  Branches?: Array<{ States: Record<string, AslState> }>;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
}

/** Names of every Task state, including those inside Parallel and Map states. */
export function taskStateNames(definition: { States: Record<string, AslState> }): string[] {
  const names: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') names.push(name);
    for (const branch of state.Branches ?? []) names.push(...taskStateNames(branch));
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) names.push(...taskStateNames(inner));
  }
  return names;
}

export async function runStateMachine(
  definition: { States: Record<string, AslState>; StartAt: string },
  input: unknown,
  handlers: Readonly<Record<string, TaskHandler>>,
  onStateEntered?: (name: string) => void,
  /** The context object (`$$`): Execution.Id/Name/StartTime/Input, StateMachine.Id/Name. */
  context?: Record<string, unknown>,
): Promise<ExecutionResult> {
  const unserved = taskStateNames(definition).filter((name) => !handlers[name]);
  if (unserved.length > 0) {
    throw new Error(
      `no local handler for Task state(s): ${unserved.join(', ')}; every Task must run locally, never against AWS`,
    );
  }
  if (payloadBytes(input) > STATES_PAYLOAD_LIMIT_BYTES) {
    return {
      status: 'FAILED',
      error: DATA_LIMIT_EXCEEDED,
      cause: `The execution input has ${payloadBytes(input)} bytes, over the ${STATES_PAYLOAD_LIMIT_BYTES}-byte limit`,
      path: [],
    };
  }
  // The first limit violation; once set, the execution is aborted and reported with it, past any Catch.
  let exceeded: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the interpreter's definition type is stricter than parsed JSON.
  const machine = new StateMachine(definition as any, { validationOptions: { checkArn: false } });
  let abort: () => void = () => undefined;
  const fail = (cause: string) => {
    exceeded ??= cause;
    abort();
  };
  const limited = Object.fromEntries(
    Object.entries(handlers).map(([name, handler]): [string, TaskHandler] => [
      name,
      async (taskInput) => {
        // Let the event log catch up, so a state output over the limit stops the run before this task.
        await new Promise((resolve) => setImmediate(resolve));
        if (exceeded === undefined) {
          const result = await handler(taskInput);
          if (payloadBytes(result) <= STATES_PAYLOAD_LIMIT_BYTES) return result;
          fail(
            `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
          );
        }
        // The execution is already aborted: the loop stops before any Catch target runs.
        const error = new Error(exceeded);
        error.name = DATA_LIMIT_EXCEEDED;
        throw error;
      },
    ]),
  );
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: limited as never },
    ...(context ? { context: context as never } : {}),
  });
  abort = execution.abort;
  const path: string[] = [];
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        path.push(event.state.name);
        onStateEntered?.(event.state.name);
        if (payloadBytes(event.state.input) > STATES_PAYLOAD_LIMIT_BYTES)
          fail(
            `The state/task '${event.state.name}' has an input exceeding the maximum number of bytes service limit.`,
          );
      }
      if (event.type === 'StateExited' && payloadBytes(event.state.output) > STATES_PAYLOAD_LIMIT_BYTES)
        fail(`The state/task '${event.state.name}' has an output exceeding the maximum number of bytes service limit.`);
    }
  })();
  try {
    const output = await execution.result;
    await logs;
    if (exceeded !== undefined) return { status: 'FAILED', error: DATA_LIMIT_EXCEEDED, cause: exceeded, path };
    return { status: 'SUCCEEDED', output, path };
  } catch (error) {
    await logs.catch(() => undefined);
    if (exceeded !== undefined) return { status: 'FAILED', error: DATA_LIMIT_EXCEEDED, cause: exceeded, path };
    const failure = (error as { cause?: { name?: string; message?: string } }).cause ?? (error as Error);
    return { status: 'FAILED', error: failure.name, cause: failure.message, path };
  }
}
