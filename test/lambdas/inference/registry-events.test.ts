import { isRegistryEvent, movesProduction } from '../../../lambdas/inference/registry-events';

const event = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  source: 'mlops.registry',
  'detail-type': detailType,
  detail,
});

describe('registry events at the inference function', () => {
  it('recognises a production move of its own model', () => {
    const moved = event('ModelAliasMoved', { model: 'churn', alias: 'production', version: 3 });
    expect(isRegistryEvent(moved)).toBe(true);
    expect(movesProduction(moved as never, 'churn')).toBe(true);
  });

  it('ignores other models, other aliases and other registry events', () => {
    expect(movesProduction(event('ModelAliasMoved', { model: 'fraud', alias: 'production' }) as never, 'churn')).toBe(
      false,
    );
    expect(movesProduction(event('ModelAliasMoved', { model: 'churn', alias: 'staging' }) as never, 'churn')).toBe(
      false,
    );
    expect(movesProduction(event('ModelVersionRegistered', { model: 'churn' }) as never, 'churn')).toBe(false);
  });

  it('does not mistake a Function URL request for a registry event', () => {
    expect(isRegistryEvent({ version: '2.0', rawPath: '/predict', requestContext: {} })).toBe(false);
    expect(isRegistryEvent(null)).toBe(false);
    expect(isRegistryEvent({ source: 'mlops.registry', 'detail-type': 'X', detail: null })).toBe(false);
  });
});
