import { ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION, type ModelArtifact } from '../artifact/format';
import type { LEARNERS } from '../config/schema';
import { DataError, type DataTable } from '../data/table';
import { type LearnerName, trainLearner } from '../learners/catalog';
import type { ProgressListener, Task } from '../learners/types';
import { auc, chooseThreshold, logLoss, mae, r2, rmse } from '../metrics';
import { buildProfile } from '../profile/profile';
import { featureColumns, inferSchema } from '../schema/infer';
import { encodeTarget } from '../schema/target';
import { codeVersion } from '../version';
import { DEFAULT_TIME_BUDGET_SECONDS, runSearch, searchOrder } from './search';
import {
  allRows,
  evaluateCandidate,
  meanIterations,
  prepareFold,
  refitSettings,
  selectionSplits,
  take,
} from './selection';
import { splitRows } from './split';

/** The config's learner setting (core/config/schema.ts LEARNERS). */
export type LearnerChoice = (typeof LEARNERS)[number];

export interface TrainOptions {
  readonly target: string;
  readonly positiveLabel?: string;
  readonly task?: Task;
  /** Feature columns to use; absent: all usable columns. */
  readonly features?: readonly string[];
  /** `auto` trains every learner and keeps the best on validation. @default 'auto' */
  readonly learner?: LearnerChoice;
  /** @default 42 */
  readonly seed?: number;
  /** @default 0.2 */
  readonly validationFraction?: number;
  /** Per-learner parameters, e.g. `{ gbdt: { maxDepth: 4 } }`. */
  readonly learnerParams?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** SHA-256 of the source bytes, recorded as lineage. */
  readonly dataSha256: string;
  /** Where the data came from, for messages. */
  readonly source?: string;
  /** ISO time recorded in the artifact. @default SOURCE_DATE_EPOCH when set, else now */
  readonly createdAt?: string;
  readonly onProgress?: ProgressListener;
  /** Receives one line per decision the user should know about. */
  readonly onNote?: (note: string) => void;
  /**
   * Seconds the settings search may run after each learner's defaults; it only truncates the
   * fixed search order. @default DEFAULT_TIME_BUDGET_SECONDS
   */
  readonly timeBudgetSeconds?: number;
  /**
   * Refit the kept model on every row, the validation hold-out included. Only for a local
   * `mlops train`: in the retraining workflow the gate scores the candidate on that hold-out
   * (core/workflow/held-out.ts), so it must never be trained on. @default false
   */
  readonly refitIncludesHoldOut?: boolean;
  /**
   * Refit the chosen settings on all refit rows. `false` keeps the model the holdout selection
   * already trained (one fit instead of two, as a plain pandas + XGBoost script does), at the
   * refit's gain (measured: +0.002 test AUC at 100,000 rows of the bench's synthetic data, +0.011
   * at 2,000). k-fold selection always refits: it has no single model to keep. @default true
   */
  readonly refit?: boolean;
  /** Clock in milliseconds for the time budget (tests inject one). @default performance.now */
  readonly now?: () => number;
}

function sameRows(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && a.every((row, i) => row === b[i]);
}

/** The split's defaults; a window run's assembly (core/workflow/training-set.ts) re-derives the gate's split with them. */
export const DEFAULT_SEED = 42;
export const DEFAULT_VALIDATION_FRACTION = 0.2;

/** Fewer usable rows than this cannot give a meaningful validation split. */
export const MIN_TRAINING_ROWS = 30;

const LEARNERS_OF_CHOICE: Record<LearnerChoice, readonly LearnerName[]> = {
  auto: ['gbdt', 'linear'],
  gbdt: ['gbdt'],
  linear: ['linear'],
};

function resolveCreatedAt(explicit?: string): string {
  if (explicit) return explicit;
  const epoch = process.env.SOURCE_DATE_EPOCH;
  // SOURCE_DATE_EPOCH (reproducible-builds convention) makes the artifact byte-identical across runs.
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

/**
 * Trains a model on a table and returns its artifact: schema inference, target encoding, a
 * seeded stratified split (the hold-out the gate re-derives), a time-budgeted settings search
 * scored by k-fold or a validation split (core/train/selection.ts), a refit of the chosen
 * settings on the refit rows, held-out metrics and the reference profile.
 */
export function trainModel(table: DataTable, options: TrainOptions): ModelArtifact {
  const source = options.source ?? 'the data';
  const seed = options.seed ?? DEFAULT_SEED;
  const validationFraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  const learnerChoice = options.learner ?? 'auto';
  const note = (line: string) => options.onNote?.(line);
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new DataError(`validationFraction must be between 0 and 1, got ${validationFraction}`);
  }
  if (table.rowCount === 0) throw new DataError(`${source} has a header but no data rows`);

  const { schema, notes: schemaNotes } = inferSchema(table, {
    target: options.target,
    features: options.features,
    source,
  });
  schemaNotes.forEach(note);
  const targetColumn = table.columns[table.columnNames.indexOf(options.target)];
  const target = encodeTarget(targetColumn, {
    target: options.target,
    task: options.task,
    positiveLabel: options.positiveLabel,
    source,
  });
  target.notes.forEach(note);
  if (target.missingCount > 0) note(`${target.missingCount} row(s) with a missing target skipped`);
  const usableRows = table.rowCount - target.missingCount;
  if (usableRows < MIN_TRAINING_ROWS) {
    throw new DataError(`${source} has ${usableRows} usable row(s); training needs at least ${MIN_TRAINING_ROWS}`);
  }
  const task = target.encoding.task;
  const split = splitRows(target.values, { seed, validationFraction, stratify: task === 'binary' });
  const trainTarget = take(target.values, split.train);
  const validationTarget = take(target.values, split.validation);
  if (
    task === 'binary' &&
    (!trainTarget.includes(1) ||
      !trainTarget.includes(0) ||
      !validationTarget.includes(1) ||
      !validationTarget.includes(0))
  ) {
    throw new DataError(
      `${source}: each class needs rows in both the training and validation splits; add rows of the rarer class`,
    );
  }

  const features = featureColumns(schema);
  const refitIncludesHoldOut = options.refitIncludesHoldOut ?? false;
  const timeBudgetSeconds = options.timeBudgetSeconds ?? DEFAULT_TIME_BUDGET_SECONDS;
  // The rows the kept model trains on; the gate's hold-out stays out unless the caller says otherwise.
  const refitRows = refitIncludesHoldOut ? allRows(split) : split.train;
  const selection = selectionSplits(target.values, refitRows, { seed, validationFraction, task });
  const folds = selection.splits.map((rows) => prepareFold(table, features, target.values, rows));

  const search = runSearch(
    searchOrder(LEARNERS_OF_CHOICE[learnerChoice], options.learnerParams),
    (candidate) => evaluateCandidate(candidate, folds, { task, seed, onProgress: options.onProgress }),
    { budgetSeconds: timeBudgetSeconds, now: options.now },
  );
  const chosen = search.evaluated[search.best];
  if (search.evaluated.length > 1) {
    note(
      `kept ${chosen.learner} ${JSON.stringify(chosen.settings)}: ${selection.method} ${chosen.result.name} ${chosen.result.value.toFixed(4)} (${search.evaluated.length} candidate(s)${search.truncated ? ', time budget reached' : ''})`,
    );
  }

  const fitWith = (rows: Uint32Array) => {
    const fold = prepareFold(table, features, target.values, { train: rows, validation: new Uint32Array(0) });
    const settings = refitSettings(chosen, folds, rows.length);
    return {
      fold,
      model: trainLearner(chosen.learner, { ...fold.input, task, seed, onProgress: options.onProgress }, settings),
    };
  };
  // k-fold leaves no single model to keep, so it always refits.
  const refitRequested = options.refit ?? true;
  const refit = refitRequested || selection.method === 'k-fold';
  if (refit && !refitRequested) note('refit anyway: k-fold selection keeps no single model to use instead');
  const final = refit ? fitWith(refitRows) : { fold: folds[0], model: chosen.result.fits[0].model };
  const keptRows = refit ? refitRows : folds[0].rows.train;
  // The selection split of all rows is the gate's split (same seed and fraction): its fold's
  // model then was trained without the hold-out and already scored exactly it, so no other fit
  // is needed (without a refit, that model is the kept one).
  const selectionScoredHoldOut = selection.method === 'holdout' && sameRows(folds[0].rows.validation, split.validation);
  const keptSawHoldOut = refit && refitIncludesHoldOut;
  // Held-out metrics come from a model that never saw the hold-out: the kept model itself when
  // the hold-out was kept out; otherwise the chosen settings trained on the training split only.
  let heldOutPredictions: Float64Array;
  const heldOutModel: 'kept-model' | 'same-settings-without-hold-out' = keptSawHoldOut
    ? 'same-settings-without-hold-out'
    : 'kept-model';
  if (selectionScoredHoldOut) {
    heldOutPredictions = chosen.result.fits[0].validationPredictions;
  } else if (!keptSawHoldOut) {
    heldOutPredictions = final.model.predictMatrix(final.fold.pipeline.transformTable(table, split.validation));
  } else {
    const withoutHoldOut = fitWith(split.train);
    heldOutPredictions = withoutHoldOut.model.predictMatrix(
      withoutHoldOut.fold.pipeline.transformTable(table, split.validation),
    );
  }

  let validation: ModelArtifact['metrics']['validation'];
  let threshold: number | undefined;
  if (task === 'binary') {
    const decision = chooseThreshold(heldOutPredictions, validationTarget);
    threshold = decision.threshold;
    validation = {
      auc: auc(heldOutPredictions, validationTarget),
      logLoss: logLoss(heldOutPredictions, validationTarget),
      threshold: decision.threshold,
      accuracy: decision.accuracy,
      precision: decision.precision,
      recall: decision.recall,
      f1: decision.f1,
    };
  } else {
    validation = {
      rmse: rmse(heldOutPredictions, validationTarget),
      mae: mae(heldOutPredictions, validationTarget),
      r2: r2(heldOutPredictions, validationTarget),
    };
  }
  // One line per learner, its best settings (the shape artifacts had before the search).
  const bestPerLearner = LEARNERS_OF_CHOICE[learnerChoice].flatMap((learner) => {
    const tried = search.evaluated.filter((c) => c.learner === learner);
    if (tried.length === 0) return [];
    return [tried.reduce((a, b) => (b.result.better > a.result.better ? b : a))];
  });

  return {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    createdAt: resolveCreatedAt(options.createdAt),
    codeVersion: codeVersion(),
    target: {
      name: options.target,
      task,
      ...(target.encoding.task === 'binary'
        ? { positiveLabel: target.encoding.positiveLabel, negativeLabel: target.encoding.negativeLabel, threshold }
        : {}),
    },
    schema,
    pipeline: final.fold.pipeline.json,
    model: { kind: final.model.kind, json: final.model.json },
    metrics: {
      validation,
      candidates: bestPerLearner.map((c) => ({
        learner: c.learner,
        metric: c.result.name,
        value: c.result.value,
        iterations: meanIterations(c.result),
      })),
      heldOutModel,
      selection: {
        method: selection.method,
        folds: folds.length,
        repeats: selection.repeats,
        rows: refitRows.length,
        truncated: search.truncated,
        chosen: search.best,
        evaluated: search.evaluated.map((c) => ({
          learner: c.learner,
          settings: { ...c.settings },
          metric: c.result.name,
          value: c.result.value,
          foldValues: [...c.result.foldValues],
          iterations: [...c.result.iterations],
        })),
      },
    },
    data: {
      sha256: options.dataSha256,
      rows: table.rowCount,
      columns: table.columnNames.length,
      trainRows: split.train.length,
      validationRows: split.validation.length,
      ...(task === 'binary'
        ? { validationPositives: validationTarget.reduce((n, y) => n + (y === 1 ? 1 : 0), 0) }
        : {}),
      refitRows: keptRows.length,
    },
    params: {
      seed,
      learner: learnerChoice,
      validationFraction,
      learnerParams: { ...(options.learnerParams ?? {}) },
      timeBudgetSeconds,
      refitIncludesHoldOut,
      refit,
    },
    profile: buildProfile(table, schema),
    notes: [...schemaNotes, ...target.notes],
  };
}
