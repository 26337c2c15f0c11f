import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Execution {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
}

/**
 * A loopback stand-in for the two Step Functions calls the trigger makes (AWS JSON 1.0), with
 * the service's naming rule: a name is unique per state machine; the same name and input while
 * running returns the execution, anything else is ExecutionAlreadyExists.
 */
export class StepFunctionsStandIn {
  readonly executions = new Map<string, Execution>();
  readonly calls: string[] = [];
  /** Operations listed here fail with a 500 (ServiceException). */
  readonly failing = new Set<string>();
  private server?: Server;
  endpoint = '';

  constructor(private readonly pageSize = 100) {}

  async start(): Promise<void> {
    this.server = createServer((request, reply) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const operation = String(request.headers['x-amz-target']).replace('AWSStepFunctions.', '');
        this.calls.push(operation);
        const [status, payload] = this.failing.has(operation)
          ? [500, { __type: 'ServiceException', message: 'stand-in failure' }]
          : this.answer(operation, JSON.parse(body || '{}'));
        reply.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  finish(executionArn: string): void {
    const execution = [...this.executions.values()].find((candidate) => candidate.executionArn === executionArn);
    if (!execution) throw new Error(`no execution ${executionArn}`);
    execution.status = 'SUCCEEDED';
  }

  private answer(operation: string, request: Record<string, unknown>): [number, object] {
    const machine = String(request.stateMachineArn);
    if (operation === 'StartExecution') {
      const name = String(request.name);
      const input = String(request.input);
      const key = `${machine}/${name}`;
      const existing = this.executions.get(key);
      if (existing && !(existing.status === 'RUNNING' && existing.input === input)) {
        return [
          400,
          { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${existing.executionArn}'` },
        ];
      }
      const executionArn = `${machine.replace(':stateMachine:', ':execution:')}:${name}`;
      if (!existing) this.executions.set(key, { executionArn, name, input, status: 'RUNNING' });
      return [200, { executionArn, startDate: Date.now() / 1000 }];
    }
    if (operation === 'ListExecutions') {
      const matching = [...this.executions.entries()]
        .filter(([key, execution]) => key.startsWith(`${machine}/`) && execution.status === request.statusFilter)
        .map(([, execution]) => execution);
      const from = Number(request.nextToken ?? 0);
      const page = matching.slice(from, from + this.pageSize);
      const next = from + this.pageSize < matching.length ? String(from + this.pageSize) : undefined;
      return [
        200,
        {
          executions: page.map((execution) => ({
            executionArn: execution.executionArn,
            stateMachineArn: machine,
            name: execution.name,
            status: execution.status,
            startDate: Date.now() / 1000,
          })),
          ...(next ? { nextToken: next } : {}),
        },
      ];
    }
    return [400, { __type: 'UnknownOperationException', message: operation }];
  }
}
