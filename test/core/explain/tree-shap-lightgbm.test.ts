import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeShapExplainer } from '../../../core/explain/tree-shap';
import { parseLightgbmModel } from '../../../core/import/lightgbm';
import { treesFromJson } from '../../../core/learners/trees';
import { bruteForceShapley } from './brute-force-shapley';

/**
 * lgb-shap.txt, written by hand from LightGBM's text format (no Debian package makes one); leaf
 * values include the shrinkage, as LightGBM writes them.
 * Tree 0: age <= 40 (missing type NaN, default left)
 *   yes: income <= 30000 (type zero, default right: 0 and NaN go right) -> 0.4,
 *        else age <= 25 (type none: NaN compares as 0) -> -0.2 / 0.1  (age twice on one path)
 *   no:  city in {0, 2} (categorical) -> 0.6, else (other, negative or NaN codes) -0.5
 * Tree 1: score <= 0.5 (type NaN, default right) -> income <= 50000 (type none) -> 0.3 / -0.1, else -0.35
 * Covers are the leaf and internal counts.
 */
const FIXTURE = join(__dirname, 'fixtures', 'lgb-shap.txt');

function loadForest() {
  const imported = parseLightgbmModel(readFileSync(FIXTURE), 'lgb-shap.txt');
  const model = treesFromJson(
    imported.model,
    imported.model.featureNames.map((name) => ({ name, kind: 'numeric' as const })),
  );
  return { imported, model, forest: model.shapForest! };
}

const NaN_ = Number.NaN;

describe('TreeSHAP on a hand-written LightGBM model', () => {
  const { imported, model, forest } = loadForest();
  const explainer = treeShapExplainer(forest);
  // age, income, city (categorical code), score: thresholds met exactly, NaN and 0 for each
  // missing type, codes in the set, outside it and negative.
  const rows = [
    [30, 20000, 0, 0.2],
    [40, 30000, 2, 0.5],
    [25, 0, 1, 0.9],
    [NaN_, 45000, 3, NaN_],
    [60, NaN_, 0, -0.3],
    [60, 80000, 2, 0.7],
    [NaN_, NaN_, NaN_, NaN_],
    [22, 35000, -1, 0],
    [41, 10000, 7, 0.51],
  ].map((row) => Float64Array.from(row));

  test('the fixture reads as written: four features, one categorical, two trees', () => {
    expect(imported.model.featureNames).toEqual(['age', 'income', 'city', 'score']);
    expect(imported.categoricalFeatures).toEqual([2]);
    expect(imported.model.trees.map((tree) => tree.left.length)).toEqual([9, 5]);
    // A row worked out by hand: age 30 <= 40, income 20000 <= 30000: leaf 0.4; score 0.2 <= 0.5,
    // income <= 50000: 0.3. Margin 0.7.
    expect(model.predictMarginRow?.(rows[0])).toBeCloseTo(0.7, 15);
  });

  test.each(rows.map((row, index) => [index + 1, row] as const))(
    'row %d: each contribution and the base equal brute-force Shapley values',
    (_, row) => {
      // When explained by TreeSHAP and by enumerating all 16 coalitions with the model's own routing
      const phi = explainer.explainRow(row);
      const expected = bruteForceShapley(forest, row);
      // Then they agree, and the contributions add up to the model's margin
      expect(explainer.baseValue).toBeCloseTo(expected.base, 12);
      for (let f = 0; f < forest.featureCount; f++) expect(phi[f]).toBeCloseTo(expected.phi[f], 12);
      const margin = model.predictMarginRow?.(row) as number;
      expect(phi.reduce((sum, value) => sum + value, explainer.baseValue)).toBeCloseTo(margin, 12);
    },
  );
});
