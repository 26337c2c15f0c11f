import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { ConfigError } from '../../core/config/parse';
import type { ObjectStore } from '../../core/storage/object-store';
import { candidateArtifactKey, ZONE_ENV, type Zone } from '../../core/workflow/layout';

/**
 * What the four retraining-step functions (validate, evaluate, register, record-failure) share:
 * typed errors whose `name` is the `Error` Step Functions' Catch sees, event parsing against the
 * zod contract, per-container configuration, and the middy handler shape.
 * (It sits beside the first step because lambdas/shared belongs to the HTTP side.)
 */

/** The event does not match the step's contract: a state machine wired differently from this code. */
export class StepInputError extends Error {
  override readonly name = 'StepInputError';
}

/** An object the step needs is absent (a candidate the trainer did not write, a deleted snapshot). */
export class MissingObjectError extends Error {
  override readonly name = 'MissingObjectError';
}

/** The model's configuration asks for something this step cannot do. */
export class WorkflowConfigError extends Error {
  override readonly name = 'WorkflowConfigError';
}

/** Run ids become S3 key segments, Batch environment values and (from the trigger) execution names. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

/** A sortable, readable run id: the start time to the second, then 8 random hex digits. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * The state machine sends Validate and RecordFailure `{ input: <state>, runId: <execution name> }`;
 * the step sees the state with `runId` added. Any other event passes through unchanged.
 */
export function unwrapRunId(event: unknown): unknown {
  if (typeof event !== 'object' || event === null) return event;
  const { input, runId, ...rest } = event as { input?: unknown; runId?: unknown };
  if (Object.keys(rest).length > 0 || typeof runId !== 'string' || typeof input !== 'object' || input === null)
    return event;
  return { ...input, runId };
}

/** Parses a step's event with its contract; the error lists every mismatch with its path. */
export function parseStepEvent<S extends z.ZodType>(schema: S, event: unknown, step: string): z.output<S> {
  const result = schema.safeParse(unwrapRunId(event));
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new StepInputError(
    `${step} received an event that does not match its contract (core/workflow/contract.ts): ${problems}`,
  );
}

/** The bucket of a zone from ZONE_ENV; fails fast naming the variable. */
export function zoneBucketFromEnv(zone: Zone, env: NodeJS.ProcessEnv = process.env): string {
  const name = ZONE_ENV[zone];
  const bucket = env[name]?.trim();
  if (!bucket) {
    throw new ConfigError(name, [
      { path: '', message: `is not set: the ${zone} zone's bucket name (the CDK app and the local platform set it)` },
    ]);
  }
  return bucket;
}

/** One ObjectStore per zone the step uses, all over one S3 client. */
export function zoneStoresFromEnv<Z extends Zone>(
  zones: readonly Z[],
  client: S3Client,
  env: NodeJS.ProcessEnv = process.env,
): Record<Z, ObjectStore> {
  const stores = {} as Record<Z, ObjectStore>;
  for (const zone of zones) stores[zone] = new S3ObjectStore(client, zoneBucketFromEnv(zone, env));
  return stores;
}

/**
 * Builds a value on first use and keeps it for the container's life. A failed build is not kept,
 * so a misconfiguration fails each invocation with its message instead of poisoning the container.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

export function stepLogger(defaultService: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultService });
}

export interface StepHandlerOptions<S extends z.ZodType, O> {
  /** The function's kind, in messages. */
  readonly step: string;
  readonly schema: S;
  readonly logger: Logger;
  readonly run: (input: z.output<S>, context: Context) => Promise<O>;
}

/**
 * The thin handler: context in the logs, the event parsed with the contract, the logic function,
 * and every error logged with its name before it reaches Step Functions unchanged.
 */
export function createStepHandler<S extends z.ZodType, O>(options: StepHandlerOptions<S, O>) {
  const { logger, step } = options;
  return middy<unknown, O>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const error = request.error as Error | null;
        logger.error(`${step} failed`, { errorName: error?.name, error: error ?? undefined });
        if (error) clipError(error);
      },
    })
    .handler(async (event: unknown, context: Context): Promise<O> => {
      const input = parseStepEvent(options.schema, event, step);
      const model = (input as { model?: unknown }).model;
      if (typeof model === 'string') logger.appendKeys({ model });
      return options.run(input, context);
    });
}

/** Each step function is deployed for one model; an event for another is a wiring mistake. */
export function assertSameModel(eventModel: string, configuredModel: string, step: string): void {
  if (eventModel !== configuredModel) {
    throw new StepInputError(
      `${step} is deployed for model ${configuredModel} but received an event for model ${eventModel}; ` +
        "start the model's own state machine",
    );
  }
}

/** A trainer output (TRAINER_OUTPUTS) of a run: the files sit beside the candidate artifact. */
export function trainerOutputKey(model: string, runId: string, file: string): string {
  const artifactKey = candidateArtifactKey(model, runId);
  return `${artifactKey.slice(0, artifactKey.lastIndexOf('/') + 1)}${file}`;
}

/** Longest error message a step hands to Step Functions (the whole log line keeps it in full). */
export const MAX_STEP_ERROR_MESSAGE = 2000;
const MAX_STACK_LINES = 12;

/**
 * The error becomes the Cause in the state (`$.error`), which every later state carries: a
 * message that lists 20,000 columns would push the state past Step Functions' 256 KB, an error
 * no Catch can handle. So the message and the stack are clipped before Lambda serializes them.
 */
export function clipError(error: Error): void {
  if (error.message.length > MAX_STEP_ERROR_MESSAGE) {
    const full = error.message.length;
    error.message = `${error.message.slice(0, MAX_STEP_ERROR_MESSAGE)}… (${full} characters; the function's log has all)`;
  }
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  error.stack = [`${error.name}: ${error.message}`, ...frames.slice(0, MAX_STACK_LINES)].join('\n');
}
