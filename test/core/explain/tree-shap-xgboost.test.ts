import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ShapForest, ShapTree } from '../../../core/explain/shap-forest';
import { treeShapExplainer } from '../../../core/explain/tree-shap';
import { requirePython } from '../../support/python';

/** A node of `Booster.get_dump(dump_format='json', with_stats=True)`. */
interface DumpNode {
  readonly nodeid: number;
  readonly cover: number;
  readonly leaf?: number;
  readonly split?: string;
  readonly split_condition?: number;
  readonly yes?: number;
  readonly no?: number;
  readonly missing?: number;
  readonly children?: readonly DumpNode[];
}

interface XgboostRun {
  readonly xgboost: string;
  readonly baseScore: number;
  readonly trees: readonly DumpNode[];
  readonly rows: ReadonlyArray<ReadonlyArray<number | null>>;
  readonly contribs: readonly number[][];
  readonly margins: readonly number[];
}

interface DumpTree extends ShapTree {
  readonly threshold: Float64Array;
  readonly missing: Int32Array;
}

/**
 * The dump as a ShapForest, with XGBoost's own routing: `x < split_condition` goes to `yes`, a
 * missing value (NaN) to `missing`. Test-only: the real importer reads the model file.
 */
function forestFromDump(run: XgboostRun, featureCount: number, objective: string): ShapForest {
  const trees = run.trees.map((root): DumpTree => {
    const nodes: DumpNode[] = [];
    const collect = (node: DumpNode) => {
      nodes[node.nodeid] = node;
      for (const child of node.children ?? []) collect(child);
    };
    collect(root);
    const at = (read: (node: DumpNode) => number) => nodes.map(read);
    return {
      left: Int32Array.from(at((node) => node.yes ?? -1)),
      right: Int32Array.from(at((node) => node.no ?? -1)),
      missing: Int32Array.from(at((node) => node.missing ?? -1)),
      feature: Int32Array.from(at((node) => (node.split === undefined ? -1 : Number(node.split.slice(1))))),
      threshold: Float64Array.from(at((node) => Math.fround(node.split_condition ?? 0))),
      value: Float64Array.from(at((node) => Math.fround(node.leaf ?? 0))),
      cover: Float64Array.from(at((node) => node.cover)),
    };
  });
  const p = run.baseScore;
  return {
    trees,
    baseMargin: objective === 'binary:logistic' ? Math.log(p / (1 - p)) : p,
    featureCount,
    next: (t, node, row) => {
      const tree = trees[t];
      const x = row[tree.feature[node]];
      if (Number.isNaN(x)) return tree.missing[node];
      return x < tree.threshold[node] ? tree.left[node] : tree.right[node];
    },
  };
}

const SCRIPT = join(__dirname, 'fixtures', 'xgboost_contribs.py');
const python = requirePython(['xgboost', 'numpy'], 'TreeSHAP parity with XGBoost pred_contribs');
const describeWithXgboost = python ? describe : describe.skip;

describeWithXgboost('TreeSHAP on an XGBoost model equals its pred_contribs', () => {
  it.each([
    ['binary:logistic', 101],
    ['reg:squarederror', 202],
  ])('%s (seed %d): every contribution and the bias to 1e-5', (objective, seed) => {
    // Given an XGBoost model trained in Python, 40 trees of depth 6, and 200 fresh rows with missing values
    const result = spawnSync(python as string, [SCRIPT, objective, String(seed)], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.status).toBe(0);
    const run = JSON.parse(result.stdout) as XgboostRun;
    const featureCount = run.rows[0].length;
    const explainer = treeShapExplainer(forestFromDump(run, featureCount, objective));
    let largest = 0;
    run.rows.forEach((cells, r) => {
      const row = Float64Array.from(cells, (cell) => (cell === null ? Number.NaN : cell));
      // When explained by our TreeSHAP over the dumped trees
      const phi = explainer.explainRow(row);
      // Then each feature's contribution and the bias match XGBoost's (computed in float32)
      for (let f = 0; f < featureCount; f++) largest = Math.max(largest, Math.abs(phi[f] - run.contribs[r][f]));
      largest = Math.max(largest, Math.abs(explainer.baseValue - run.contribs[r][featureCount]));
      const total = phi.reduce((sum, value) => sum + value, explainer.baseValue);
      expect(total).toBeCloseTo(run.margins[r], 4);
    });
    expect(largest).toBeLessThan(1e-5);
  });
});
