import { createEventRouter, executionStatusEvent, objectCreatedEvent } from '../../local/event-routing';

describe('objectCreatedEvent', () => {
  it('marks a multipart upload as CompleteMultipartUpload and strips the quotes of the etag', () => {
    const event = objectCreatedEvent({
      bucket: 'raw',
      key: 'churn/a.csv',
      etag: '"abc"',
      eventName: 'ObjectCreated:Post',
    });

    expect(event).toMatchObject({
      'detail-type': 'Object Created',
      source: 'aws.s3',
      resources: ['arn:aws:s3:::raw'],
      detail: { bucket: { name: 'raw' }, object: { key: 'churn/a.csv', size: 0, etag: 'abc' } },
    });
    expect(event.detail.reason).toBe('CompleteMultipartUpload');
  });

  it('marks a plain put as PutObject', () => {
    const event = objectCreatedEvent({ bucket: 'raw', key: 'churn/a.csv', size: 3, eventName: 'ObjectCreated:Put' });

    expect(event.detail.reason).toBe('PutObject');
  });
});

describe('executionStatusEvent', () => {
  it('carries the execution with null for an execution that has not stopped', () => {
    const event = executionStatusEvent({
      executionArn: 'arn:exec',
      stateMachineArn: 'arn:sm',
      name: 'run-1',
      status: 'RUNNING',
      startDate: 1,
      input: '{}',
      path: [],
    });

    expect(event.detail).toEqual({
      executionArn: 'arn:exec',
      stateMachineArn: 'arn:sm',
      name: 'run-1',
      status: 'RUNNING',
      startDate: 1,
      stopDate: null,
      input: '{}',
      output: null,
    });
  });
});

describe('createEventRouter', () => {
  const record = (alias: string) => ({
    model: 'churn',
    alias,
    version: 2,
    previousVersion: 1,
    sequence: 2,
    movedAt: '2026-12-01T00:00:00.000Z',
    kind: 'promote' as const,
  });
  const moved = (alias: string) => ({
    Source: 'mlops.registry',
    DetailType: 'ModelAliasMoved',
    Detail: JSON.stringify(record(alias)),
  });

  it('sends a production move to the model endpoint and nothing else', async () => {
    const invoked: unknown[] = [];
    const route = createEventRouter(
      (model) => (model === 'churn' ? { invoke: async (event) => invoked.push(event) } : undefined),
      () => undefined,
    );

    route(moved('production'));
    route(moved('staging'));
    route({ Source: 'aws.s3', DetailType: 'Object Created', Detail: '{}' });
    await Promise.resolve();

    expect(invoked).toEqual([
      expect.objectContaining({ 'detail-type': 'ModelAliasMoved', detail: record('production') }),
    ]);
  });

  it('logs and drops an alias move whose detail is not an alias record', () => {
    const lines: string[] = [];
    const invoked: unknown[] = [];
    const route = createEventRouter(
      () => ({ invoke: async (event) => invoked.push(event) }),
      (line) => lines.push(line),
    );

    route({
      Source: 'mlops.registry',
      DetailType: 'ModelAliasMoved',
      Detail: '{"model":"churn","alias":"production"}',
    });

    expect(invoked).toEqual([]);
    expect(lines[0]).toMatch(/^event not routed: /);
  });
});
