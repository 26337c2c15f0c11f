import type { FeatureMatrix } from '../../../core/features/matrix';
import { COMPLETE_TREE_MAX_DEPTH, compileForest, type TreeArrays } from '../../../core/learners/gbdt-scorer';
import type { Task } from '../../../core/learners/types';
import { seededUniform } from './helpers';

interface MutableTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** Values and thresholds on a coarse grid, so rows often land exactly on a threshold. */
function gridValue(uniform: () => number): number {
  return Math.floor(uniform() * 9) / 8;
}

/** An unbalanced random tree: a node at depth d splits with probability `splitChance(d)`. */
function randomTree(uniform: () => number, features: number, splitChance: (depth: number) => number): TreeArrays {
  const tree: MutableTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const grow = (depth: number): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    if (uniform() >= splitChance(depth)) {
      tree.value[node] = uniform() - 0.5;
      return node;
    }
    tree.feature[node] = Math.floor(uniform() * features);
    tree.threshold[node] = gridValue(uniform);
    tree.left[node] = grow(depth + 1);
    tree.right[node] = grow(depth + 1);
    return node;
  };
  grow(0);
  return tree;
}

/** A tree whose right spine has `depth` splits: far deeper than it is wide. */
function spineTree(depth: number, feature: number): TreeArrays {
  const tree: MutableTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  for (let d = 0; d < depth; d++) {
    const node = tree.feature.length;
    tree.feature.push(feature, -1);
    tree.threshold.push(d / depth, 0);
    tree.left.push(node + 1, -1);
    tree.right.push(node + 2, -1);
    tree.value.push(0, d / 100);
  }
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.value.push(1);
  return tree;
}

function randomMatrix(uniform: () => number, features: number, rows: number): FeatureMatrix {
  const columns = Array.from({ length: features }, () => Float64Array.from({ length: rows }, () => gridValue(uniform)));
  return { features: columns.map((_, f) => ({ name: `f${f}`, kind: 'numeric' })), columns, rowCount: rows };
}

/** The plain walk the compiled layouts must agree with, tree by tree in order. */
function referenceScore(task: Task, baseMargin: number, trees: readonly TreeArrays[], row: ArrayLike<number>): number {
  let margin = baseMargin;
  for (const tree of trees) {
    let node = 0;
    while (tree.left[node] >= 0)
      node = row[tree.feature[node]] > tree.threshold[node] ? tree.right[node] : tree.left[node];
    margin += tree.value[node];
  }
  return task === 'binary' ? 1 / (1 + Math.exp(-margin)) : margin;
}

function rowOf(matrix: FeatureMatrix, r: number): Float64Array {
  return Float64Array.from(matrix.columns, (column) => column[r]);
}

function expectScoresOfReference(task: Task, baseMargin: number, trees: readonly TreeArrays[], matrix: FeatureMatrix) {
  const forest = compileForest(task, baseMargin, trees);
  const scores = forest.predictMatrix(matrix);
  for (let r = 0; r < matrix.rowCount; r++) {
    const row = rowOf(matrix, r);
    const expected = referenceScore(task, baseMargin, trees, row);
    expect([r, scores[r]]).toEqual([r, expected]);
    expect([r, forest.predictRow(row)]).toEqual([r, expected]);
  }
}

describe('compileForest', () => {
  const uniform = seededUniform(5);
  // Depths from a lone leaf to past the complete layout's limit, mixed in one forest.
  const shallowTrees = Array.from({ length: 30 }, (_, t) =>
    randomTree(uniform, 6, (depth) => (depth < t % 8 ? 0.85 : 0)),
  );

  it('scores a forest of mixed-depth trees exactly as walking each tree does, for any batch size', () => {
    // Given trees of depth 0 to 7 with unbalanced shapes and rows that often equal a threshold
    for (const rows of [1, 7, 8, 9, 63, 64, 65, 200]) {
      // When scored in batches that fill the row lanes and chunks partly or exactly
      const matrix = randomMatrix(uniform, 6, rows);
      // Then every score, of both tasks, is identical to the reference walk
      expectScoresOfReference('binary', -0.3, shallowTrees, matrix);
      expectScoresOfReference('regression', 2.5, shallowTrees, matrix);
    }
  });

  it(`scores a forest deeper than ${COMPLETE_TREE_MAX_DEPTH} splits exactly as walking each tree does`, () => {
    // Given one tree far deeper than the complete layout takes, among ordinary ones
    const trees = [...shallowTrees.slice(0, 5), spineTree(COMPLETE_TREE_MAX_DEPTH + 5, 2), ...shallowTrees.slice(5)];
    // When a batch is scored, then it matches the reference walk
    expectScoresOfReference('binary', 0.1, trees, randomMatrix(uniform, 6, 150));
  });

  it('sends NaN and values equal to the threshold left', () => {
    // Given a stump on feature 1 at 0.5 (left leaf -1, right leaf +1), in both layouts
    const stump: TreeArrays = {
      feature: [1, -1, -1],
      threshold: [0.5, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, -1, 1],
    };
    for (const trees of [[stump], [stump, spineTree(COMPLETE_TREE_MAX_DEPTH + 1, 0)]]) {
      const forest = compileForest('regression', 0, trees);
      const matrix: FeatureMatrix = {
        features: [
          { name: 'a', kind: 'numeric' },
          { name: 'b', kind: 'numeric' },
        ],
        columns: [new Float64Array(4).fill(-1), Float64Array.from([Number.NaN, 0.5, 0.75, 0.25])],
        rowCount: 4,
      };
      // When scored, then NaN and 0.5 take the left leaf, 0.75 the right one
      const tail = trees.length > 1 ? referenceScore('regression', 0, trees.slice(1), [-1, 0]) : 0;
      expect(Array.from(forest.predictMatrix(matrix))).toEqual([-1 + tail, -1 + tail, 1 + tail, -1 + tail]);
    }
  });
});
