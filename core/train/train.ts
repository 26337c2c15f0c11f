import { ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION, type ModelArtifact } from '../artifact/format';
import type { LEARNERS } from '../config/schema';
import { DataError, type DataTable } from '../data/table';
import { fitPipeline } from '../features/pipeline';
import { type LearnerName, trainLearner } from '../learners/catalog';
import type { FittedModel, ProgressListener, Task } from '../learners/types';
import { auc, chooseThreshold, logLoss, mae, r2, rmse } from '../metrics';
import { buildProfile } from '../profile/profile';
import { featureColumns, inferSchema } from '../schema/infer';
import { encodeTarget } from '../schema/target';
import { codeVersion } from '../version';
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
}

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

/** The metric that picks between learners: higher is better (AUC, or negated RMSE). */
function selectionScore(
  task: Task,
  predictions: Float64Array,
  labels: Float64Array,
): { name: string; value: number; better: number } {
  if (task === 'binary') {
    const value = auc(predictions, labels);
    return { name: 'auc', value, better: value };
  }
  const value = rmse(predictions, labels);
  return { name: 'rmse', value, better: -value };
}

function take(values: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

/**
 * Trains a model on a table and returns its artifact: schema inference, target encoding, a
 * seeded stratified split, the feature pipeline fitted on the training rows, every requested
 * learner, selection on validation, metrics and the reference profile.
 */
export function trainModel(table: DataTable, options: TrainOptions): ModelArtifact {
  const source = options.source ?? 'the data';
  const seed = options.seed ?? 42;
  const validationFraction = options.validationFraction ?? 0.2;
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
  const pipeline = fitPipeline(table, features, split.train, target.values);
  const trainMatrix = pipeline.transformTable(table, split.train);
  const validationMatrix = pipeline.transformTable(table, split.validation);

  const candidates: Array<{
    learner: string;
    model: FittedModel;
    predictions: Float64Array;
    score: ReturnType<typeof selectionScore>;
    iterations: number;
  }> = [];
  for (const learner of LEARNERS_OF_CHOICE[learnerChoice]) {
    let iterations = 0;
    const model = trainLearner(
      learner,
      {
        task,
        train: trainMatrix,
        trainTarget,
        validation: validationMatrix,
        validationTarget,
        seed,
        onProgress: (event) => {
          iterations = event.iteration;
          options.onProgress?.(event);
        },
      },
      options.learnerParams?.[learner],
    );
    const predictions = model.predictMatrix(validationMatrix);
    candidates.push({
      learner,
      model,
      predictions,
      score: selectionScore(task, predictions, validationTarget),
      iterations,
    });
  }
  // Strictly better wins, so ties keep the first learner listed (the deterministic order above).
  const best = candidates.reduce((a, b) => (b.score.better > a.score.better ? b : a));
  if (candidates.length > 1) note(`kept ${best.learner}: validation ${best.score.name} ${best.score.value.toFixed(4)}`);

  let validation: ModelArtifact['metrics']['validation'];
  let threshold: number | undefined;
  if (task === 'binary') {
    const chosen = chooseThreshold(best.predictions, validationTarget);
    threshold = chosen.threshold;
    validation = {
      auc: auc(best.predictions, validationTarget),
      logLoss: logLoss(best.predictions, validationTarget),
      threshold: chosen.threshold,
      accuracy: chosen.accuracy,
      precision: chosen.precision,
      recall: chosen.recall,
      f1: chosen.f1,
    };
  } else {
    validation = {
      rmse: rmse(best.predictions, validationTarget),
      mae: mae(best.predictions, validationTarget),
      r2: r2(best.predictions, validationTarget),
    };
  }

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
    pipeline: pipeline.json,
    model: { kind: best.model.kind, json: best.model.json },
    metrics: {
      validation,
      candidates: candidates.map((c) => ({
        learner: c.learner,
        metric: c.score.name,
        value: c.score.value,
        iterations: c.iterations,
      })),
    },
    data: {
      sha256: options.dataSha256,
      rows: table.rowCount,
      columns: table.columnNames.length,
      trainRows: split.train.length,
      validationRows: split.validation.length,
    },
    params: {
      seed,
      learner: learnerChoice,
      validationFraction,
      learnerParams: { ...(options.learnerParams ?? {}) },
    },
    profile: buildProfile(table, schema),
    notes: [...schemaNotes, ...target.notes],
  };
}
