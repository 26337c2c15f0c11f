/**
 * The errors the retraining-step functions throw: each `name` is the `Error` Step Functions'
 * Catch and Retry see (lib/retraining-workflow.ts retries neither StepInputError nor
 * WorkflowConfigError).
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

/** Each step function is deployed for one model; an event for another is a wiring mistake. */
export function assertSameModel(eventModel: string, configuredModel: string, step: string): void {
  if (eventModel !== configuredModel) {
    throw new StepInputError(
      `${step} is deployed for model ${configuredModel} but received an event for model ${eventModel}; ` +
        "start the model's own state machine",
    );
  }
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
