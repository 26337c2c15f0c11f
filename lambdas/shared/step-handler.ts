import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { logContext, logFailures } from './observability';
import { clipError, StepInputError } from './step-errors';

/**
 * The handler shape of the four retraining-step functions (validate, evaluate, register,
 * record-failure): event parsing against the zod contract, context and failures in the logs.
 */

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

export interface StepHandlerOptions<S extends z.ZodType, O> {
  /** The function's kind, in messages. */
  readonly step: string;
  readonly schema: S;
  readonly logger: Logger;
  readonly run: (input: z.output<S>, context: Context) => Promise<O>;
}

/**
 * The thin handler: context in the logs, the event parsed with the contract, the logic function,
 * and every error logged with its name before it reaches Step Functions unchanged (but clipped).
 */
export function createStepHandler<S extends z.ZodType, O>(options: StepHandlerOptions<S, O>) {
  const { logger, step } = options;
  return middy<unknown, O>()
    .use(logContext<unknown, O>(logger))
    .use(logFailures<unknown, O>(logger, `${step} failed`, clipError))
    .handler(async (event: unknown, context: Context): Promise<O> => {
      const input = parseStepEvent(options.schema, event, step);
      const model = (input as { model?: unknown }).model;
      if (typeof model === 'string') logger.appendKeys({ model });
      return options.run(input, context);
    });
}
