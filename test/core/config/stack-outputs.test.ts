import { endpointUrlOutputKey, outputKey } from '../../../core/config/stack-outputs';

describe('stack output names', () => {
  it('turns a model name into an alphanumeric output key', () => {
    expect(outputKey('churn-eu-2')).toBe('ChurnEu2');
    expect(endpointUrlOutputKey('churn')).toBe('ChurnEndpointUrl');
  });
});
