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

  /**
   * Checks request instances against the model's schema and the policy. Throws InputError naming
   * the first bad field; returns the warnings to send back (unknown columns ignored, missing ones imputed or passed on as missing),
   * at most MAX_ECHOED and a count of the rest, every name clipped.
   */
  checkRecords(records: ReadonlyArray<Readonly<Record<string, Cell>>>, policy: ScoringPolicy = {}): string[] {
    const unknownCounts = new Map<string, number>();
    const missingCounts = new Map<string, number>();
    records.forEach((record, index) => {
      for (const key of Object.keys(record)) {
        if (!this.knownColumns.has(key)) unknownCounts.set(key, (unknownCounts.get(key) ?? 0) + 1);
      }
      for (const [name, type] of this.featureTypes) {
        const value = Object.hasOwn(record, name) ? record[name] : null;
        if (value === null || value === undefined) {
          if (policy.missingFeatures === 'reject') {
            throw new InputError(
              `instances[${index}].${clipText(name)} is missing; the model requires it`,
              `instances[${index}].${clipText(name)}`,
            );
          }
          missingCounts.set(name, (missingCounts.get(name) ?? 0) + 1);
          continue;
        }
        const problem = typeProblem(type, value);
        if (problem) {
          const field = `instances[${index}].${clipText(name)}`;
          throw new InputError(`${field} ${problem}`, field);
        }
      }
    });
    if (unknownCounts.size > 0 && policy.unknownFeatures === 'reject') {
      const [name] = unknownCounts.keys();
      throw new InputError(
        `unknown feature "${clipText(name)}"; the model's features are: ${this.featureNames.join(', ')}`,
        clipText(name),
      );
    }
    // Names are client-chosen (unknown ones) and so is their number: both bounded.
    const warnings: string[] = [];
    for (const [name, count] of unknownCounts) {
      warnings.push(`unknown feature "${clipText(name)}" ignored in ${count} instance(s)`);
    }
    for (const [name, count] of missingCounts) {
      warnings.push(`feature "${clipText(name)}" missing in ${count} instance(s); ${this.missingTreatment(name)}`);
    }
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
