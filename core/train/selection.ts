/**
 * Choosing a learner's settings on rows the candidate did not train on: stratified k-fold
 * cross-validation below {@link KFOLD_BELOW_ROWS} rows, one seeded validation split above; and
 * the settings of the refit on all selection rows (GBDT: the early-stopped tree count scaled up).
 */

import type { DataTable } from '../data/table';
import { fitPipeline, type Pipeline } from '../features/pipeline';
import { trainLearner } from '../learners/catalog';
import type { GbdtModelJson } from '../learners/gbdt';
import type { LinearModelJson } from '../learners/linear';
import type { FittedModel, ProgressListener, Task, TrainInput } from '../learners/types';
import { auc, rmse } from '../metrics';
import type { ColumnSchema } from '../schema/types';
import type { SearchCandidate, Settings } from './search';
import { kFoldSplits, type Split, splitRows } from './split';

/**
 * Below this many selection rows, one 20% validation split is too noisy to choose settings
 * (a 1,000-row split validates on 200 rows: an AUC standard error near 0.02, larger than the
 * differences between candidates), so every row validates once in k-fold. Above it, one split
 * validates on >= 1,000 rows and k-fold would cost k times the training time where it matters most.
 */
export const KFOLD_BELOW_ROWS = 5_000;
export const KFOLD_COUNT = 5;
/**
 * Below this many selection rows, k-fold is repeated KFOLD_REPEATS times over differently shuffled
 * folds. A 5-fold score of 300 rows still swings with the one partition drawn (validation folds
 * of 60 rows; measured: a candidate's fold-mean AUC moved by up to 0.06 between seeds), enough
 * to pick a worse candidate among ~15 close ones; three partitions average that out, at a cost
 * that stays small because the data are.
 */
export const REPEAT_KFOLD_BELOW_ROWS = 1_000;
export const KFOLD_REPEATS = 3;

export function take(values: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

/** Every row of a split, in row order. */
export function allRows(split: Split): Uint32Array {
  const rows = new Uint32Array(split.train.length + split.validation.length);
  rows.set(split.train);
  rows.set(split.validation, split.train.length);
  return rows.sort();
}

export interface SelectionSplits {
  readonly method: 'k-fold' | 'holdout';
  /** k-fold: how many differently shuffled k-fold partitions `splits` holds (k each). */
  readonly repeats: number;
  readonly splits: Split[];
}

/**
 * The train/validation splits candidates are scored on, all within `rows`. The holdout split of
 * `rows` uses the same seed and fraction as the gate's split, so when `rows` are all the rows it
 * is exactly that split.
 */
export function selectionSplits(
  target: Float64Array,
  rows: Uint32Array,
  options: { seed: number; validationFraction: number; task: Task },
): SelectionSplits {
  const stratify = options.task === 'binary';
  const values = take(target, rows);
  const minority = stratify ? Math.min(...[0, 1].map((c) => values.filter((y) => y === c).length)) : rows.length;
  // k-fold needs every class in every fold; with fewer minority rows than folds it cannot have that.
  if (rows.length < KFOLD_BELOW_ROWS && minority >= KFOLD_COUNT) {
    const repeats = rows.length < REPEAT_KFOLD_BELOW_ROWS ? KFOLD_REPEATS : 1;
    // The first partition is the one seed gives alone, so only the repeats are new.
    const splits = Array.from({ length: repeats }, (_, repeat) =>
      kFoldSplits(target, rows, { seed: options.seed + repeat * 7919, folds: KFOLD_COUNT, stratify }),
    ).flat();
    return { method: 'k-fold', repeats, splits };
  }
  const inner = splitRows(values, { seed: options.seed, validationFraction: options.validationFraction, stratify });
  const back = (indices: Uint32Array) => indices.map((i) => rows[i]);
  return { method: 'holdout', repeats: 1, splits: [{ train: back(inner.train), validation: back(inner.validation) }] };
}

export interface PreparedFold {
  readonly rows: Split;
  readonly pipeline: Pipeline;
  readonly input: Omit<TrainInput, 'task' | 'seed' | 'onProgress'>;
}

/** Fits the feature pipeline on the fold's training rows only, so no validation row leaks into it. */
export function prepareFold(
  table: DataTable,
  features: readonly ColumnSchema[],
  target: Float64Array,
  rows: Split,
): PreparedFold {
  const pipeline = fitPipeline(table, features, rows.train, target);
  return {
    rows,
    pipeline,
    input: {
      train: pipeline.transformTable(table, rows.train),
      trainTarget: take(target, rows.train),
      validation: pipeline.transformTable(table, rows.validation),
      validationTarget: take(target, rows.validation),
    },
  };
}

export interface CandidateResult {
  /** `auc` (binary) or `rmse` (regression). */
  readonly name: string;
  /** Mean over folds. */
  readonly value: number;
  /** Higher is better: the value, or the negated RMSE. */
  readonly better: number;
  readonly foldValues: readonly number[];
  /** Per fold: GBDT's early-stopped tree count, or the linear solver's iterations. */
  readonly iterations: readonly number[];
  /**
   * Per fold: the model and its predictions on the fold's validation rows, so the kept model or
   * its held-out scores need no second fit when a fold already is what they need.
   */
  readonly fits: ReadonlyArray<{ readonly model: FittedModel; readonly validationPredictions: Float64Array }>;
}

function iterationsOf(json: unknown): number {
  const model = json as Partial<Pick<GbdtModelJson, 'bestIteration'> & Pick<LinearModelJson, 'iterations'>> & {
    format?: string;
  };
  return model.format === 'gbdt/v1' ? (model.bestIteration ?? 0) : (model.iterations ?? 0);
}

/** Trains the candidate on each fold's training rows and scores it on that fold's validation rows. */
export function evaluateCandidate(
  candidate: SearchCandidate,
  folds: readonly PreparedFold[],
  context: { task: Task; seed: number; onProgress?: ProgressListener },
): CandidateResult {
  const foldValues: number[] = [];
  const iterations: number[] = [];
  const fits: CandidateResult['fits'][number][] = [];
  for (const fold of folds) {
    const model = trainLearner(candidate.learner, { ...fold.input, ...context }, candidate.settings);
    const predictions = model.predictMatrix(fold.input.validation);
    const labels = fold.input.validationTarget;
    foldValues.push(context.task === 'binary' ? auc(predictions, labels) : rmse(predictions, labels));
    iterations.push(iterationsOf(model.json));
    fits.push({ model, validationPredictions: predictions });
  }
  const value = foldValues.reduce((a, b) => a + b, 0) / foldValues.length;
  return {
    name: context.task === 'binary' ? 'auc' : 'rmse',
    value,
    better: context.task === 'binary' ? value : -value,
    foldValues,
    iterations,
    fits,
  };
}

export function meanIterations(result: CandidateResult): number {
  return Math.round(result.iterations.reduce((a, b) => a + b, 0) / result.iterations.length);
}

/**
 * Settings to refit the chosen candidate on `rows` rows without a validation set. GBDT: the
 * folds' mean early-stopped tree count times rows / mean fold training rows. With a fixed
 * learning rate the rounds before overfitting grow with the data (each round fits less noise per
 * leaf); here the ratio is at most 1.25 (k-fold: 5/4; holdout: 1 / (1 - fraction)), a range
 * where linear scaling is the usual rule and where it and a square-root rule differ by < 12%.
 */
export function refitSettings(
  chosen: SearchCandidate & { result: CandidateResult },
  folds: readonly PreparedFold[],
  rows: number,
): Settings {
  if (chosen.learner !== 'gbdt') return chosen.settings;
  const foldRows = folds.reduce((sum, fold) => sum + fold.rows.train.length, 0) / folds.length;
  const trees = (chosen.result.iterations.reduce((a, b) => a + b, 0) / folds.length) * (rows / foldRows);
  return { ...chosen.settings, nEstimators: Math.max(1, Math.round(trees)), earlyStoppingRounds: 0 };
}
