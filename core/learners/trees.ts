/**
 * The model kind `trees`: a forest made elsewhere (XGBoost, LightGBM) and imported as it was,
 * scored with the source framework's own rules so its predictions match the framework's.
 *
 * The rules differ between frameworks, so the JSON says which apply:
 * - `comparison`: XGBoost sends a row left when `x < threshold`, LightGBM when `x <= threshold`.
 * - `arithmetic`: XGBoost holds inputs, thresholds, leaf values and the running margin in float32
 *   (a float64 input is rounded to float32 before it is compared, and each tree's leaf is added to a
 *   float32 sum, base score first, trees in order); LightGBM compares and sums in float64. Emulating
 *   float32 with Math.fround gives the framework's own bits: a float32 add done in float64 and
 *   rounded once is exactly the float32 add.
 * - missing values (NaN): XGBoost sends them to the node's default child. LightGBM's `missingType`
 *   per node: `nan` sends NaN to the default child; `zero` treats NaN as 0 and sends 0 (|x| <= 1e-35)
 *   to the default child; `none` treats NaN as 0 and compares it.
 * - categorical splits: a node with a category set compares the category code. XGBoost sends codes
 *   in the set right (`categorySetGoes: 'right'`) and every other code left, a code it cannot read
 *   (negative, or 2^24 and above) included; NaN is missing, so it takes the default child.
 *   LightGBM sends codes in the set left, and NaN or a negative code right.
 */
import * as z from 'zod';
import type { ShapForest, ShapTree } from '../explain/shap-forest';
import type { FeatureInfo, FeatureMatrix } from '../features/matrix';
import { numberList } from './json-lists';
import type { FittedModel } from './types';

const missingTypeSchema = z.enum(['none', 'zero', 'nan']);

const importedTreeSchema = z.object({
  /** Child node indices; -1 on leaves. */
  left: numberList('node index'),
  right: numberList('node index'),
  /** Split feature (index into `featureNames`); -1 on leaves. */
  feature: numberList('node index'),
  /** Numeric split threshold; 0 on leaves and categorical splits. */
  threshold: numberList('number'),
  /** Leaf output in margin units (shrinkage already applied); 0 on internal nodes. */
  value: numberList('number'),
  /** Training weight that reached the node: XGBoost's sum_hessian, LightGBM's counts or weights. */
  cover: numberList('number'),
  /** 1: missing values (and LightGBM's `zero` type's zeros) go left; 0: right. */
  defaultLeft: numberList('zero or one'),
  /** LightGBM only: what counts as missing at each node (absent: NaN only, XGBoost's rule). */
  missingType: z.array(missingTypeSchema).optional(),
  /** Category codes of a categorical split; null on numeric splits and leaves. Absent: no categorical splits. */
  categories: z.array(z.array(z.number().int().nonnegative()).nullable()).optional(),
});

export const treesModelJsonSchema = z.object({
  format: z.literal('trees/v1'),
  /** The framework the forest came from. */
  source: z.enum(['xgboost', 'lightgbm']),
  task: z.enum(['binary', 'regression']),
  /** The source framework's objective name, as its model file spells it. */
  objective: z.string(),
  /** Added to every row's margin before the trees (XGBoost's base_score as a margin; 0 for LightGBM). */
  baseMargin: z.number(),
  comparison: z.enum(['less', 'less-or-equal']),
  arithmetic: z.enum(['float32', 'float64']),
  categorySetGoes: z.enum(['left', 'right']),
  featureNames: z.array(z.string()),
  trees: z.array(importedTreeSchema),
});

export type TreesModelJson = z.infer<typeof treesModelJsonSchema>;
export type ImportedTreeJson = z.infer<typeof importedTreeSchema>;
type MissingType = z.infer<typeof missingTypeSchema>;

/** XGBoost reads a category code as an integer below 2^24 (its kMaxCat); others are in no set. */
const XGBOOST_MAX_CATEGORY = 2 ** 24;
/** LightGBM's kZeroThreshold: |x| at most this is zero. */
const LIGHTGBM_ZERO = 1e-35;
const MISSING_NONE = 0;
const MISSING_ZERO = 1;
const MISSING_NAN = 2;
const MISSING_CODES: Record<MissingType, number> = { none: MISSING_NONE, zero: MISSING_ZERO, nan: MISSING_NAN };

interface CompiledTree extends ShapTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly value: Float64Array;
  readonly cover: Float64Array;
  readonly defaultLeft: Uint8Array;
  readonly missingType: Uint8Array;
  /** Per node the category set, or undefined on numeric splits. */
  readonly categories: ReadonlyArray<ReadonlySet<number> | undefined>;
}

function checkTrees(model: TreesModelJson): void {
  const featureCount = model.featureNames.length;
  model.trees.forEach((tree, t) => {
    const fail = (why: string): never => {
      throw new Error(`trees model json: tree ${t} ${why}; the model file is corrupt`);
    };
    const n = tree.left.length;
    if (n === 0) fail('has no nodes');
    const columns: ArrayLike<unknown>[] = [tree.right, tree.feature, tree.threshold, tree.value, tree.cover];
    columns.push(tree.defaultLeft);
    if (tree.missingType) columns.push(tree.missingType);
    if (tree.categories) columns.push(tree.categories);
    if (columns.some((column) => column.length !== n)) fail('has node arrays of different lengths');
    // Every node reached exactly once from the root: no cycles, no shared or orphan nodes.
    const seen = new Uint8Array(n);
    const pending = [0];
    let reached = 0;
    while (pending.length > 0) {
      const node = pending.pop() as number;
      if (seen[node]) fail(`reaches node ${node} twice`);
      seen[node] = 1;
      reached++;
      if (tree.left[node] < 0) continue;
      for (const child of [tree.left[node], tree.right[node]]) {
        if (child < 0 || child >= n) fail(`node ${node} has child ${child} outside [0, ${n})`);
        pending.push(child);
      }
      if (tree.feature[node] < 0 || tree.feature[node] >= featureCount) {
        fail(`node ${node} splits on feature ${tree.feature[node]}, but the model has ${featureCount} features`);
      }
    }
    if (reached !== n) fail(`has ${n - reached} node(s) the root does not reach`);
  });
}

function compileTree(tree: ImportedTreeJson, arithmetic: TreesModelJson['arithmetic']): CompiledTree {
  const n = tree.left.length;
  const round = arithmetic === 'float32' ? Math.fround : (x: number) => x;
  const missingType = tree.missingType
    ? Uint8Array.from(tree.missingType, (type) => MISSING_CODES[type])
    : new Uint8Array(n).fill(MISSING_NAN);
  return {
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold, round),
    value: Float64Array.from(tree.value, round),
    cover: Float64Array.from(tree.cover),
    defaultLeft: Uint8Array.from(tree.defaultLeft),
    missingType,
    categories: (tree.categories ?? tree.left.map(() => null)).map((set) => (set ? new Set(set) : undefined)),
  };
}

/** The child of internal node `node` that the input value `x` takes, under XGBoost's rules. */
function xgboostNext(tree: CompiledTree, node: number, x: number): number {
  if (Number.isNaN(x)) return tree.defaultLeft[node] ? tree.left[node] : tree.right[node];
  const value = Math.fround(x);
  const categories = tree.categories[node];
  if (categories) {
    // A code XGBoost cannot read is in no set (measured with 1.7.4: -1 scores as an unseen code).
    if (value < 0 || value >= XGBOOST_MAX_CATEGORY) return tree.left[node];
    return categories.has(Math.trunc(value)) ? tree.right[node] : tree.left[node];
  }
  return value < tree.threshold[node] ? tree.left[node] : tree.right[node];
}

/** The child of internal node `node` that the input value `x` takes, under LightGBM's rules. */
function lightgbmNext(tree: CompiledTree, node: number, x: number): number {
  const categories = tree.categories[node];
  if (categories) {
    if (Number.isNaN(x) || x < 0) return tree.right[node];
    return categories.has(Math.trunc(x)) ? tree.left[node] : tree.right[node];
  }
  const missing = tree.missingType[node];
  let value = x;
  if (Number.isNaN(value) && missing !== MISSING_NAN) value = 0;
  if (
    (missing === MISSING_ZERO && value >= -LIGHTGBM_ZERO && value <= LIGHTGBM_ZERO) ||
    (missing === MISSING_NAN && Number.isNaN(value))
  ) {
    return tree.defaultLeft[node] ? tree.left[node] : tree.right[node];
  }
  return value <= tree.threshold[node] ? tree.left[node] : tree.right[node];
}

function buildModel(model: TreesModelJson, features: readonly FeatureInfo[]): FittedModel<TreesModelJson> {
  const trees = model.trees.map((tree) => compileTree(tree, model.arithmetic));
  const isXgboostRule = model.comparison === 'less';
  const step = isXgboostRule ? xgboostNext : lightgbmNext;
  const float32 = model.arithmetic === 'float32';
  const baseMargin = float32 ? Math.fround(model.baseMargin) : model.baseMargin;
  const isBinary = model.task === 'binary';
  const featureCount = model.featureNames.length;

  const leafOf = (tree: CompiledTree, row: ArrayLike<number>): number => {
    let node = 0;
    while (tree.left[node] >= 0) node = step(tree, node, row[tree.feature[node]]);
    return node;
  };
  const margin = (row: ArrayLike<number>): number => {
    let sum = baseMargin;
    if (float32) {
      for (const tree of trees) sum = Math.fround(sum + tree.value[leafOf(tree, row)]);
    } else {
      for (const tree of trees) sum += tree.value[leafOf(tree, row)];
    }
    return sum;
  };
  // XGBoost's sigmoid is float32 throughout (1.0f / (1.0f + expf(-x))); LightGBM's is float64.
  const link = !isBinary
    ? (m: number) => m
    : float32
      ? (m: number) => Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-m))))
      : (m: number) => 1 / (1 + Math.exp(-m));
  const predictRow = (row: ArrayLike<number>) => link(margin(row));

  /**
   * The hand-off to TreeSHAP. `trees[t]` exposes each node's children, split feature, leaf value
   * (margin units, float32-rounded for XGBoost) and cover; `baseMargin` is the margin before any
   * tree; `next(t, node, row)` is exactly the rule scoring uses at that node (comparison, float32
   * rounding, missing values, category sets), so a path TreeSHAP follows is the path scoring took.
   * The margin TreeSHAP's contributions sum to is baseMargin + the leaves reached, added in float64:
   * for XGBoost it can differ from the float32 sum scoring uses by a few float32 ulps.
   */
  const shapForest: ShapForest = {
    trees,
    baseMargin,
    featureCount,
    next: (tree, node, row) => step(trees[tree], node, row[trees[tree].feature[node]]),
  };

  return {
    kind: 'trees',
    json: model,
    features,
    predictRow,
    predictMarginRow: margin,
    predictMatrix(matrix: FeatureMatrix): Float64Array {
      const out = new Float64Array(matrix.rowCount);
      const row = new Float64Array(matrix.columns.length);
      for (let r = 0; r < matrix.rowCount; r++) {
        for (let f = 0; f < row.length; f++) row[f] = matrix.columns[f][r];
        out[r] = predictRow(row);
      }
      return out;
    },
    shapForest,
  };
}

/** Rebuilds an imported forest from the JSON stored in an artifact. */
export function treesFromJson(json: unknown, features: readonly FeatureInfo[]): FittedModel<TreesModelJson> {
  const parsed = treesModelJsonSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`trees model json is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const model = parsed.data;
  const names = features.map((feature) => feature.name);
  if (names.length !== model.featureNames.length || names.some((name, i) => name !== model.featureNames[i])) {
    throw new Error(
      `imported trees model reads features [${model.featureNames.join(', ')}] but was given [${names.join(', ')}]; pass the model's own feature list`,
    );
  }
  checkTrees(model);
  return buildModel(model, features);
}
