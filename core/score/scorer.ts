import { type ModelArtifact, parseArtifact } from '../artifact/format';
import type { Cell, DataTable } from '../data/table';
import { type TreeShapExplainer, treeShapExplainer } from '../explain/tree-shap';
import { Pipeline } from '../features/pipeline';
import { modelFromJson } from '../learners/catalog';
import type { FittedModel } from '../learners/types';
import { cellToBoolean, cellToNumber } from '../schema/values';
import { capEchoed, clipText } from '../text/clip';

export interface Prediction {
  /** Probability of the positive class (binary) or the predicted value (regression). */
  readonly score: number;
  /** The predicted class label (binary only): positive iff score >= the artifact's threshold. */
  readonly label?: string;
}

export interface ScoringPolicy {
  /** Columns the model does not know: ignored with a warning, or rejected. @default 'warn' */
  readonly unknownFeatures?: 'warn' | 'reject';
  /**
   * Feature columns absent or null: filled as the pipeline says (imputed as in training, or for
   * imported models passed on as missing) with a warning, or rejected. @default 'impute'
   */
  readonly missingFeatures?: 'impute' | 'reject';
}

/** Names a cell of a request in the caller's terms: row index, column name -> e.g. `instances[3].age`. */
export type CellField = (row: number, column: string) => string;

/** Input the scorer refuses, naming the instance and field. Maps to HTTP 400. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Asked for explanations of a model that has none (a linear one, or a GBDT stored without node cover). Maps to HTTP 400. */
export class ExplanationUnavailableError extends InputError {}

/**
 * Contributions of each input column to the margin (log-odds for binary, the prediction for
 * regression): `baseValue` plus a row's contributions is that row's margin.
 */
export interface Explanations {
  /** The model's margin with no feature known (TreeSHAP's expected value). */
  readonly baseValue: number;
  /** The input columns the contributions are for, in `pipeline.inputColumns` order. */
  readonly columns: readonly string[];
  /** Column-major: `contributions[c][row]`. */
  readonly contributions: readonly Float64Array[];
}

/** What the margin means: log-odds for binary models, the prediction itself for regression. */
export type MarginUnits = 'log-odds' | 'prediction';

/**
 * Scores rows with a model artifact. Built once per artifact (the endpoint caches it); every path
 * that scores (HTTPS, batch, stream, evaluation) goes through here, so they cannot disagree.
 */
/** What scoring does with a missing value, as warnings say it. */
export const MISSING_IMPUTED = 'imputed as in training';
export const MISSING_KEPT = 'passed to the model as missing, so each tree takes its default direction';

export class Scorer {
  readonly pipeline: Pipeline;
  readonly model: FittedModel;
  private readonly knownColumns: Set<string>;
  private readonly featureTypes: Map<string, 'numeric' | 'categorical' | 'boolean'>;
  private readonly threshold: number;
  /** Input columns whose pipeline step keeps missing values as NaN (imported models). */
  private readonly keptMissing: Set<string>;
  private readonly buffer: Float64Array;
  private explainer?: TreeShapExplainer;
  private featureContributions?: Float64Array;

  constructor(readonly artifact: ModelArtifact) {
    this.pipeline = new Pipeline(artifact.pipeline);
    this.model = modelFromJson(artifact.model.kind, artifact.model.json, this.pipeline.features);
    this.knownColumns = new Set(artifact.schema.columns.map((column) => column.name));
    this.featureTypes = new Map(
      artifact.schema.columns.filter((column) => column.role === 'feature').map((column) => [column.name, column.type]),
    );
    this.threshold = artifact.target.threshold ?? 0.5;
    this.keptMissing = new Set(
      artifact.pipeline.steps.flatMap((step) => (step.kind === 'numeric' && step.keepMissing ? [step.column] : [])),
    );
    this.buffer = new Float64Array(this.pipeline.features.length);
  }

  static fromJson(text: string, source?: string): Scorer {
    return new Scorer(parseArtifact(text, source));
  }

  get featureNames(): string[] {
    return [...this.featureTypes.keys()];
  }

  private label(score: number): string | undefined {
    const { target } = this.artifact;
    if (target.task !== 'binary') return undefined;
    return score >= this.threshold ? target.positiveLabel : target.negativeLabel;
  }

  /** The prediction for a score, whichever backend computed it (the label rule lives only here). */
  predictionFor(score: number): Prediction {
    const label = this.label(score);
    return label === undefined ? { score } : { score, label };
  }

  /** What scoring does with a missing value of feature `name`: imputes it, or passes NaN to the trees. */
  missingTreatment(name: string): string {
    return this.keptMissing.has(name) ? MISSING_KEPT : MISSING_IMPUTED;
  }

  /** Feature names grouped by what scoring does with their missing values, in first-seen order. */
  missingGroups(names: readonly string[]): Array<{ treatment: string; names: string[] }> {
    const groups = new Map<string, string[]>();
    for (const name of names) {
      const treatment = this.missingTreatment(name);
      groups.set(treatment, [...(groups.get(treatment) ?? []), name]);
    }
    return [...groups].map(([treatment, group]) => ({ treatment, names: group }));
  }

  /** One row's prediction. No checks: callers validate with `checkRecords` first when input is untrusted. */
  scoreRecord(record: Readonly<Record<string, Cell>>): Prediction {
    return this.predictionFor(this.model.predictRow(this.pipeline.transformRecord(record, this.buffer)));
  }

  /** `scoreRecord` of one row of a table (column names unique), without making the record. */
  scoreTableRow(table: DataTable, row: number): Prediction {
    return this.predictionFor(this.model.predictRow(this.pipeline.transformTableRow(table, row, this.buffer)));
  }

  /**
   * Checks request instances against the model's schema and the policy. Throws InputError naming
   * the first bad field; returns the warnings to send back (unknown columns ignored, missing ones imputed or passed on as missing),
   * at most MAX_ECHOED and a count of the rest, every name clipped.
   */
  checkRecords(records: ReadonlyArray<Readonly<Record<string, Cell>>>, policy: ScoringPolicy = {}): string[] {
    const { table, rowsWithColumn } = recordsAsTable(records);
    return this.checkTable(table, policy, (row, name) => `instances[${row}].${clipText(name)}`, rowsWithColumn);
  }

  /**
   * checkRecords for a request already in columns (every request format of the endpoint): the
   * same rules and messages, one column at a time. `fieldOf` names a cell in the caller's format
   * (e.g. `dataframe_split.data[3][2]`); `rowsWithColumn[c]` counts the rows that sent column c
   * (a record may leave a key out), every row when absent. The error is the first bad cell in
   * row order, then feature order, as a row-by-row check would find it.
   */
  checkTable(
    table: DataTable,
    policy: ScoringPolicy,
    fieldOf: CellField,
    rowsWithColumn?: ArrayLike<number>,
  ): string[] {
    const unknown: Array<{ name: string; count: number }> = [];
    table.columnNames.forEach((name, index) => {
      const count = rowsWithColumn ? rowsWithColumn[index]! : table.rowCount;
      if (!this.knownColumns.has(name) && count > 0) unknown.push({ name, count });
    });
    let firstBad: { row: number; message: (field: string) => string; name: string } | undefined;
    const missingCounts: Array<{ name: string; count: number }> = [];
    for (const [name, type] of this.featureTypes) {
      const index = table.columnNames.indexOf(name);
      const column = index < 0 ? undefined : table.columns[index]!;
      const end = firstBad ? firstBad.row + 1 : table.rowCount;
      let missing = 0;
      for (let row = 0; row < end; row++) {
        const value = column ? column[row] : null;
        if (value === null || value === undefined) {
          if (policy.missingFeatures === 'reject') {
            if (!firstBad || row < firstBad.row) {
              firstBad = { row, name, message: (field) => `${field} is missing; the model requires it` };
            }
            break;
          }
          missing++;
          continue;
        }
        // The common case first: a finite number in a numeric column needs no further look.
        if (type === 'numeric' && typeof value === 'number' && Number.isFinite(value)) continue;
        const problem = typeProblem(type, value);
        if (problem) {
          if (!firstBad || row < firstBad.row) firstBad = { row, name, message: (field) => `${field} ${problem}` };
          break;
        }
      }
      if (missing > 0) missingCounts.push({ name, count: missing });
    }
    if (firstBad) {
      const field = fieldOf(firstBad.row, firstBad.name);
      const name = clipText(firstBad.name);
      // Formats whose path has no name in it (dataframe_split.data[3][2]) get it in the message.
      throw new InputError(firstBad.message(field.includes(name) ? field : `${field} (${name})`), field);
    }
    if (unknown.length > 0 && policy.unknownFeatures === 'reject') {
      const name = unknown[0]!.name;
      throw new InputError(
        `unknown feature "${clipText(name)}"; the model's features are: ${this.featureNames.join(', ')}`,
        clipText(name),
      );
    }
    // Names are client-chosen (unknown ones) and so is their number: both bounded.
    const warnings: string[] = [];
    for (const { name, count } of unknown) {
      warnings.push(`unknown feature "${clipText(name)}" ignored in ${count} instance(s)`);
    }
    for (const { name, count } of missingCounts)
      warnings.push(`feature "${clipText(name)}" missing in ${count} instance(s); ${this.missingTreatment(name)}`);
    return capEchoed(warnings, 'warning(s)');
  }

  get marginUnits(): MarginUnits {
    return this.artifact.target.task === 'binary' ? 'log-odds' : 'prediction';
  }

  /** Built on first use: a model that is never explained pays nothing. Throws ExplanationUnavailableError. */
  private treeShap(): TreeShapExplainer {
    if (this.explainer) return this.explainer;
    const { shapForest, kind } = this.model;
    if (!shapForest) {
      throw new ExplanationUnavailableError(
        kind === 'linear'
          ? 'explanations are computed for tree models only, and this model is linear'
          : `this ${kind} model was stored without node cover, which explanations need; retrain to enable explanations`,
        'explain',
      );
    }
    this.explainer = treeShapExplainer(shapForest);
    this.featureContributions = new Float64Array(this.explainer.featureCount);
    return this.explainer;
  }

  /** The margin of a row with no feature known; `explainRecord`'s contributions add to it. */
  get explanationBase(): number {
    return this.treeShap().baseValue;
  }

  /** TreeSHAP's work for one row of this model, in path steps (`TreeShapExplainer.stepsPerRow`). */
  get explanationStepsPerRow(): number {
    return this.treeShap().stepsPerRow;
  }

  /**
   * One record's contribution per input column (in `pipeline.inputColumns` order) to its margin,
   * written into `out`: a column's missing indicator counts for the column. No checks, as `scoreRecord`.
   */
  explainRecord(
    record: Readonly<Record<string, Cell>>,
    out: Float64Array = new Float64Array(this.pipeline.inputColumns.length),
  ): Float64Array {
    const explainer = this.treeShap();
    const phi = explainer.explainRow(this.pipeline.transformRecord(record, this.buffer), this.featureContributions);
    out.fill(0);
    const inputOf = this.pipeline.inputOfFeature;
    for (let f = 0; f < phi.length; f++) out[inputOf[f]] += phi[f];
    return out;
  }

  /** Explanations of every row of a table (`mlops predict --explain`). */
  explainTable(table: DataTable): Explanations {
    const explainer = this.treeShap();
    const matrix = this.pipeline.transformTable(table);
    const columns = this.pipeline.inputColumns;
    const contributions = columns.map(() => new Float64Array(table.rowCount));
    const row = new Float64Array(matrix.columns.length);
    const phi = new Float64Array(explainer.featureCount);
    const inputOf = this.pipeline.inputOfFeature;
    for (let r = 0; r < table.rowCount; r++) {
      for (let f = 0; f < row.length; f++) row[f] = matrix.columns[f][r];
      explainer.explainRow(row, phi);
      for (let f = 0; f < phi.length; f++) contributions[inputOf[f]][r] += phi[f];
    }
    return { baseValue: explainer.baseValue, columns, contributions };
  }

  /** Scores every row of a table (batch scoring, evaluation). */
  scoreTable(table: DataTable): { scores: Float64Array; labels?: string[] } {
    const matrix = this.pipeline.transformTable(table);
    const scores = this.model.predictMatrix(matrix);
    if (this.artifact.target.task !== 'binary') return { scores };
    return { scores, labels: Array.from(scores, (score) => this.label(score)!) };
  }
}

/** Request records as columns, and how many records carried each key (a key may be left out of some). */
function recordsAsTable(records: ReadonlyArray<Readonly<Record<string, Cell>>>): {
  table: DataTable;
  rowsWithColumn: number[];
} {
  const indexOf = new Map<string, number>();
  const columns: Cell[][] = [];
  const rowsWithColumn: number[] = [];
  records.forEach((record, row) => {
    for (const key of Object.keys(record)) {
      let index = indexOf.get(key);
      if (index === undefined) {
        index = columns.length;
        indexOf.set(key, index);
        columns.push(new Array<Cell>(records.length).fill(null));
        rowsWithColumn.push(0);
      }
      columns[index]![row] = record[key] ?? null;
      rowsWithColumn[index]!++;
    }
  });
  return { table: { columnNames: [...indexOf.keys()], columns, rowCount: records.length }, rowsWithColumn };
}

function typeProblem(type: 'numeric' | 'categorical' | 'boolean', value: Cell): string | undefined {
  switch (type) {
    case 'numeric':
      if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'must be a finite number';
      if (typeof value === 'string' && Number.isFinite(cellToNumber(value))) return undefined;
      return `must be a number, got ${describe(value)}`;
    case 'boolean':
      return cellToBoolean(value) === null ? `must be a boolean, got ${describe(value)}` : undefined;
    case 'categorical':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? undefined
        : `must be a string, got ${describe(value)}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${clipText(value, 40)}"`;
  return typeof value === 'object' ? 'an object' : String(value);
}
