/**
 * A small seeded pseudo-random generator (mulberry32) for reproducible data sets, splits and
 * sampling. Not for cryptography. Same seed -> same sequence on every platform, because it
 * uses only 32-bit integer arithmetic.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (mean 0, standard deviation 1), by the Box-Muller transform. */
  normal(): number;
  /** A uniform integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number;
  /** One element, uniformly or with the given non-negative weights (same length as `items`). */
  pick<T>(items: readonly T[], weights?: readonly number[]): T;
}

/** Spreads nearby seeds (0, 1, 2 ...) over the 32-bit state space so their sequences differ from the start. */
function mixSeed(seed: number): number {
  let h = Math.trunc(seed) ^ 0x9e3779b9;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number; received ${seed}`);
  let state = mixSeed(seed);
  let spareNormal: number | null = null;

  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const normal = (): number => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };

  const int = (lo: number, hi: number): number => {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new RangeError(`int(lo, hi) needs integers with lo <= hi; received (${lo}, ${hi})`);
    }
    return lo + Math.floor(next() * (hi - lo + 1));
  };

  const pick = <T>(items: readonly T[], weights?: readonly number[]): T => {
    if (items.length === 0) throw new RangeError('pick needs at least one item; received an empty array');
    if (weights === undefined) return items[Math.floor(next() * items.length)];
    if (weights.length !== items.length) {
      throw new RangeError(
        `pick needs one weight per item; received ${weights.length} weights for ${items.length} items`,
      );
    }
    let total = 0;
    for (const weight of weights) {
      if (!(weight >= 0) || !Number.isFinite(weight)) {
        throw new RangeError(`pick weights must be finite and non-negative; received ${weights.join(', ')}`);
      }
      total += weight;
    }
    if (total === 0) throw new RangeError('pick weights must not all be zero');
    let target = next() * total;
    for (let i = 0; i < items.length; i++) {
      target -= weights[i];
      if (target < 0) return items[i];
    }
    // Rounding can leave target at a hair above zero: fall back to the last item with weight.
    for (let i = items.length - 1; i >= 0; i--) if (weights[i] > 0) return items[i];
    return items[items.length - 1];
  };

  return { next, normal, int, pick };
}
