import { BatchingQueue, type SqsRecord } from '../../local/event-queue';

describe('BatchingQueue', () => {
  it('delivers a burst within the batching window as one SQS event', async () => {
    // Given a queue with a 50 ms window
    const batches: SqsRecord[][] = [];
    const queue = new BatchingQueue({
      batchingWindowMs: 50,
      deliver: async (event) => void batches.push(event.Records),
    });
    // When 50 uploads arrive at once
    for (let i = 0; i < 50; i++) queue.send({ key: `churn/${i}.csv` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await queue.drain();
    // Then the function sees them in one batch, as SQS records
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(50);
    expect(batches[0][0]).toMatchObject({ eventSource: 'aws:sqs', attributes: { ApproximateReceiveCount: '1' } });
    expect(JSON.parse(batches[0][49].body)).toEqual({ key: 'churn/49.csv' });
    queue.close();
  });

  it('redelivers only the records reported as failed, then dead-letters them', async () => {
    const receives: string[] = [];
    const dead: string[] = [];
    const queue = new BatchingQueue({
      batchingWindowMs: 1,
      visibilityTimeoutMs: 5,
      maxReceives: 2,
      deliver: async ({ Records }) => {
        receives.push(...Records.map((r) => r.body));
        return {
          batchItemFailures: Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })),
        };
      },
      onDeadLetter: (record) => dead.push(record.body),
    });
    queue.send('good');
    queue.send('bad');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await queue.drain();
    expect(receives).toEqual(['good', 'bad', 'bad']);
    expect(dead).toEqual(['bad']);
    queue.close();
  });
});
