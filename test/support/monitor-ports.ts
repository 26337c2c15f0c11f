import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { ExecutionInput } from '../../core/workflow/contract';

/** What a monitor (drift, quality) asked of SNS, Step Functions and CloudWatch, recorded by its ports. */
export interface MonitorRecorders<Alert, MetricEntry> {
  readonly alerts: Alert[];
  readonly starts: Array<{ name: string; input: ExecutionInput }>;
  readonly metrics: MetricEntry[][];
  readonly ports: {
    publishAlert(alert: Alert): Promise<void>;
    publishMetrics(list: readonly MetricEntry[]): void;
    startRetrain(name: string, input: ExecutionInput): Promise<{ executionArn: string }>;
  };
}

/** Step Functions semantics for names: a name already used starts nothing new and answers the same ARN. */
export function monitorRecorders<Alert, MetricEntry>(
  options: { failStart?: () => boolean } = {},
): MonitorRecorders<Alert, MetricEntry> {
  const alerts: Alert[] = [];
  const starts: Array<{ name: string; input: ExecutionInput }> = [];
  const metrics: MetricEntry[][] = [];
  const names = new Set<string>();
  return {
    alerts,
    starts,
    metrics,
    ports: {
      publishAlert: async (alert) => {
        alerts.push(alert);
      },
      publishMetrics: (list) => {
        metrics.push([...list]);
      },
      startRetrain: async (name, input) => {
        if (options.failStart?.()) throw new Error('ServiceUnavailable: Step Functions is down');
        if (!names.has(name)) {
          names.add(name);
          starts.push({ name, input });
        }
        return { executionArn: `arn:aws:states:us-east-1:000000000000:execution:churn-retraining:${name}` };
      },
    },
  };
}

/** A real SDK client whose `send` records each command and answers with `answer(input)`. */
export function recordingClient<C extends SNSClient | SFNClient>(
  client: C,
  answer: (input: Record<string, unknown>) => unknown,
): Array<{ command: string; input: Record<string, unknown> }> {
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  client.send = (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push({ command: command.constructor.name, input: command.input });
    return answer(command.input);
  }) as unknown as C['send'];
  return sent;
}

export type EmfDocument = Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<Record<string, unknown>> } };

/** Runs `invoke` and collects the EMF documents Powertools writes to stdout meanwhile. */
export async function capturingEmf<R>(invoke: () => Promise<R>): Promise<{ result: R; emf: EmfDocument[] }> {
  const emf: EmfDocument[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.includes('"_aws"')) emf.push(JSON.parse(line));
    return true;
  });
  try {
    return { result: await invoke(), emf };
  } finally {
    write.mockRestore();
  }
}
