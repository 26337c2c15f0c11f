import {
  batchesOf,
  kinesisEventSourceMappings,
  kinesisFailureRecord,
  kinesisStreams,
  type PendingBatch,
  planAfterInvoke,
} from '../../../core/local/event-source-mapping';

/** The shape CDK synthesizes for lib/streaming-scoring.ts (trimmed to what the mapping reads). */
const template = {
  Resources: {
    Input: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2 } },
    Output: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2 } },
    DeadLetters: { Type: 'AWS::SQS::Queue', Properties: {} },
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] } } },
        EventSourceArn: { 'Fn::GetAtt': ['Input', 'Arn'] },
        FunctionName: { Ref: 'Fn' },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumBatchingWindowInSeconds: 5,
        MaximumRetryAttempts: 2,
        StartingPosition: 'LATEST',
      },
    },
    QueueMapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] }, FunctionName: { Ref: 'Fn' } },
    },
  },
};

const settings = { bisectOnFunctionError: true, maxRetryAttempts: 2, reportBatchItemFailures: true };
const batch = (sequenceNumbers: string[], attempts = 0): PendingBatch => ({ sequenceNumbers, attempts });

describe('reading the synthesized template', () => {
  it('reads every setting of a Kinesis mapping and ignores mappings of other sources', () => {
    expect(kinesisEventSourceMappings(template)).toEqual([
      {
        logicalId: 'Mapping',
        streamLogicalId: 'Input',
        functionLogicalId: 'Fn',
        batchSize: 100,
        maxBatchingWindowSeconds: 5,
        bisectOnFunctionError: true,
        maxRetryAttempts: 2,
        startingPosition: 'LATEST',
        reportBatchItemFailures: true,
        onFailure: { logicalId: 'DeadLetters', type: 'AWS::SQS::Queue' },
      },
    ]);
  });

  it("takes Lambda's defaults for the settings a mapping leaves out", () => {
    const bare = {
      Resources: {
        Input: template.Resources.Input,
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: { 'Fn::GetAtt': ['Input', 'Arn'] },
            FunctionName: { Ref: 'Fn' },
            StartingPosition: 'TRIM_HORIZON',
          },
        },
      },
    };
    const [mapping] = kinesisEventSourceMappings(bare);
    expect(mapping).toMatchObject({
      batchSize: 100,
      maxBatchingWindowSeconds: 0,
      bisectOnFunctionError: false,
      maxRetryAttempts: -1,
      reportBatchItemFailures: false,
    });
    expect(mapping!.onFailure).toBeUndefined();
  });

  it('refuses an on-failure destination that is neither a queue nor a topic, naming it', () => {
    const wrong = structuredClone(template);
    wrong.Resources.Mapping.Properties.DestinationConfig.OnFailure.Destination = { 'Fn::GetAtt': ['Output', 'Arn'] };
    expect(() => kinesisEventSourceMappings(wrong)).toThrow(/Output is a AWS::Kinesis::Stream/);
  });

  it('lists the streams with their shard counts', () => {
    expect(kinesisStreams(template)).toEqual([
      { logicalId: 'Input', shardCount: 2 },
      { logicalId: 'Output', shardCount: 2 },
    ]);
  });
});

describe('batching', () => {
  it('cuts fetched records into batches of the mapping size, in order', () => {
    expect(batchesOf(['1', '2', '3', '4', '5'], 2)).toEqual([batch(['1', '2']), batch(['3', '4']), batch(['5'])]);
  });
});

describe('after an invocation', () => {
  it('completes a batch the function handled without failures', () => {
    expect(planAfterInvoke(batch(['1', '2']), { kind: 'ok', batchItemFailures: [] }, settings)).toEqual({
      completed: ['1', '2'],
      retry: [],
    });
  });

  it('checkpoints before the lowest reported record and retries from it', () => {
    const plan = planAfterInvoke(
      batch(['1', '2', '3', '4']),
      { kind: 'ok', batchItemFailures: [{ itemIdentifier: '4' }, { itemIdentifier: '2' }] },
      settings,
    );
    expect(plan).toEqual({ completed: ['1'], retry: [batch(['2', '3', '4'], 1)] });
  });

  it('ignores reported failures when the mapping does not set ReportBatchItemFailures', () => {
    const plan = planAfterInvoke(
      batch(['1', '2']),
      { kind: 'ok', batchItemFailures: [{ itemIdentifier: '2' }] },
      { ...settings, reportBatchItemFailures: false },
    );
    expect(plan).toEqual({ completed: ['1', '2'], retry: [] });
  });

  it('treats a failure naming a record outside the batch as a failure of the whole batch', () => {
    const plan = planAfterInvoke(
      batch(['1', '2']),
      { kind: 'ok', batchItemFailures: [{ itemIdentifier: '9' }] },
      settings,
    );
    expect(plan.completed).toEqual([]);
    expect(plan.retry).toEqual([batch(['1'], 1), batch(['2'], 1)]);
  });

  it('bisects a batch on a function error, halves in order', () => {
    expect(planAfterInvoke(batch(['1', '2', '3'], 0), { kind: 'function-error' }, settings)).toEqual({
      completed: [],
      retry: [batch(['1', '2'], 1), batch(['3'], 1)],
    });
  });

  it('retries the whole batch on a function error when bisecting is off', () => {
    const plan = planAfterInvoke(
      batch(['1', '2']),
      { kind: 'function-error' },
      { ...settings, bisectOnFunctionError: false },
    );
    expect(plan.retry).toEqual([batch(['1', '2'], 1)]);
  });

  it('discards a batch once its retries are spent', () => {
    const plan = planAfterInvoke(batch(['7'], 2), { kind: 'function-error' }, settings);
    expect(plan).toEqual({ completed: [], retry: [], discarded: batch(['7'], 2) });
  });

  it('retries for ever when MaximumRetryAttempts is -1', () => {
    const plan = planAfterInvoke(batch(['7'], 500), { kind: 'function-error' }, { ...settings, maxRetryAttempts: -1 });
    expect(plan.retry).toEqual([batch(['7'], 501)]);
  });

  it('isolates one poison record among eight within the retry limit, delivering the others', () => {
    // Given a function that fails any batch holding record 5, when the plan is followed to the end
    const delivered: string[] = [];
    const discarded: string[][] = [];
    let invocations = 0;
    const queue = [batch(['1', '2', '3', '4', '5', '6', '7', '8'])];
    while (queue.length > 0) {
      const next = queue.shift()!;
      invocations++;
      const outcome = next.sequenceNumbers.includes('5')
        ? ({ kind: 'function-error' } as const)
        : ({ kind: 'ok' } as const);
      const plan = planAfterInvoke(next, outcome, { ...settings, maxRetryAttempts: 3 });
      delivered.push(...plan.completed);
      queue.unshift(...plan.retry);
      if (plan.discarded) discarded.push([...plan.discarded.sequenceNumbers]);
    }
    // then every other record is delivered once, in order, and record 5 alone is discarded
    expect(delivered).toEqual(['1', '2', '3', '4', '6', '7', '8']);
    expect(discarded).toEqual([['5']]);
    expect(invocations).toBe(7);
  });
});

describe('the on-failure record', () => {
  it('carries the batch positions and the invoke count, never the data', () => {
    const record = kinesisFailureRecord({
      requestId: 'r-1',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Fn',
      streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/Input',
      shardId: 'shardId-000000000000',
      discarded: batch(['11', '12'], 2),
      lastOutcome: { kind: 'function-error' },
      arrivals: [new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:01Z')],
      now: new Date('2026-01-01T00:00:02Z'),
    });
    expect(record.requestContext).toEqual({
      requestId: 'r-1',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Fn',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
    expect(record.responseContext.functionError).toBe('Unhandled');
    expect(record.KinesisBatchInfo).toEqual({
      shardId: 'shardId-000000000000',
      startSequenceNumber: '11',
      endSequenceNumber: '12',
      approximateArrivalOfFirstRecord: '2026-01-01T00:00:00.000Z',
      approximateArrivalOfLastRecord: '2026-01-01T00:00:01.000Z',
      batchSize: 2,
      streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/Input',
    });
  });
});
