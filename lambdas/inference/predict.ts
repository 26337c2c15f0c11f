import type { DataTable } from '../../core/data/table';
import type { CellField, Prediction, ScoringPolicy } from '../../core/score/scorer';
import type { ServingModel } from '../shared/model-cache';

/** Where scores come from once the request is validated: this function, or a SageMaker endpoint. */
export interface ScoringBackend {
  readonly kind: 'in-process' | 'sagemaker';
  /** One prediction per row of the request's table, in order. */
  score(model: ServingModel, rows: DataTable): Promise<Prediction[]>;
}

/**
 * Below this many rows a request is scored row by row: the column path's fixed cost (buffers per
 * tree chunk, a cached number column per feature) is more than a few rows' tree walks.
 */
export const ROW_BY_ROW_BELOW = 8;

/**
 * Scores in the function with the model's own fitted pipeline (the default). Large requests go
 * column by column, the batch path's transformTable and predictMatrix, several times faster per
 * row than a tree walk per row; small ones row by row (the same arithmetic either way, see
 * test/core/features).
 */
export const inProcessBackend: ScoringBackend = {
  kind: 'in-process',
  score: async (model, rows) => {
    const { scorer } = model;
    if (rows.rowCount < ROW_BY_ROW_BELOW) {
      const predictions = new Array<Prediction>(rows.rowCount);
      for (let row = 0; row < rows.rowCount; row++) predictions[row] = scorer.scoreTableRow(rows, row);
      return predictions;
    }
    const scores = scorer.model.predictMatrix(scorer.pipeline.transformTable(rows));
    const predictions = new Array<Prediction>(scores.length);
    for (let row = 0; row < scores.length; row++) predictions[row] = scorer.predictionFor(scores[row]!);
    return predictions;
  },
};

export interface PredictResponse {
  readonly model: { readonly name: string; readonly version: number };
  readonly predictions: readonly Prediction[];
  readonly warnings: readonly string[];
  /** Models with a feature view: per prediction, the features read from the online store. */
  readonly fromStore?: ReadonlyArray<readonly string[]>;
}

/**
 * POST /predict after the request-level checks: the scorer checks every row against the model's
 * schema and the policy (throwing InputError naming the field as `fieldOf` spells it in the
 * request's format), then the backend scores.
 */
export async function predict(
  model: ServingModel,
  rows: DataTable,
  policy: ScoringPolicy,
  backend: ScoringBackend,
  fieldOf: CellField,
  rowsWithColumn?: readonly number[],
): Promise<PredictResponse> {
  // Already bounded by the scorer: a body of thousands of made-up fields must not make a response too large for Lambda.
  const warnings = model.scorer.checkTable(rows, policy, fieldOf, rowsWithColumn);
  const predictions = await backend.score(model, rows);
  return { model: { name: model.name, version: model.version }, predictions, warnings };
}

export interface ModelDescription {
  readonly model: {
    readonly name: string;
    readonly version: number;
    /** When the artifact was trained. */
    readonly createdAt: string;
    /** When this version became the served alias, and how. */
    readonly servedSince: string;
    readonly alias: string;
    readonly codeVersion: string;
  };
  readonly target: {
    readonly name: string;
    readonly task: 'binary' | 'regression';
    readonly positiveLabel?: string;
    readonly negativeLabel?: string;
    readonly threshold?: number;
  };
  /** The features a request may send, with their types; anything else is unknown. */
  readonly schema: { readonly features: ReadonlyArray<{ readonly name: string; readonly type: string }> };
  readonly scoring: { readonly backend: ScoringBackend['kind'] };
}

/** GET /: what is being served. */
export function describeModel(model: ServingModel, backend: ScoringBackend): ModelDescription {
  const { artifact } = model.scorer;
  return {
    model: {
      name: model.name,
      version: model.version,
      createdAt: artifact.createdAt,
      servedSince: model.alias.movedAt,
      alias: model.alias.alias,
      codeVersion: artifact.codeVersion,
    },
    target: { ...artifact.target },
    schema: {
      features: artifact.schema.columns
        .filter((column) => column.role === 'feature')
        .map((column) => ({ name: column.name, type: column.type })),
    },
    scoring: { backend: backend.kind },
  };
}
