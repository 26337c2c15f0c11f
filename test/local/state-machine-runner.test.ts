import {
  DATA_LIMIT_EXCEEDED,
  runStateMachine,
  STATES_PAYLOAD_LIMIT_BYTES,
  taskStateNames,
} from '../../local/state-machine-runner';

const definition = {
  StartAt: 'Validate',
  States: {
    Validate: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { 'Payload.$': '$' },
      ResultSelector: { 'ok.$': '$.Payload.ok' },
      ResultPath: '$.validation',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }],
      Next: 'Decide',
    },
    Decide: {
      Type: 'Choice',
      Choices: [{ Variable: '$.validation.ok', BooleanEquals: true, Next: 'Done' }],
      Default: 'RecordFailure',
    },
    RecordFailure: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { 'Payload.$': '$' },
      ResultPath: null,
      Next: 'Failed',
    },
    Failed: { Type: 'Fail', Error: 'RetrainingFailed', Cause: 'see the run record' },
    Done: { Type: 'Succeed' },
  },
};

describe('runStateMachine', () => {
  it('runs Task states through local handlers with the Lambda service envelope', async () => {
    const result = await runStateMachine(
      definition,
      { model: 'churn' },
      {
        Validate: async () => ({ Payload: { ok: true }, StatusCode: 200 }),
        RecordFailure: async () => ({}),
      },
    );
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { model: 'churn', validation: { ok: true } } });
    expect(result.path).toEqual(['Validate', 'Decide', 'Done']);
  });

  it('routes a thrown error to the Catch with its name and message', async () => {
    const seen: unknown[] = [];
    const result = await runStateMachine(
      definition,
      {},
      {
        Validate: async () => {
          const error = new Error('{"errorMessage":"empty file"}');
          error.name = 'DataError';
          throw error;
        },
        RecordFailure: async (input) => {
          seen.push(input);
          return {};
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'RetrainingFailed', cause: 'see the run record' });
    expect(seen).toEqual([{ Payload: { error: { Error: 'DataError', Cause: '{"errorMessage":"empty file"}' } } }]);
  });

  it('refuses to start when a Task state has no local handler', async () => {
    expect(taskStateNames(definition)).toEqual(['Validate', 'RecordFailure']);
    await expect(runStateMachine(definition, {}, { Validate: async () => ({}) })).rejects.toThrow(
      'no local handler for Task state(s): RecordFailure',
    );
  });
});

describe('runStateMachine payload limit (256 KiB)', () => {
  const overLimit = 'x'.repeat(STATES_PAYLOAD_LIMIT_BYTES);

  it('fails with States.DataLimitExceeded past a States.ALL Catch when a task result is over the limit', async () => {
    let recordFailureRan = false;
    const result = await runStateMachine(
      definition,
      {},
      {
        Validate: async () => ({ Payload: { ok: true, names: overLimit }, StatusCode: 200 }),
        RecordFailure: async () => {
          recordFailureRan = true;
          return {};
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: DATA_LIMIT_EXCEEDED });
    expect(result.cause).toContain("'Validate' returned a result with a size exceeding");
    expect(recordFailureRan).toBe(false);
  });

  it('fails with States.DataLimitExceeded when a state output grows over the limit', async () => {
    let recordFailureRan = false;
    const chained = {
      StartAt: 'Grow',
      States: {
        Grow: { Type: 'Pass', Result: overLimit, ResultPath: '$.big', Next: 'RecordFailure' },
        RecordFailure: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { 'Payload.$': '$' },
          End: true,
        },
      },
    };
    const result = await runStateMachine(
      chained as never,
      {},
      {
        RecordFailure: async () => {
          recordFailureRan = true;
          return {};
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: DATA_LIMIT_EXCEEDED });
    expect(result.cause).toContain("'Grow' has an output exceeding");
    expect(recordFailureRan).toBe(false);
  });

  it('fails with States.DataLimitExceeded when the execution input is over the limit', async () => {
    const result = await runStateMachine(
      definition,
      { big: overLimit },
      { Validate: async () => ({ Payload: { ok: true }, StatusCode: 200 }), RecordFailure: async () => ({}) },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: DATA_LIMIT_EXCEEDED, path: [] });
  });

  it('accepts a task result just under the limit', async () => {
    const payload = { Payload: { ok: true }, StatusCode: 200 };
    const filler = 'x'.repeat(STATES_PAYLOAD_LIMIT_BYTES - JSON.stringify({ ...payload, f: '' }).length - 200);
    const result = await runStateMachine(
      definition,
      {},
      { Validate: async () => ({ ...payload, f: filler }), RecordFailure: async () => ({}) },
    );
    expect(result.status).toBe('SUCCEEDED');
  });
});
