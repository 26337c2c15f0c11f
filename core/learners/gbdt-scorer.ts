/**
 * Trees compiled once into flat typed arrays, so scoring a row is a tight loop with no objects.
 * Both the freshly trained model and one rebuilt from JSON go through this, so they score identically.
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

export function compileForest(task: Task, baseMargin: number, trees: readonly TreeArrays[]): CompiledForest {
  let nodeCount = 0;
  for (const tree of trees) nodeCount += tree.feature.length;
  const feature = new Int32Array(nodeCount);
  const threshold = new Float64Array(nodeCount);
  /** Left child; the right child is always `left + 1`, so a step is `left + (x > threshold)`. */
  const left = new Int32Array(nodeCount);
  const value = new Float64Array(nodeCount);
  const roots = new Int32Array(trees.length);
  const depths = new Int32Array(trees.length);
  let featureCount = 0;
  let offset = 0;
  trees.forEach((tree, t) => {
    roots[t] = offset;
    // Renumber breadth-first so siblings sit side by side; `order[k]` is the source node at offset + k.
    const order = [0];
    const depthOf = [0];
    for (let k = 0; k < order.length; k++) {
      const source = order[k];
      const node = offset + k;
      depths[t] = Math.max(depths[t], depthOf[k]);
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
      depthOf.push(depthOf[k] + 1, depthOf[k] + 1);
    }
    offset += order.length;
  });
  const treeCount = trees.length;
  const isBinary = task === 'binary';

  return {
    predictRow(row) {
      let margin = baseMargin;
      for (let t = 0; t < treeCount; t++) {
        let node = roots[t];
        // Number(comparison) compiles to a flag, no branch; a ternary here is a mispredicted branch.
        for (let d = depths[t]; d > 0; d--) node = left[node] + Number(row[feature[node]] > threshold[node]);
        margin += value[node];
      }
      return isBinary ? 1 / (1 + Math.exp(-margin)) : margin;
    },
    predictMatrix(matrix) {
      const rows = matrix.rowCount;
      const columns = matrix.columns;
      const width = Math.max(1, featureCount);
      const margins = new Float64Array(rows).fill(baseMargin);
      const chunk = new Float64Array(CHUNK_ROWS * width);
      for (let first = 0; first < rows; first += CHUNK_ROWS) {
        const count = Math.min(CHUNK_ROWS, rows - first);
        for (let f = 0; f < featureCount; f++) {
          const column = columns[f];
          for (let i = 0; i < count; i++) chunk[i * width + f] = column[first + i];
        }
        // Tree-outer keeps one tree hot; four rows walk it side by side so their loads overlap.
        // Margins gain trees in the same order as predictRow, so both give identical scores.
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
      }
      if (isBinary) for (let r = 0; r < rows; r++) margins[r] = 1 / (1 + Math.exp(-margins[r]));
      return margins;
    },
  };
}
