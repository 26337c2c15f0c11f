/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2), as XGBoost's TreeShap and shap's tree_shap.h
 * implement it: one walk of every tree per row keeps, along the path from the root, the share of
 * all feature subsets that reach the current node (EXTEND); a feature met twice on a path is first
 * taken out again (UNWIND); at a leaf each feature on the path gets its Shapley weight (UNWOUND sum).
 * O(leaves x depth^2) per tree, against 2^features for the definition.
 *
 * A feature outside the coalition follows both children in proportion to their cover; the value
 * of the empty coalition is each tree's cover-weighted mean leaf, so the base value plus the
 * contributions is the row's margin exactly (up to float rounding).
 */
import type { ShapForest } from './shap-forest';

export interface TreeShapExplainer {
  /** Width of a row and of the contributions: the model's feature count. */
  readonly featureCount: number;
  /** The margin with no feature known: baseMargin plus every tree's cover-weighted mean leaf value. */
  readonly baseValue: number;
  /**
   * Each feature's contribution to `row`'s margin, written into `out` (zeroed first; a new array
   * when absent). `baseValue` plus their sum is the row's margin.
   */
  explainRow(row: ArrayLike<number>, out?: Float64Array): Float64Array;
}

/** One tree copied into typed arrays, with each node's share of its parent's cover precomputed. */
interface CompiledTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly value: Float64Array;
  /** cover[node] / cover[parent]: the fraction of the parent's weight that goes to `node`. */
  readonly shareOfParent: Float64Array;
  readonly depth: number;
}

/**
 * A node with no cover has no training weight to split: its children share it evenly. Only a
 * degenerate model has one (every row subsampled out of a branch with min_child_weight 0); the
 * base value and the contributions use the same rule, so they still add up.
 */
function childShare(parentCover: number, childCover: number): number {
  return parentCover > 0 ? childCover / parentCover : 0.5;
}

function compileTree(forest: ShapForest, t: number): CompiledTree {
  const tree = forest.trees[t];
  const n = tree.left.length;
  if (n === 0) throw new Error(`TreeSHAP: tree ${t} has no nodes`);
  const left = Int32Array.from(tree.left);
  const right = Int32Array.from(tree.right);
  const feature = Int32Array.from({ length: n }, (_, node) => (left[node] < 0 ? -1 : tree.feature[node]));
  const value = Float64Array.from(tree.value);
  const shareOfParent = new Float64Array(n);
  shareOfParent[0] = 1;
  let depth = 0;
  // Iterative walk: checks the shape (children inside the tree, each reached once) and measures depth.
  const seen = new Uint8Array(n);
  const pending = [0, 0];
  while (pending.length > 0) {
    const level = pending.pop() as number;
    const node = pending.pop() as number;
    if (node < 0 || node >= n || seen[node]) {
      throw new Error(`TreeSHAP: tree ${t} reaches node ${node} twice or outside its ${n} nodes`);
    }
    seen[node] = 1;
    if (left[node] < 0) {
      depth = Math.max(depth, level);
      continue;
    }
    if (feature[node] < 0 || feature[node] >= forest.featureCount) {
      throw new Error(`TreeSHAP: tree ${t} node ${node} splits on feature ${feature[node]} of ${forest.featureCount}`);
    }
    const cover = tree.cover[node];
    shareOfParent[left[node]] = childShare(cover, tree.cover[left[node]]);
    shareOfParent[right[node]] = childShare(cover, tree.cover[right[node]]);
    pending.push(left[node], level + 1, right[node], level + 1);
  }
  return { left, right, feature, value, shareOfParent, depth };
}

/** The tree's output with no feature known: leaves weighted by the cover shares down to them. */
function expectedValue(tree: CompiledTree): number {
  let sum = 0;
  const pending: number[] = [0, 1];
  while (pending.length > 0) {
    const weight = pending.pop() as number;
    const node = pending.pop() as number;
    if (tree.left[node] < 0) {
      sum += weight * tree.value[node];
      continue;
    }
    const l = tree.left[node];
    const r = tree.right[node];
    pending.push(l, weight * tree.shareOfParent[l], r, weight * tree.shareOfParent[r]);
  }
  return sum;
}

export function treeShapExplainer(forest: ShapForest): TreeShapExplainer {
  const trees = forest.trees.map((_, t) => compileTree(forest, t));
  let baseValue = forest.baseMargin;
  for (const tree of trees) baseValue += expectedValue(tree);
  const deepest = trees.reduce((max, tree) => Math.max(max, tree.depth), 0);
  const walker = new PathWalker(forest, deepest);
  const { featureCount } = forest;
  return {
    featureCount,
    baseValue,
    explainRow(row, out = new Float64Array(featureCount)) {
      if (out.length !== featureCount) {
        throw new Error(`TreeSHAP: the output holds ${out.length} values; the model has ${featureCount} features`);
      }
      out.fill(0);
      walker.phi = out;
      walker.row = row;
      for (let t = 0; t < trees.length; t++) walker.explainTree(t, trees[t]);
      return out;
    },
  };
}

/**
 * The unique paths of one walk, all in four preallocated arrays: the path at depth d of the
 * recursion starts right after its parent's (shap's layout), so nothing is allocated per node.
 * Element i of a path: the feature it splits on, the fraction of zero (cover) and one (row follows)
 * paths through it, and the proportion of subsets of each size (pweight).
 */
class PathWalker {
  phi: Float64Array = new Float64Array(0);
  row: ArrayLike<number> = [];
  private readonly pathFeature: Int32Array;
  private readonly zero: Float64Array;
  private readonly one: Float64Array;
  private readonly weight: Float64Array;
  /** 1 / k for every path length k: a multiply in the innermost loop instead of a division. */
  private readonly reciprocals: Float64Array;
  private tree!: CompiledTree;
  private treeIndex = 0;

  constructor(
    private readonly forest: ShapForest,
    deepest: number,
  ) {
    // Paths hold up to deepest + 2 elements (the root's placeholder, one per split, one slack):
    // (deepest + 2)(deepest + 3) / 2 in all, as in XGBoost; one more path of room for safety.
    const size = ((deepest + 3) * (deepest + 4)) / 2;
    this.pathFeature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
    this.reciprocals = Float64Array.from({ length: deepest + 3 }, (_, k) => 1 / k);
  }

  explainTree(t: number, tree: CompiledTree): void {
    this.tree = tree;
    this.treeIndex = t;
    this.recurse(0, 0, 0, 1, 1, -1);
  }

  /**
   * Visits `node` with the path of `depth` elements starting at `parentStart` (its parent's path),
   * extended by the parent's split on `splitFeature` with the given zero and one fractions.
   */
  private recurse(
    node: number,
    depth: number,
    parentStart: number,
    zeroFraction: number,
    oneFraction: number,
    splitFeature: number,
  ): void {
    const { pathFeature, zero, one, weight, tree } = this;
    const start = parentStart + depth + 1;
    for (let i = 0; i <= depth; i++) {
      pathFeature[start + i] = pathFeature[parentStart + i];
      zero[start + i] = zero[parentStart + i];
      one[start + i] = one[parentStart + i];
      weight[start + i] = weight[parentStart + i];
    }
    this.extend(start, depth, zeroFraction, oneFraction, splitFeature);

    const left = tree.left[node];
    if (left < 0) {
      const leafValue = tree.value[node];
      const phi = this.phi;
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(start, depth, i);
        phi[pathFeature[start + i]] += w * (one[start + i] - zero[start + i]) * leafValue;
      }
      return;
    }

    const feature = tree.feature[node];
    const right = tree.right[node];
    const hot = this.forest.next(this.treeIndex, node, this.row);
    const cold = hot === left ? right : left;
    let incomingZero = 1;
    let incomingOne = 1;
    let unique = depth;
    // A feature already on the path is taken out and re-entered with both splits' fractions combined.
    for (let i = 1; i <= unique; i++) {
      if (pathFeature[start + i] !== feature) continue;
      incomingZero = zero[start + i];
      incomingOne = one[start + i];
      this.unwind(start, unique, i);
      unique--;
      break;
    }
    // A child that neither the row nor any cover reaches adds nothing to any coalition (every
    // subset weight through it is 0), and unwinding its fractions later would divide by zero.
    const hotZero = tree.shareOfParent[hot] * incomingZero;
    if (hotZero !== 0 || incomingOne !== 0) this.recurse(hot, unique + 1, start, hotZero, incomingOne, feature);
    const coldZero = tree.shareOfParent[cold] * incomingZero;
    if (coldZero !== 0) this.recurse(cold, unique + 1, start, coldZero, 0, feature);
  }

  /** EXTEND: adds element `depth` for a split on `feature` and reweights the subset sizes. */
  private extend(start: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    const { weight } = this;
    this.pathFeature[start + depth] = feature;
    this.zero[start + depth] = zeroFraction;
    this.one[start + depth] = oneFraction;
    weight[start + depth] = depth === 0 ? 1 : 0;
    const scale = 1 / (depth + 1);
    for (let i = depth - 1; i >= 0; i--) {
      weight[start + i + 1] += oneFraction * weight[start + i] * (i + 1) * scale;
      weight[start + i] = zeroFraction * weight[start + i] * (depth - i) * scale;
    }
  }

  /** UNWIND: removes element `index` from the path of `depth + 1` elements, undoing its EXTEND. */
  private unwind(start: number, depth: number, index: number): void {
    const { pathFeature, zero, one, weight } = this;
    const oneFraction = one[start + index];
    const zeroFraction = zero[start + index];
    let nextOnePortion = weight[start + depth];
    for (let i = depth - 1; i >= 0; i--) {
      if (oneFraction !== 0) {
        const previous = weight[start + i];
        weight[start + i] = (nextOnePortion * (depth + 1)) / ((i + 1) * oneFraction);
        nextOnePortion = previous - (weight[start + i] * zeroFraction * (depth - i)) / (depth + 1);
      } else {
        weight[start + i] = (weight[start + i] * (depth + 1)) / (zeroFraction * (depth - i));
      }
    }
    for (let i = index; i < depth; i++) {
      pathFeature[start + i] = pathFeature[start + i + 1];
      zero[start + i] = zero[start + i + 1];
      one[start + i] = one[start + i + 1];
    }
  }

  /** UNWOUND sum: the total subset weight of the path with element `index` taken out, without changing it. */
  private unwoundSum(start: number, depth: number, index: number): number {
    const { weight, reciprocals } = this;
    const oneFraction = this.one[start + index];
    const zeroFraction = this.zero[start + index];
    let total = 0;
    // Divisions hoisted out of the loop (this runs once per leaf and path element: the hot spot).
    if (oneFraction !== 0) {
      const scaleOne = (depth + 1) / oneFraction;
      const scaleZero = zeroFraction / (depth + 1);
      let nextOnePortion = weight[start + depth];
      for (let i = depth - 1; i >= 0; i--) {
        const portion = nextOnePortion * scaleOne * reciprocals[i + 1];
        total += portion;
        nextOnePortion = weight[start + i] - portion * scaleZero * (depth - i);
      }
    } else if (zeroFraction !== 0) {
      const scaleZero = (depth + 1) / zeroFraction;
      for (let i = depth - 1; i >= 0; i--) total += weight[start + i] * scaleZero * reciprocals[depth - i];
    }
    return total;
  }
}
