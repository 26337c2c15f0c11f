import { STATES_PAYLOAD_LIMIT_BYTES } from '../../local/state-machine-runner';
import { LocalStepFunctions } from '../../local/step-functions';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:m';

function service(): LocalStepFunctions {
  const sfn = new LocalStepFunctions();
  sfn.register(ARN, { definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }, handlers: {} });
  return sfn;
}

describe('LocalStepFunctions.start', () => {
  it('rejects an input over 262,144 UTF-8 bytes with the ValidationException AWS returns', () => {
    // 'é' is two bytes in UTF-8: under the limit in characters, over it in bytes.
    const input = JSON.stringify({ text: 'é'.repeat(STATES_PAYLOAD_LIMIT_BYTES / 2) });
    expect(() => service().start({ stateMachineArn: ARN, name: 'big', input })).toThrow(
      expect.objectContaining({
        name: 'ValidationException',
        message: expect.stringContaining("Value at 'input' failed to satisfy constraint"),
      }),
    );
  });

  it('starts an execution whose input is at the limit', async () => {
    const sfn = service();
    const input = JSON.stringify({ text: 'x'.repeat(STATES_PAYLOAD_LIMIT_BYTES - 11) });
    expect(Buffer.byteLength(input)).toBe(STATES_PAYLOAD_LIMIT_BYTES);
    const { executionArn } = sfn.start({ stateMachineArn: ARN, name: 'fits', input });
    await sfn.idle();
    expect(sfn.describe({ executionArn }).status).toBe('SUCCEEDED');
  });
});
