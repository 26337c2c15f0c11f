import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AwsServiceError } from './aws-endpoint';
import {
  type ExecutionResult,
  runStateMachine,
  STATES_PAYLOAD_LIMIT_BYTES,
  type TaskHandler,
} from './state-machine-runner';

/**
 * A local Step Functions service: state machines registered by ARN, executions started by the
 * same API calls the deployed functions make (StartExecution, ListExecutions, DescribeExecution),
 * a status-change notification when an execution ends (as EventBridge delivers it in the cloud),
 * and execution history kept in a file so a restart still lists past runs.
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** States entered, in order (not in the AWS API; shown by the local platform). */
  path: string[];
}

export interface StateMachineRegistration {
  readonly definition: { StartAt: string; States: Record<string, { Type: string }> };
  readonly handlers: Readonly<Record<string, TaskHandler>>;
}

export class LocalStepFunctions {
  private readonly machines = new Map<string, StateMachineRegistration>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly statusListeners: Array<(execution: ExecutionRecord) => void> = [];
  private readonly stateListeners: Array<(execution: ExecutionRecord, state: string) => void> = [];

  constructor(private readonly historyFile?: string) {
    if (historyFile && existsSync(historyFile)) {
      for (const record of JSON.parse(readFileSync(historyFile, 'utf8')) as ExecutionRecord[]) {
        // An execution cut short by a platform stop cannot resume: recorded as aborted.
        if (record.status === 'RUNNING') Object.assign(record, { status: 'ABORTED', stopDate: Date.now() });
        this.executions.set(record.executionArn, record);
      }
    }
  }

  register(stateMachineArn: string, registration: StateMachineRegistration): void {
    this.machines.set(stateMachineArn, registration);
  }

  onStatusChange(listener: (execution: ExecutionRecord) => void): void {
    this.statusListeners.push(listener);
  }

  onStateEntered(listener: (execution: ExecutionRecord, state: string) => void): void {
    this.stateListeners.push(listener);
  }

  private persist(): void {
    if (this.historyFile) writeFileSync(this.historyFile, JSON.stringify([...this.executions.values()], null, 1));
  }

  /** StartExecution: a duplicate name with the same input returns the existing execution, as AWS does. */
  start(request: { stateMachineArn?: unknown; name?: unknown; input?: unknown }): {
    executionArn: string;
    startDate: number;
  } {
    const stateMachineArn = String(request.stateMachineArn ?? '');
    const machine = this.machines.get(stateMachineArn);
    if (!machine)
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const name = typeof request.name === 'string' && request.name ? request.name : randomUUID();
    const input = typeof request.input === 'string' ? request.input : '{}';
    // The API's length constraint on `input` (UTF-8 bytes), checked before anything else about the execution.
    if (Buffer.byteLength(input, 'utf8') > STATES_PAYLOAD_LIMIT_BYTES) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${STATES_PAYLOAD_LIMIT_BYTES}`,
      );
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.input === input) return { executionArn, startDate: existing.startDate / 1000 };
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: Date.now(),
      input,
      path: [],
    };
    this.executions.set(executionArn, record);
    this.persist();
    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        StartTime: new Date(record.startDate).toISOString(),
        Input: parsedInput,
        RoleArn: 'local',
      },
      StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').pop() },
    };
    const run = runStateMachine(
      machine.definition,
      parsedInput,
      machine.handlers,
      (state) => {
        record.path.push(state);
        for (const listener of this.stateListeners) listener(record, state);
      },
      context,
    )
      .catch(
        (error: Error): ExecutionResult => ({
          status: 'FAILED',
          error: error.name,
          cause: error.message,
          path: record.path,
        }),
      )
      .then((result) => {
        Object.assign(record, {
          status: result.status,
          stopDate: Date.now(),
          ...(result.output !== undefined ? { output: JSON.stringify(result.output) } : {}),
          ...(result.error !== undefined ? { error: result.error, cause: result.cause } : {}),
        });
        this.persist();
        for (const listener of this.statusListeners) listener(record);
      });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return { executionArn, startDate: record.startDate / 1000 };
  }

  list(request: { stateMachineArn?: unknown; statusFilter?: unknown; maxResults?: unknown }) {
    const executions = [...this.executions.values()]
      .filter(
        (e) =>
          e.stateMachineArn === request.stateMachineArn && (!request.statusFilter || e.status === request.statusFilter),
      )
      .sort((a, b) => b.startDate - a.startDate)
      .slice(0, typeof request.maxResults === 'number' && request.maxResults > 0 ? request.maxResults : 100);
    return {
      executions: executions.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate / 1000,
        ...(e.stopDate ? { stopDate: e.stopDate / 1000 } : {}),
      })),
    };
  }

  describe(request: { executionArn?: unknown }) {
    const execution = this.executions.get(String(request.executionArn ?? ''));
    if (!execution)
      throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${request.executionArn}'`);
    const { path: _path, ...rest } = execution;
    return { ...rest, startDate: rest.startDate / 1000, ...(rest.stopDate ? { stopDate: rest.stopDate / 1000 } : {}) };
  }

  /** Every execution, newest first (for the platform's own status output). */
  all(): ExecutionRecord[] {
    return [...this.executions.values()].sort((a, b) => b.startDate - a.startDate);
  }

  /** Resolves when no execution is running (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** The API operations, for startAwsEndpoint. */
  get api(): Record<string, (input: Record<string, unknown>) => Promise<unknown>> {
    return {
      StartExecution: async (input) => this.start(input),
      ListExecutions: async (input) => this.list(input),
      DescribeExecution: async (input) => this.describe(input),
    };
  }
}
