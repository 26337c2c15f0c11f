import { executionInputSchema, manualExecutionInput } from '../../../core/workflow/contract';

describe('manual execution input', () => {
  it('names the data key to train on when one is given', () => {
    const input = manualExecutionInput('churn', 'churn/2026-11.csv');
    expect(input).toEqual({ model: 'churn', trigger: { kind: 'manual', objects: [] }, dataKey: 'churn/2026-11.csv' });
    expect(executionInputSchema.parse(JSON.parse(JSON.stringify(input)))).toEqual(input);
  });

  it('leaves the data key out when none is given, so the newest data is used', () => {
    expect(manualExecutionInput('churn')).not.toHaveProperty('dataKey');
    expect(manualExecutionInput('churn', '')).not.toHaveProperty('dataKey');
  });
});
