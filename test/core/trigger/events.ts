let counter = 0;

export function objectCreated(key: string, time: string, bucket = 'raw'): unknown {
  counter += 1;
  return {
    version: '0',
    id: `s3-event-${counter}`,
    source: 'aws.s3',
    'detail-type': 'Object Created',
    time,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 10, sequencer: String(counter) },
      reason: 'PutObject',
    },
  };
}

export function executionFinished(model: string, executionArn: string, status = 'SUCCEEDED'): unknown {
  counter += 1;
  return {
    version: '0',
    id: `sfn-event-${counter}`,
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    time: '2026-01-01T01:00:00Z',
    detail: {
      executionArn,
      stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${model}`,
      status,
      input: JSON.stringify({ model, trigger: { kind: 'upload', objects: [] } }),
    },
  };
}

export const at = (second: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
