import { type BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';

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
  /** Array children (1 to MAX_ARRAY_SIZE); 1 submits a plain job. @default - the job definition's default (config batchScoring.shards) */
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
  if (options.shards !== undefined) parameters.shards = String(options.shards);
  const response = await client.send(
    new SubmitJobCommand({
      jobName,
      jobQueue: options.jobQueue,
      jobDefinition: options.jobDefinition,
      parameters,
      ...(options.shards !== undefined && options.shards > 1 ? { arrayProperties: { size: options.shards } } : {}),
    }),
  );
  return { jobId: response.jobId ?? '', jobName: response.jobName ?? jobName };
}
