import { createRandom, type Random } from '../../../core/datasets/random';
import type { ShapForest, ShapTree } from '../../../core/explain/shap-forest';
import { treeShapExplainer } from '../../../core/explain/tree-shap';

interface TestTree extends ShapTree {
  readonly threshold: number[];
}

/**
 * A random tree of at most `depth` splits over `featureCount` features (few features, so a path
 * often splits on one feature twice), each node's cover the sum of its children's.
 */
function randomTree(random: Random, depth: number, featureCount: number): TestTree {
  const tree = {
    left: [] as number[],
    right: [] as number[],
    feature: [] as number[],
    threshold: [] as number[],
    value: [] as number[],
    cover: [] as number[],
  };
  const grow = (level: number): number => {
    const node = tree.left.length;
    tree.left.push(-1);
    tree.right.push(-1);
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.value.push(0);
    tree.cover.push(0);
    if (level === depth || (level > 0 && random.next() < 0.2)) {
      tree.value[node] = random.normal();
      tree.cover[node] = 1 + random.int(0, 20);
      return node;
    }
    tree.feature[node] = random.int(0, featureCount - 1);
    tree.threshold[node] = random.next();
    const left = grow(level + 1);
    const right = grow(level + 1);
    tree.left[node] = left;
    tree.right[node] = right;
    tree.cover[node] = tree.cover[left] + tree.cover[right];
    return node;
  };
  grow(0);
  return tree;
}

function forestOf(trees: TestTree[], featureCount: number, baseMargin: number): ShapForest {
  return {
    trees,
    baseMargin,
    featureCount,
    next: (t, node, row) => {
      const tree = trees[t];
      return row[tree.feature[node]] > tree.threshold[node] ? tree.right[node] : tree.left[node];
    },
  };
}

/**
 * The path-dependent value of a coalition: the row's branch on features in it, both children
 * weighted by cover on the others (the definition TreeSHAP computes in polynomial time).
 */
function coalitionValue(forest: ShapForest, row: Float64Array, inCoalition: (feature: number) => boolean): number {
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
function bruteForceShapley(forest: ShapForest, row: Float64Array): { phi: Float64Array; base: number } {
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

function randomRow(random: Random, featureCount: number): Float64Array {
  return Float64Array.from({ length: featureCount }, () => random.next());
}

describe('treeShapExplainer', () => {
  it('equals brute-force Shapley values on random trees, including features repeated on a path', () => {
    // Given random forests over 3 to 6 features, up to depth 6 (so paths repeat features)
    const random = createRandom(14);
    let repeatedPaths = 0;
    for (let trial = 0; trial < 40; trial++) {
      const featureCount = random.int(3, 6);
      const trees = Array.from({ length: random.int(1, 4) }, () => randomTree(random, random.int(1, 6), featureCount));
      repeatedPaths += trees.filter(hasRepeatedFeatureOnAPath).length;
      const forest = forestOf(trees, featureCount, random.normal());
      const explainer = treeShapExplainer(forest);
      for (let r = 0; r < 5; r++) {
        const row = randomRow(random, featureCount);
        // When explained by TreeSHAP and by enumerating every coalition
        const phi = explainer.explainRow(row);
        const expected = bruteForceShapley(forest, row);
        // Then both agree
        expect(explainer.baseValue).toBeCloseTo(expected.base, 10);
        for (let f = 0; f < featureCount; f++) expect(phi[f]).toBeCloseTo(expected.phi[f], 10);
      }
    }
    expect(repeatedPaths).toBeGreaterThan(10);
  });

  it('adds up to the margin: base value plus contributions', () => {
    const random = createRandom(3);
    const trees = Array.from({ length: 30 }, () => randomTree(random, 6, 8));
    const forest = forestOf(trees, 8, 0.25);
    const explainer = treeShapExplainer(forest);
    for (let r = 0; r < 20; r++) {
      const row = randomRow(random, 8);
      const phi = explainer.explainRow(row);
      const margin = coalitionValue(forest, row, () => true);
      expect(explainer.baseValue + phi.reduce((sum, v) => sum + v, 0)).toBeCloseTo(margin, 10);
    }
  });

  it('gives a feature no tree splits on exactly zero', () => {
    const random = createRandom(5);
    const trees = Array.from({ length: 5 }, () => randomTree(random, 4, 3));
    // Features 3 and 4 exist in the row but no split reads them
    const explainer = treeShapExplainer(forestOf(trees, 5, 0));
    const phi = explainer.explainRow(randomRow(random, 5));
    expect(phi[3]).toBe(0);
    expect(phi[4]).toBe(0);
  });

  it('explains a lone leaf as its value in the base, no contributions', () => {
    const leaf: TestTree = { left: [-1], right: [-1], feature: [-1], threshold: [0], value: [0.7], cover: [10] };
    const explainer = treeShapExplainer(forestOf([leaf], 2, 0.1));
    expect(explainer.baseValue).toBeCloseTo(0.8, 15);
    expect(Array.from(explainer.explainRow([1, 2]))).toEqual([0, 0]);
  });

  it('stays finite and additive when a branch has no cover', () => {
    // Given a split whose right child saw no training weight, with a further split on the same feature below
    const tree: TestTree = {
      left: [1, 3, -1, -1, -1],
      right: [2, 4, -1, -1, -1],
      feature: [0, 0, -1, -1, -1],
      threshold: [0.5, 0.2, 0, 0, 0],
      value: [0, 0, 5, -1, 1],
      cover: [4, 4, 0, 1, 3],
    };
    const forest = forestOf([tree], 2, 0);
    const explainer = treeShapExplainer(forest);
    for (const row of [
      [0.9, 0],
      [0.1, 0],
      [0.3, 1],
    ]) {
      const phi = explainer.explainRow(row);
      const margin = coalitionValue(forest, Float64Array.from(row), () => true);
      expect(Number.isFinite(phi[0])).toBe(true);
      expect(explainer.baseValue + phi[0] + phi[1]).toBeCloseTo(margin, 12);
    }
  });

  it('rejects a tree that splits on a feature outside the row', () => {
    const tree: TestTree = {
      left: [1, -1, -1],
      right: [2, -1, -1],
      feature: [4, -1, -1],
      threshold: [0, 0, 0],
      value: [0, 1, 2],
      cover: [2, 1, 1],
    };
    expect(() => treeShapExplainer(forestOf([tree], 3, 0))).toThrow('splits on feature 4 of 3');
  });
});

function hasRepeatedFeatureOnAPath(tree: TestTree): boolean {
  const walk = (node: number, seen: Set<number>): boolean => {
    if (tree.left[node] < 0) return false;
    const feature = tree.feature[node];
    if (seen.has(feature)) return true;
    const below = new Set(seen).add(feature);
    return walk(tree.left[node], below) || walk(tree.right[node], below);
  };
  return walk(0, new Set());
}
