import type { Lineage } from '../../../core/registry/records';

export function lineageFor(runId: string, metrics: Record<string, number> = { auc: 0.8 }): Lineage {
  return {
    runId,
    dataSha256: 'a'.repeat(64),
    dataKey: 'churn/customers.csv',
    snapshotKey: `churn/snapshots/${'a'.repeat(64)}.csv`,
    codeVersion: '0.1.0',
    parameters: { trees: 50 },
    metrics,
    schema: { target: 'churned', rowCount: 100, columns: [{ name: 'tenure', type: 'numeric', role: 'feature' }] },
  };
}

/** A clock that advances one second per reading, so every write has a distinct time. */
export function steppingClock(start = Date.parse('2026-01-01T00:00:00Z')): () => Date {
  let now = start;
  return () => {
    const current = new Date(now);
    now += 1000;
    return current;
  };
}
