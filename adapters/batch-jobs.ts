import { type BatchClient, DescribeJobDefinitionsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';

/** Submitting the model's AWS Batch scoring job (what `mlops score submit` does). */

/** AWS Batch array jobs have at most this many children. */
export const MAX_ARRAY_SIZE = 10000;

export interface SubmitScoringOptions {
  readonly model: string;
  readonly jobQueue: string;
  readonly jobDefinition: string;
  /** @default - the job definition's default: the model's score/input/ prefix in the curated zone */
  readonly input?: string;
  /** @default - the job definition's default: the model's score/output/ prefix */
  readonly out?: string;
  /** Array children (1 to MAX_ARRAY_SIZE); 1 submits a plain job. @default - the job definition's default `shards` parameter (config batchScoring.shards), read with DescribeJobDefinitions */
  readonly shards?: number;
  readonly now?: () => Date;
}

/** Submits the model's scoring job; parameters left out keep the job definition's defaults. */
export async function submitScoringJob(
  client: Pick<BatchClient, 'send'>,
  options: SubmitScoringOptions,
): Promise<{ jobId: string; jobName: string }> {
  const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const jobName = `score-${options.model}-${stamp}`;
  const parameters: Record<string, string> = {};
  if (options.input) parameters.input = options.input;
  if (options.out) parameters.out = options.out;
  // The job reads its shard count from the `shards` parameter, but the array size is the submission's:
  // without --shards, an array as large as the definition's default, or each child would score shard 0 only.
  const shards = options.shards ?? (await defaultShards(client, options.jobDefinition));
  parameters.shards = String(shards);
  const response = await client.send(
    new SubmitJobCommand({
      jobName,
      jobQueue: options.jobQueue,
      jobDefinition: options.jobDefinition,
      parameters,
      ...(shards > 1 ? { arrayProperties: { size: shards } } : {}),
    }),
  );
  return { jobId: response.jobId ?? '', jobName: response.jobName ?? jobName };
}

/** The job definition's default `shards` parameter (the config's batchScoring.shards); 1 when it has none. */
async function defaultShards(client: Pick<BatchClient, 'send'>, jobDefinition: string): Promise<number> {
  const response = await client.send(new DescribeJobDefinitionsCommand({ jobDefinitions: [jobDefinition] }));
  const definitions = response.jobDefinitions ?? [];
  if (definitions.length === 0) throw new Error(`job definition ${jobDefinition} not found`);
  // A name without a revision lists every active revision: the newest decides.
  const newest = definitions.reduce((a, b) => ((b.revision ?? 0) > (a.revision ?? 0) ? b : a));
  const value = Number(newest.parameters?.shards ?? '1');
  if (!Number.isInteger(value) || value < 1 || value > MAX_ARRAY_SIZE) {
    throw new Error(
      `job definition ${jobDefinition} has shards parameter "${newest.parameters?.shards}", not 1 to ${MAX_ARRAY_SIZE}`,
    );
  }
  return value;
}

export interface SubmitBackfillOptions {
  readonly view: string;
  readonly jobQueue: string;
  /** The feature store's backfill job definition (stack output FeatureBackfillJobDefinition). */
  readonly jobDefinition: string;
  /** Array children (1 to MAX_ARRAY_SIZE); child i materializes files i, i+n, ... of the view; 1 submits a plain job. */
  readonly shards: number;
  readonly now?: () => Date;
}

/** Submits the backfill of one feature view (`mlops features materialize <view>` on AWS). */
export async function submitFeatureBackfill(
  client: Pick<BatchClient, 'send'>,
  options: SubmitBackfillOptions,
): Promise<{ jobId: string; jobName: string }> {
  if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > MAX_ARRAY_SIZE) {
    throw new Error(`shards must be 1 to ${MAX_ARRAY_SIZE} (the AWS Batch array limit), received ${options.shards}`);
  }
  const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const jobName = `materialize-${options.view}-${stamp}`;
  const response = await client.send(
    new SubmitJobCommand({
      jobName,
      jobQueue: options.jobQueue,
      jobDefinition: options.jobDefinition,
      // The children read their count from the parameter; the array size is the submission's.
      parameters: { view: options.view, shards: String(options.shards) },
      ...(options.shards > 1 ? { arrayProperties: { size: options.shards } } : {}),
    }),
  );
  return { jobId: response.jobId ?? '', jobName: response.jobName ?? jobName };
}
