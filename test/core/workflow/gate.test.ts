import { decideGate } from '../../../core/workflow/gate';

describe('promotion gate', () => {
  const aucRule = { metric: 'auc' as const, minGain: 0.005, floor: 0.6 };

  it('promotes a candidate that beats the champion by at least the margin', () => {
    expect(decideGate(aucRule, 0.81, 0.8)).toMatchObject({ decision: 'promote', requiredGain: 0.005 });
  });

  it('rejects a candidate whose gain is below the margin and says by how much', () => {
    const decision = decideGate(aucRule, 0.802, 0.8);
    expect(decision.decision).toBe('reject');
    expect(decision.reason).toBe('candidate auc 0.8020 vs champion 0.8000: gain of 0.0020, below the required 0.0050');
  });

  it('rejects a worse candidate', () => {
    expect(decideGate(aucRule, 0.7, 0.8).reason).toContain('loss of 0.1000');
  });

  it('holds a first model to the floor', () => {
    expect(decideGate(aucRule, 0.65, null).decision).toBe('promote');
    expect(decideGate(aucRule, 0.55, null)).toMatchObject({
      decision: 'reject',
      reason: 'first model: auc 0.5500 misses the floor of 0.6000',
    });
  });

  it('treats lower RMSE as better', () => {
    const rmseRule = { metric: 'rmse' as const, minGain: 0.1, floor: 5 };
    expect(decideGate(rmseRule, 2.0, 2.5).decision).toBe('promote');
    expect(decideGate(rmseRule, 2.45, 2.5).decision).toBe('reject');
    expect(decideGate(rmseRule, 6, null).decision).toBe('reject');
  });

  it('never promotes a candidate whose metric is not a number', () => {
    expect(decideGate(aucRule, Number.NaN, null).decision).toBe('reject');
  });
});
