/**
 * Trees compiled once into flat typed arrays, so scoring a row is a tight loop with no objects.
 * Both the freshly trained model and one rebuilt from JSON go through this, so they score identically.
 *
 * Forests no deeper than {@link COMPLETE_TREE_MAX_DEPTH} are stored as complete trees in heap
 * order (node n's children are 2n + 1 and 2n + 2), so a step needs no child pointer; a leaf above
 * the bottom becomes a subtree whose every leaf holds its value. Deeper forests keep one array
 * entry per node with a pointer to the left child. Every row takes exactly `depth` steps in both
 * layouts, with no branch on the outcome of a split.
 */
import type { FeatureMatrix } from '../features/matrix';
import type { Task } from './types';

export interface TreeArrays {
  /** Split feature per node; -1 marks a leaf. */
  readonly feature: readonly number[];
  /** Goes right when `value > threshold`, else left (so a NaN, which the pipeline never sends, goes left). */
  readonly threshold: readonly number[];
  /** Child node indices within the tree; -1 for leaves. */
  readonly left: readonly number[];
  readonly right: readonly number[];
  /** Leaf contribution to the margin (learning rate already applied); 0 for internal nodes. */
  readonly value: readonly number[];
}

export interface CompiledForest {
  predictRow(row: ArrayLike<number>): number;
  predictMatrix(matrix: FeatureMatrix): Float64Array;
}

/**
 * Rows scored together by predictMatrix: their values are copied row-major into a buffer small
 * enough to stay in L1 (64 rows x 20 features = 10 KB) while every tree walks it.
 */
const CHUNK_ROWS = 64;

/**
 * A complete tree of depth d takes 2^d leaves and 2^d - 1 split nodes (depth 10: 20 KB); deeper
 * forests use the pointer layout, whose size follows the trees' real node count.
 */
export const COMPLETE_TREE_MAX_DEPTH = 10;

/** How one layout adds its trees' outputs to margins; both add the trees in order, one by one. */
interface ForestLayout {
  /** Features the splits read: the width of a row. */
  readonly featureCount: number;
  addToRow(row: ArrayLike<number>, margin: number): number;
  /** Adds every tree to `margins[first + i]` for the `count` rows of `chunk` (row i at `i * width`). */
  addToChunk(chunk: Float64Array, width: number, count: number, margins: Float64Array, first: number): void;
}

export function compileForest(task: Task, baseMargin: number, trees: readonly TreeArrays[]): CompiledForest {
  const depths = trees.map(treeDepth);
  const deepest = depths.reduce((max, depth) => Math.max(max, depth), 0);
  const layout = deepest <= COMPLETE_TREE_MAX_DEPTH ? completeLayout(trees, depths) : pointerLayout(trees, depths);
  const isBinary = task === 'binary';
  const width = Math.max(1, layout.featureCount);

  return {
    predictRow(row) {
      const margin = layout.addToRow(row, baseMargin);
      return isBinary ? 1 / (1 + Math.exp(-margin)) : margin;
    },
    predictMatrix(matrix) {
      const rows = matrix.rowCount;
      const columns = matrix.columns;
      const margins = new Float64Array(rows).fill(baseMargin);
      const chunk = new Float64Array(CHUNK_ROWS * width);
      for (let first = 0; first < rows; first += CHUNK_ROWS) {
        const count = Math.min(CHUNK_ROWS, rows - first);
        for (let f = 0; f < layout.featureCount; f++) {
          const column = columns[f];
          for (let i = 0; i < count; i++) chunk[i * width + f] = column[first + i];
        }
        layout.addToChunk(chunk, width, count, margins, first);
      }
      if (isBinary) for (let r = 0; r < rows; r++) margins[r] = 1 / (1 + Math.exp(-margins[r]));
      return margins;
    },
  };
}

/** Splits on the longest path from the root; 0 for a lone leaf. */
function treeDepth(tree: TreeArrays): number {
  let deepest = 0;
  // Node and depth pairs; a typed stack, as this runs once per tree of every model loaded.
  const pending = new Int32Array(2 * (tree.left.length + 1));
  let top = 2;
  while (top > 0) {
    const depth = pending[--top];
    const node = pending[--top];
    if (tree.left[node] < 0) {
      if (depth > deepest) deepest = depth;
      continue;
    }
    pending[top++] = tree.left[node];
    pending[top++] = depth + 1;
    pending[top++] = tree.right[node];
    pending[top++] = depth + 1;
  }
  return deepest;
}

/** The complete-tree arrays, shared by every tree of the forest. */
interface CompleteTrees {
  /** Offset of each tree's split nodes in `feature` and `threshold`. */
  readonly roots: Int32Array;
  /** Each tree's leaves start at `value[leafBases[t] + 2^depth - 1]`: heap position n is `value[leafBases[t] + n]`. */
  readonly leafBases: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly value: Float64Array;
}

function completeLayout(trees: readonly TreeArrays[], depths: readonly number[]): ForestLayout {
  let splitCount = 0;
  let leafCount = 0;
  for (const depth of depths) {
    splitCount += 2 ** depth - 1;
    leafCount += 2 ** depth;
  }
  const arrays: CompleteTrees = {
    roots: new Int32Array(trees.length),
    leafBases: new Int32Array(trees.length),
    feature: new Int32Array(splitCount),
    threshold: new Float64Array(splitCount),
    value: new Float64Array(leafCount),
  };
  const { roots, leafBases, feature, threshold, value } = arrays;
  let featureCount = 0;
  let splitOffset = 0;
  let leafOffset = 0;
  let deepest = 0;
  for (const depth of depths) if (depth > deepest) deepest = depth;
  /** The source node at each heap position of the tree being placed (below a leaf: that leaf). */
  const sourceAt = new Int32Array(2 ** (deepest + 1));
  trees.forEach((tree, t) => {
    const depth = depths[t];
    const root = splitOffset;
    const leafBase = leafOffset - (2 ** depth - 1);
    roots[t] = root;
    leafBases[t] = leafBase;
    const splits = 2 ** depth - 1;
    sourceAt[0] = 0;
    // Heap order visits a parent before its children, so one pass places every position.
    for (let position = 0; position < splits; position++) {
      const source = sourceAt[position];
      const isLeaf = tree.left[source] < 0;
      // Below a leaf every row goes left (nothing exceeds +Infinity); all the leaves there hold its value.
      feature[root + position] = isLeaf ? 0 : tree.feature[source];
      threshold[root + position] = isLeaf ? Number.POSITIVE_INFINITY : tree.threshold[source];
      if (!isLeaf && tree.feature[source] + 1 > featureCount) featureCount = tree.feature[source] + 1;
      sourceAt[2 * position + 1] = isLeaf ? source : tree.left[source];
      sourceAt[2 * position + 2] = isLeaf ? source : tree.right[source];
    }
    for (let position = splits; position < 2 * splits + 1; position++) {
      value[leafBase + position] = tree.value[sourceAt[position]];
    }
    splitOffset += splits;
    leafOffset += 2 ** depth;
  });
  // Consecutive trees of one depth share a kernel; each kernel call still adds its trees in order.
  const runStarts: number[] = [];
  for (let t = 0; t < trees.length; t++) if (t === 0 || depths[t] !== depths[t - 1]) runStarts.push(t);
  runStarts.push(trees.length);
  const runKernels = runStarts.slice(0, -1).map((start) => completeTreeKernel(depths[start]));

  return {
    featureCount,
    addToRow(row, margin) {
      let sum = margin;
      for (let t = 0; t < trees.length; t++) {
        const root = roots[t];
        let node = 0;
        // Number(comparison) compiles to a flag, no branch; a ternary here is a mispredicted branch.
        for (let d = depths[t]; d > 0; d--)
          node = 2 * node + 1 + Number(row[feature[root + node]] > threshold[root + node]);
        sum += value[leafBases[t] + node];
      }
      return sum;
    },
    addToChunk(chunk, width, count, margins, first) {
      for (let run = 0; run < runKernels.length; run++) {
        runKernels[run](chunk, width, count, margins, first, runStarts[run], runStarts[run + 1], arrays);
      }
    },
  };
}

type CompleteTreeKernel = (
  chunk: Float64Array,
  width: number,
  count: number,
  margins: Float64Array,
  first: number,
  treeFrom: number,
  treeTo: number,
  arrays: CompleteTrees,
) => void;

/**
 * Rows walking one tree side by side: each walk is a chain of dependent loads, and eight chains
 * overlap them (measured: 8 is faster than 4, and 12 or 16 spill registers and are slower).
 */
const ROWS_IN_FLIGHT = 8;

/** One kernel per depth, shared by every forest: compiled and optimised once per process. */
const completeTreeKernels = new Map<number, CompleteTreeKernel>();

/**
 * Generates the walk for trees of one depth with the levels unrolled, as source text: a loop over
 * levels costs about a quarter more (measured, depth 6). The root's split is read once per tree.
 */
function completeTreeKernel(depth: number): CompleteTreeKernel {
  const cached = completeTreeKernels.get(depth);
  if (cached) return cached;
  const lanes = Array.from({ length: ROWS_IN_FLIGHT }, (_, k) => k);
  const rowStart = (k: number) => (k === 0 ? 'b' : `b + ${k} * width`);
  const rootStep = (k: number) => `let n${k} = 1 + Number(chunk[${rowStart(k)} + rootFeature] > rootThreshold);`;
  const step = (k: number) =>
    `n${k} = (2 * n${k} + 1 + Number(chunk[${rowStart(k)} + feature[root + n${k}]] > threshold[root + n${k}])) | 0;`;
  const walkLanes =
    depth === 0
      ? lanes.map((k) => `const n${k} = 0;`).join('\n')
      : [lanes.map(rootStep), ...Array.from({ length: depth - 1 }, () => lanes.map(step))].flat().join('\n');
  const source = `
return function addTreesOfDepth${depth}(chunk, width, count, margins, first, treeFrom, treeTo, arrays) {
  const { roots, leafBases, feature, threshold, value } = arrays;
  for (let t = treeFrom; t < treeTo; t++) {
    const root = roots[t];
    const leaves = leafBases[t];
    const rootFeature = feature[root];
    const rootThreshold = threshold[root];
    let i = 0;
    for (; i + ${ROWS_IN_FLIGHT} <= count; i += ${ROWS_IN_FLIGHT}) {
      const b = i * width;
      ${walkLanes}
      ${lanes.map((k) => `margins[first + i + ${k}] += value[leaves + n${k}];`).join('\n')}
    }
    for (; i < count; i++) {
      const b = i * width;
      let n = 0;
      for (let d = 0; d < ${depth}; d++) n = (2 * n + 1 + Number(chunk[b + feature[root + n]] > threshold[root + n])) | 0;
      margins[first + i] += value[leaves + n];
    }
  }
};`;
  const kernel = new Function(source)() as CompleteTreeKernel;
  completeTreeKernels.set(depth, kernel);
  return kernel;
}

/** One entry per node, renumbered breadth-first so siblings sit side by side. */
function pointerLayout(trees: readonly TreeArrays[], depths: readonly number[]): ForestLayout {
  let nodeCount = 0;
  for (const tree of trees) nodeCount += tree.feature.length;
  const feature = new Int32Array(nodeCount);
  const threshold = new Float64Array(nodeCount);
  /** Left child; the right child is always `left + 1`, so a step is `left + (x > threshold)`. */
  const left = new Int32Array(nodeCount);
  const value = new Float64Array(nodeCount);
  const roots = new Int32Array(trees.length);
  let featureCount = 0;
  let offset = 0;
  trees.forEach((tree, t) => {
    roots[t] = offset;
    // `order[k]` is the source node at offset + k.
    const order = [0];
    for (let k = 0; k < order.length; k++) {
      const source = order[k];
      const node = offset + k;
      if (tree.left[source] < 0) {
        // A leaf points to itself with an unreachable threshold, so every row can take exactly
        // `depth` steps with no branch on leaves.
        feature[node] = 0;
        threshold[node] = Number.POSITIVE_INFINITY;
        left[node] = node;
        value[node] = tree.value[source];
        continue;
      }
      feature[node] = tree.feature[source];
      threshold[node] = tree.threshold[source];
      left[node] = offset + order.length;
      featureCount = Math.max(featureCount, tree.feature[source] + 1);
      order.push(tree.left[source], tree.right[source]);
    }
    offset += order.length;
  });
  const treeCount = trees.length;

  return {
    featureCount,
    addToRow(row, margin) {
      let sum = margin;
      for (let t = 0; t < treeCount; t++) {
        let node = roots[t];
        for (let d = depths[t]; d > 0; d--) node = left[node] + Number(row[feature[node]] > threshold[node]);
        sum += value[node];
      }
      return sum;
    },
    addToChunk(chunk, width, count, margins, first) {
      // Tree-outer keeps one tree hot; four rows walk it side by side so their loads overlap.
      for (let t = 0; t < treeCount; t++) {
        const root = roots[t];
        const depth = depths[t];
        let i = 0;
        for (; i + 4 <= count; i += 4) {
          const b0 = i * width;
          const b1 = b0 + width;
          const b2 = b1 + width;
          const b3 = b2 + width;
          let n0 = root;
          let n1 = root;
          let n2 = root;
          let n3 = root;
          for (let d = depth; d > 0; d--) {
            n0 = left[n0] + Number(chunk[b0 + feature[n0]] > threshold[n0]);
            n1 = left[n1] + Number(chunk[b1 + feature[n1]] > threshold[n1]);
            n2 = left[n2] + Number(chunk[b2 + feature[n2]] > threshold[n2]);
            n3 = left[n3] + Number(chunk[b3 + feature[n3]] > threshold[n3]);
          }
          margins[first + i] += value[n0];
          margins[first + i + 1] += value[n1];
          margins[first + i + 2] += value[n2];
          margins[first + i + 3] += value[n3];
        }
        for (; i < count; i++) {
          const base = i * width;
          let node = root;
          for (let d = depth; d > 0; d--) node = left[node] + Number(chunk[base + feature[node]] > threshold[node]);
          margins[first + i] += value[node];
        }
      }
    },
  };
}
