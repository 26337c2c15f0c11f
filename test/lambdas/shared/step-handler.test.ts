import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { MAX_STEP_ERROR_MESSAGE, WorkflowConfigError } from '../../../lambdas/shared/step-errors';
import { createStepHandler } from '../../../lambdas/shared/step-handler';

const context = { awsRequestId: 'req-1', functionName: 'fn' } as Context;

function recordingLogger() {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const errors: Array<Record<string, unknown>> = [];
  logger.error = ((message: string, extra: Record<string, unknown>) => {
    errors.push({ message, ...extra });
  }) as typeof logger.error;
  return { logger, errors };
}

function stepThatThrows(error: Error, logger: Logger) {
  return createStepHandler({
    step: 'evaluate-model',
    schema: z.object({ model: z.string() }),
    logger,
    run: async () => {
      throw error;
    },
  });
}

describe('createStepHandler', () => {
  it("logs a failed step once with the error's name and hands the same error on", async () => {
    // given a step whose logic throws a config error
    const { logger, errors } = recordingLogger();
    const thrown = new WorkflowConfigError('gate metric f1 is not measured');
    // when invoked, then Step Functions receives that error and the log names it once
    await expect(stepThatThrows(thrown, logger)({ model: 'churn' }, context)).rejects.toBe(thrown);
    expect(errors).toEqual([
      expect.objectContaining({ message: 'evaluate-model failed', errorName: 'WorkflowConfigError' }),
    ]);
  });

  it('clips a long error message before it becomes the state machine Cause', async () => {
    // given a step that fails with a message far over the limit
    const { logger } = recordingLogger();
    const handler = stepThatThrows(new Error('x'.repeat(50_000)), logger);
    // when invoked, then the message handed on is clipped and says how long it was
    const error = (await handler({ model: 'churn' }, context).catch((caught: Error) => caught)) as Error;
    expect(error.message.length).toBeLessThan(MAX_STEP_ERROR_MESSAGE + 100);
    expect(error.message).toMatch(/50000 characters; the function's log has all\)$/);
  });

  it('rejects an event that does not match the contract as a StepInputError naming the field', async () => {
    const { logger } = recordingLogger();
    const handler = stepThatThrows(new Error('not reached'), logger);
    await expect(handler({ model: 7 }, context)).rejects.toMatchObject({
      name: 'StepInputError',
      message: expect.stringMatching(/evaluate-model received an event .*model:/),
    });
  });
});
