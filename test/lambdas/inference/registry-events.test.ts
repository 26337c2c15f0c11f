import type { AliasRecord } from '../../../core/registry/records';
import { isRegistryEvent, movesProduction } from '../../../lambdas/inference/registry-events';

/** An alias record as the registry stores and publishes it. */
const aliasRecord = (model: string, alias: string): AliasRecord => ({
  model,
  alias,
  version: 3,
  previousVersion: 2,
  sequence: 3,
  movedAt: '2026-11-29T10:00:00.000Z',
  kind: 'promote',
  runId: 'run-3',
});

const event = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  source: 'mlops.registry',
  'detail-type': detailType,
  detail,
});

describe('registry events at the inference function', () => {
  it('recognises a production move of its own model', () => {
    const moved = event('ModelAliasMoved', aliasRecord('churn', 'production'));
    expect(isRegistryEvent(moved)).toBe(true);
    expect(movesProduction(moved as never, 'churn')).toBe(true);
  });

  it('ignores other models, other aliases and other registry events', () => {
    expect(movesProduction(event('ModelAliasMoved', aliasRecord('fraud', 'production')) as never, 'churn')).toBe(false);
    expect(movesProduction(event('ModelAliasMoved', aliasRecord('churn', 'staging')) as never, 'churn')).toBe(false);
    expect(movesProduction(event('ModelVersionRegistered', { model: 'churn' }) as never, 'churn')).toBe(false);
  });

  it('refuses an alias move whose detail is not an alias record, naming the detail', () => {
    const broken = event('ModelAliasMoved', { model: 'churn', alias: 'production' });
    expect(() => movesProduction(broken as never, 'churn')).toThrow(
      /ModelAliasMoved event with detail \{"model":"churn","alias":"production"\} does not match the alias record.*version/,
    );
  });

  it('does not mistake a Function URL request for a registry event', () => {
    expect(isRegistryEvent({ version: '2.0', rawPath: '/predict', requestContext: {} })).toBe(false);
    expect(isRegistryEvent(null)).toBe(false);
    expect(isRegistryEvent({ source: 'mlops.registry', 'detail-type': 'X', detail: null })).toBe(false);
  });
});
