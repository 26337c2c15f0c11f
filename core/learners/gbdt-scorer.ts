/**
 * Trees compiled once into flat typed arrays, so scoring a row is a tight loop with no objects.
 * Both the freshly trained model and one rebuilt from JSON go through this, so they score identically.
 */
import type { FeatureMatrix } from '../features/matrix';
import type { Task } from './types';

export interface TreeArrays {
  /** Split feature per node; -1 marks a leaf. */
  readonly feature: readonly number[];
  /** Goes left when `value <= threshold`. */
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

export function compileForest(task: Task, baseMargin: number, trees: readonly TreeArrays[]): CompiledForest {
  let nodeCount = 0;
  for (const tree of trees) nodeCount += tree.feature.length;
  const feature = new Int32Array(nodeCount);
  const threshold = new Float64Array(nodeCount);
  const left = new Int32Array(nodeCount);
  const right = new Int32Array(nodeCount);
  const value = new Float64Array(nodeCount);
  const roots = new Int32Array(trees.length);
  let offset = 0;
  trees.forEach((tree, t) => {
    roots[t] = offset;
    for (let n = 0; n < tree.feature.length; n++) {
      const isLeaf = tree.left[n] < 0;
      feature[offset + n] = isLeaf ? 0 : tree.feature[n];
      threshold[offset + n] = tree.threshold[n];
      left[offset + n] = isLeaf ? -1 : offset + tree.left[n];
      right[offset + n] = isLeaf ? -1 : offset + tree.right[n];
      value[offset + n] = tree.value[n];
    }
    offset += tree.feature.length;
  });
  const treeCount = trees.length;
  const link = task === 'binary' ? (margin: number) => 1 / (1 + Math.exp(-margin)) : (margin: number) => margin;

  return {
    predictRow(row) {
      let margin = baseMargin;
      for (let t = 0; t < treeCount; t++) {
        let node = roots[t];
        while (left[node] >= 0) node = row[feature[node]] <= threshold[node] ? left[node] : right[node];
        margin += value[node];
      }
      return link(margin);
    },
    predictMatrix(matrix) {
      const rows = matrix.rowCount;
      const columns = matrix.columns;
      const margins = new Float64Array(rows).fill(baseMargin);
      // Tree-outer keeps one tree hot in cache; the additions happen in the same order as predictRow.
      for (let t = 0; t < treeCount; t++) {
        const root = roots[t];
        for (let r = 0; r < rows; r++) {
          let node = root;
          while (left[node] >= 0) node = columns[feature[node]][r] <= threshold[node] ? left[node] : right[node];
          margins[r] += value[node];
        }
      }
      for (let r = 0; r < rows; r++) margins[r] = link(margins[r]);
      return margins;
    },
  };
}
