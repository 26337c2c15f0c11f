import type { ShapForest } from '../../../core/explain/shap-forest';

/**
 * The path-dependent value of a coalition: the row's branch on features in it, both children
 * weighted by cover on the others (the definition TreeSHAP computes in polynomial time).
 */
export function coalitionValue(
  forest: ShapForest,
  row: Float64Array,
  inCoalition: (feature: number) => boolean,
): number {
  let total = forest.baseMargin;
  forest.trees.forEach((tree, t) => {
    const value = (node: number): number => {
      if (tree.left[node] < 0) return tree.value[node];
      if (inCoalition(tree.feature[node])) return value(forest.next(t, node, row));
      const l = tree.left[node];
      const r = tree.right[node];
      return (tree.cover[l] * value(l) + tree.cover[r] * value(r)) / tree.cover[node];
    };
    total += value(0);
  });
  return total;
}

/** Shapley values by enumerating all 2^M coalitions. */
export function bruteForceShapley(forest: ShapForest, row: Float64Array): { phi: Float64Array; base: number } {
  const m = forest.featureCount;
  const values = new Float64Array(1 << m);
  for (let mask = 0; mask < 1 << m; mask++) values[mask] = coalitionValue(forest, row, (f) => (mask & (1 << f)) !== 0);
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const phi = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let mask = 0; mask < 1 << m; mask++) {
      if (mask & (1 << i)) continue;
      let size = 0;
      for (let f = 0; f < m; f++) if (mask & (1 << f)) size++;
      const weight = (factorial(size) * factorial(m - size - 1)) / factorial(m);
      phi[i] += weight * (values[mask | (1 << i)] - values[mask]);
    }
  }
  return { phi, base: values[0] };
}
