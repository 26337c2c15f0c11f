/**
 * `mlops score submit`'s submission. AWS Batch has no local stand-in, so the client here is a
 * recording fake that answers DescribeJobDefinitions as Batch documents it.
 */
import { DescribeJobDefinitionsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { submitFeatureBackfill, submitScoringJob } from '../../adapters/batch-jobs';

function fakeBatch(definitions: Array<{ revision: number; parameters?: Record<string, string> }>) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      if (command instanceof DescribeJobDefinitionsCommand) return { jobDefinitions: definitions };
      if (command instanceof SubmitJobCommand) return { jobId: 'job-1', jobName: command.input.jobName };
      throw new Error('unexpected command');
    },
  };
  const submitted = () => sent.find((command) => command instanceof SubmitJobCommand) as SubmitJobCommand;
  return { client: client as never, sent, submitted };
}

const base = {
  model: 'churn',
  jobQueue: 'q',
  jobDefinition: 'churn-score',
  now: () => new Date('2026-12-07T10:00:00Z'),
};

describe('submitScoringJob', () => {
  it("without --shards, submits an array as large as the definition's newest default, so every shard runs", async () => {
    const batch = fakeBatch([
      { revision: 1, parameters: { shards: '2' } },
      { revision: 3, parameters: { shards: '4' } },
    ]);
    await submitScoringJob(batch.client, base);
    expect(batch.submitted().input).toMatchObject({ parameters: { shards: '4' }, arrayProperties: { size: 4 } });
  });

  it('with --shards, submits that many children and does not ask for the definition', async () => {
    const batch = fakeBatch([]);
    await submitScoringJob(batch.client, { ...base, shards: 3 });
    expect(batch.sent).toHaveLength(1);
    expect(batch.submitted().input).toMatchObject({ parameters: { shards: '3' }, arrayProperties: { size: 3 } });
  });

  it('one shard is a plain job, not an array', async () => {
    const batch = fakeBatch([{ revision: 1, parameters: {} }]);
    await submitScoringJob(batch.client, base);
    expect(batch.submitted().input.parameters).toEqual({ shards: '1' });
    expect(batch.submitted().input.arrayProperties).toBeUndefined();
  });

  it('names a definition that does not exist', async () => {
    await expect(submitScoringJob(fakeBatch([]).client, base)).rejects.toThrow('job definition churn-score not found');
  });
});

describe('submitFeatureBackfill', () => {
  const backfill = {
    view: 'customer',
    jobQueue: 'q',
    jobDefinition: 'backfill',
    now: () => new Date('2026-12-07T10:00:00Z'),
  };

  it('submits an array of `shards` children, the count also passed as the parameter the children read', async () => {
    const batch = fakeBatch([]);
    const job = await submitFeatureBackfill(batch.client, { ...backfill, shards: 8 });
    expect(batch.submitted().input).toEqual({
      jobName: 'materialize-customer-20261207T100000',
      jobQueue: 'q',
      jobDefinition: 'backfill',
      parameters: { view: 'customer', shards: '8' },
      arrayProperties: { size: 8 },
    });
    expect(job).toEqual({ jobId: 'job-1', jobName: 'materialize-customer-20261207T100000' });
  });

  it('one shard is a plain job', async () => {
    const batch = fakeBatch([]);
    await submitFeatureBackfill(batch.client, { ...backfill, shards: 1 });
    expect(batch.submitted().input.arrayProperties).toBeUndefined();
  });

  it('refuses more children than AWS Batch allows', async () => {
    await expect(submitFeatureBackfill(fakeBatch([]).client, { ...backfill, shards: 10001 })).rejects.toThrow(
      'shards must be 1 to 10000 (the AWS Batch array limit), received 10001',
    );
  });
});
