import { unwrapRunId } from '../../../lambdas/shared/step-handler';

describe('unwrapRunId', () => {
  it('lifts the execution name into the state as runId', () => {
    expect(unwrapRunId({ input: { model: 'churn', trigger: { kind: 'manual' } }, runId: 'exec-1' })).toEqual({
      model: 'churn',
      trigger: { kind: 'manual' },
      runId: 'exec-1',
    });
  });

  it('leaves any other event unchanged', () => {
    const event = { model: 'churn', input: 'x', runId: 'r' };
    expect(unwrapRunId(event)).toBe(event);
    expect(unwrapRunId(null)).toBeNull();
  });
});
