import { GATE_METRICS, type GateMetric } from './gate-metrics';

/**
 * The promotion gate: a candidate replaces the champion only if it is better by a margin on the
 * same held-out rows; a first model must clear a floor. Pure, so the rule is tested on its own.
 */
export interface GateRule {
  /** Any gate metric; its direction comes from gate-metrics.ts. */
  readonly metric: GateMetric;
  /** Required improvement over the champion, in the metric's units. */
  readonly minGain: number;
  /** Bar a first model must clear (at least, or at most for lower-is-better metrics). Absent: any first model passes. */
  readonly floor?: number;
}

export interface GateDecision {
  readonly decision: 'promote' | 'reject';
  readonly requiredGain: number;
  readonly reason: string;
}

export function decideGate(rule: GateRule, candidate: number, champion: number | null): GateDecision {
  const { higherIsBetter } = GATE_METRICS[rule.metric];
  const fmt = (value: number) => value.toFixed(4);
  if (!Number.isFinite(candidate)) {
    return { decision: 'reject', requiredGain: rule.minGain, reason: `candidate ${rule.metric} is not a number` };
  }
  if (champion === null) {
    if (rule.floor === undefined)
      return { decision: 'promote', requiredGain: 0, reason: 'first model: no champion and no floor' };
    const passes = higherIsBetter ? candidate >= rule.floor : candidate <= rule.floor;
    return {
      decision: passes ? 'promote' : 'reject',
      requiredGain: 0,
      reason: `first model: ${rule.metric} ${fmt(candidate)} ${passes ? 'clears' : 'misses'} the floor of ${fmt(rule.floor)}`,
    };
  }
  const gain = higherIsBetter ? candidate - champion : champion - candidate;
  const passes = gain >= rule.minGain;
  return {
    decision: passes ? 'promote' : 'reject',
    requiredGain: rule.minGain,
    reason:
      `candidate ${rule.metric} ${fmt(candidate)} vs champion ${fmt(champion)}: ` +
      `${gain >= 0 ? 'gain' : 'loss'} of ${fmt(Math.abs(gain))}, ${passes ? 'at least' : 'below'} the required ${fmt(rule.minGain)}`,
  };
}
