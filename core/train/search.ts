/**
 * The settings search: a fixed, ordered list of candidate (learner, settings) pairs, tried in
 * order until the time budget runs out. The order never depends on results or timing; the budget
 * only truncates it, so a generous budget gives the same artifact on every machine, and the
 * artifact records which candidates were evaluated when it did not.
 */
import type { LearnerName } from '../learners/catalog';

/** Numeric overrides of one learner's defaults (GbdtParams / LinearParams fields). */
export type Settings = Readonly<Record<string, unknown>>;

export interface SearchCandidate {
  readonly learner: LearnerName;
  readonly settings: Settings;
}

/**
 * L2 strength on the mean loss (LinearParams.l2); scikit-learn's C maps to l2 = 1 / (C * rows),
 * so for 1,000 rows this spans C = 0.001 .. 100. The current default (1e-4) is tried first.
 */
export const LINEAR_L2_GRID: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-5, 1e-1, 1];

/**
 * GBDT settings beyond the defaults (depth 6, learning rate 0.1, min child weight 1, no
 * subsampling). Cheap settings (learning rate 0.1) come before slow ones; each sampled setting
 * (rows and columns, drawn from the training seed, so as reproducible as the rest) follows its
 * unsampled counterpart. Slower learning rates get more rounds so early stopping, not the cap,
 * ends them. Measured with the quality bench's folds on its generated sets plus re-drawn
 * replicates (other random states and fold seeds, 10 sets): the sampled entries moved the mean
 * AUC gap to the better of XGBoost and logistic regression from +0.0001 to +0.0005, and were
 * kept in 23 of the 34 outer folds that kept a GBDT.
 */
export const GBDT_GRID: readonly Settings[] = [
  {},
  { maxDepth: 3 },
  { subsample: 0.8, colsampleByTree: 0.8 },
  { maxDepth: 4, minChildWeight: 5, learningRate: 0.05, nEstimators: 600 },
  { maxDepth: 2 },
  { maxDepth: 3, subsample: 0.8, colsampleByTree: 0.8 },
  { maxDepth: 6, minChildWeight: 10, learningRate: 0.05, nEstimators: 600 },
  { maxDepth: 8, minChildWeight: 3 },
  { maxDepth: 6, subsample: 0.7, colsampleByTree: 0.5, learningRate: 0.05, nEstimators: 600 },
];

const GRIDS: Record<LearnerName, readonly Settings[]> = {
  linear: LINEAR_L2_GRID.map((l2) => ({ l2 })),
  gbdt: GBDT_GRID,
};

/**
 * Seconds of search after each learner's first candidate; measured on the local walk-through
 * (docs/local.md) the whole grid of its small data set fits well within it.
 */
export const DEFAULT_TIME_BUDGET_SECONDS = 60;

/**
 * The candidates in the order they are tried: each learner's defaults first (so even a zero
 * budget trains every requested learner), then the rest of the linear grid (cheap), then the rest
 * of the GBDT grid. A learner the user gave explicit settings for is not searched: those settings
 * are its only candidate.
 */
export function searchOrder(
  learners: readonly LearnerName[],
  userParams: Readonly<Record<string, Settings>> = {},
): SearchCandidate[] {
  const gridOf = (learner: LearnerName): Settings[] => {
    const user = userParams[learner];
    if (user && Object.keys(user).length > 0) return [{ ...user }];
    return GRIDS[learner].map((settings) => ({ ...settings }));
  };
  const grids = learners.map((learner) => ({ learner, grid: gridOf(learner) }));
  const first = grids.map(({ learner, grid }) => ({ learner, settings: grid[0] }));
  const byCost = [...grids].sort((a, b) => Number(a.learner === 'gbdt') - Number(b.learner === 'gbdt'));
  const rest = byCost.flatMap(({ learner, grid }) => grid.slice(1).map((settings) => ({ learner, settings })));
  return [...first, ...rest];
}

export interface Scored {
  /** Higher is better (AUC, or negated RMSE). */
  readonly better: number;
}

export interface SearchResult<T extends Scored> {
  readonly evaluated: Array<SearchCandidate & { readonly result: T }>;
  /** Index into `evaluated` of the best (strictly better wins, so ties keep the earlier one). */
  readonly best: number;
  /** True when the budget stopped the search before the end of the list. */
  readonly truncated: boolean;
}

/**
 * Evaluates candidates in order; before each one after the first of its learner, stops when
 * `budgetSeconds` have passed since the start (`now` in milliseconds, injectable for tests).
 */
export function runSearch<T extends Scored>(
  candidates: readonly SearchCandidate[],
  evaluate: (candidate: SearchCandidate) => T,
  options: { budgetSeconds: number; now?: () => number },
): SearchResult<T> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const seen = new Set<LearnerName>();
  const evaluated: Array<SearchCandidate & { result: T }> = [];
  let truncated = false;
  for (const candidate of candidates) {
    const required = !seen.has(candidate.learner);
    if (!required && now() - started >= options.budgetSeconds * 1000) {
      truncated = true;
      break;
    }
    seen.add(candidate.learner);
    evaluated.push({ ...candidate, result: evaluate(candidate) });
  }
  let best = 0;
  for (let i = 1; i < evaluated.length; i++) if (evaluated[i].result.better > evaluated[best].result.better) best = i;
  return { evaluated, best, truncated };
}
