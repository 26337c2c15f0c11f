import {
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';

/**
 * The retrain trigger's view of Step Functions: one state machine per model, started with a
 * deterministic execution name and listed for RUNNING executions. (AWS_ENDPOINT_URL_SFN, the
 * SDK's own variable, points the client at a local stand-in.)
 */
export class StepFunctionsExecutions {
  constructor(
    private readonly client: SFNClient,
    /** Model name -> ARN of its retraining state machine. */
    private readonly stateMachines: Readonly<Record<string, string>>,
  ) {}

  /**
   * Starts the model's state machine. The name is derived from the events that caused the start,
   * so a redelivered batch asks for the same name again: Step Functions answers
   * ExecutionAlreadyExists once that execution has ended (or when the input differs), and the
   * start counts as done, returning that execution's ARN.
   */
  async startExecution(model: string, name: string, input: unknown): Promise<{ executionArn: string }> {
    const stateMachineArn = this.stateMachineOf(model);
    try {
      const response = await this.client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: response.executionArn ?? executionArnFor(stateMachineArn, name) };
    } catch (error) {
      if (
        error instanceof ExecutionAlreadyExists ||
        (error as { name?: string } | null)?.name === 'ExecutionAlreadyExists'
      ) {
        return { executionArn: executionArnFor(stateMachineArn, name) };
      }
      throw error;
    }
  }

  /** ARNs of the model's RUNNING executions, every page. */
  async listRunningExecutions(model: string): Promise<string[]> {
    const stateMachineArn = this.stateMachineOf(model);
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
      );
      for (const execution of page.executions ?? []) {
        if (execution.executionArn) arns.push(execution.executionArn);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  private stateMachineOf(model: string): string {
    const arn = this.stateMachines[model];
    if (!arn) {
      const known = Object.keys(this.stateMachines);
      throw new Error(
        `no retraining state machine for model ${model}; the trigger knows ${known.length ? known.join(', ') : 'no models'} (MLOPS_STATE_MACHINES)`,
      );
    }
    return arn;
  }
}

/** arn:aws:states:<region>:<account>:stateMachine:<machine> -> ...:execution:<machine>:<name> */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const marker = ':stateMachine:';
  const index = stateMachineArn.indexOf(marker);
  if (index < 0) throw new Error(`${stateMachineArn} is not a state machine ARN (it has no "${marker}")`);
  return `${stateMachineArn.slice(0, index)}:execution:${stateMachineArn.slice(index + marker.length)}:${name}`;
}
