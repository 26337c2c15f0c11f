/**
 * What TreeSHAP needs from a tree model, whatever trained it (our GBDT, an imported XGBoost or
 * LightGBM model): the trees' shape, each node's cover, the leaf values in margin units, and
 * the model's own rule for which child a row takes (thresholds, `<` or `<=`, missing-value
 * directions and categorical sets differ between frameworks, so the model answers, not TreeSHAP).
 */
export interface ShapTree {
  /** Child node indices within the tree; -1 on leaves. */
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  /** Split feature per internal node: an index into the model's feature vector. */
  readonly feature: ArrayLike<number>;
  /** Leaf output added to the margin (learning rate applied); ignored on internal nodes. */
  readonly value: ArrayLike<number>;
  /**
   * The training weight that reached each node (row count, or hessian sum as XGBoost stores it):
   * the weights path-dependent TreeSHAP uses for a feature outside the coalition.
   */
  readonly cover: ArrayLike<number>;
}

export interface ShapForest {
  readonly trees: readonly ShapTree[];
  /** Added to every row's margin before the trees (XGBoost's base_score as a margin). */
  readonly baseMargin: number;
  /** Width of a row: the model's feature count. */
  readonly featureCount: number;
  /** The child (`left[node]` or `right[node]`) that `row` takes at internal node `node` of tree `tree`. */
  next(tree: number, node: number, row: ArrayLike<number>): number;
}
