// Over 450 lines on purpose: the whole way from a parsed forest to an artifact (names, schema, label mapping, profile, parity) reads top to bottom in one place; the parsers, the label mapping and the model kind are already apart.
/**
 * An imported forest becomes a model artifact of the same shape `mlops train` writes, so the
 * registry, gate, serving, batch, stream and drift paths read it unchanged: a pipeline of numeric
 * steps that keep missing values as NaN (the trees' default directions route them), the `trees`
 * model kind, a schema and (from a data sample) a reference profile, and the `imported` record
 * with the parity report (docs/artifact-format.md). A categorical feature whose data holds labels
 * gets a step that maps each label to the code the framework saw (core/import/categories.ts).
 */
import { ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION, type ModelArtifact } from '../artifact/format';
import { DataError, type DataTable } from '../data/table';
import { Pipeline, type PipelineJson } from '../features/pipeline';
import { treesFromJson } from '../learners/trees';
import { auc, logLoss, mae, metricsAtThreshold, r2, rmse } from '../metrics';
import { buildProfile } from '../profile/profile';
import { encodeTarget } from '../schema/target';
import type { ColumnSchema, DataSchema } from '../schema/types';
import { cellToCategory, cellToNumber, isNonNumericText } from '../schema/values';
import { codeVersion } from '../version';
import {
  type CategoriesFrom,
  holdsLabels,
  isBooleanLike,
  labelCodeStep,
  labelsAsPandasSortsThem,
  largestCodeUsed,
} from './categories';
import { ImportError } from './import-error';
import type { ImportedModel } from './imported-model';

/** The parity of the imported model with the source framework's own predictions. */
export interface ParityReport {
  /** `measured`: expected predictions were given for the sample rows; else `unmeasured`. */
  readonly status: 'measured' | 'unmeasured';
  /** Rows compared (0 when unmeasured). */
  readonly rows: number;
  /** Largest |ours - theirs| over the rows (probability for binary, prediction for regression); null when unmeasured. */
  readonly maxAbsDifference: number | null;
  /** 0-based sample row of that largest difference; null when unmeasured. */
  readonly worstRow: number | null;
  /** Where the framework's predictions came from (the --expected file), or why there are none. */
  readonly expectedFrom: string;
}

export interface ImportSample {
  readonly table: DataTable;
  readonly sha256: string;
  /** The file the sample came from, for messages. */
  readonly source: string;
}

export interface BuildImportedArtifactOptions {
  readonly imported: ImportedModel;
  readonly modelFile: string;
  readonly modelSha256: string;
  readonly sample?: ImportSample;
  /** The target column in the sample, when it has one. */
  readonly target?: string;
  /** The framework's own predictions on the sample rows, one per row, and the file they came from. */
  readonly expected?: { readonly values: Float64Array; readonly source: string };
  /** Categorical features' labels in code order (`--categories`), and the file they came from. */
  readonly categories?: { readonly labels: ReadonlyMap<string, readonly string[]>; readonly source: string };
  /** A name for the model (the registry name a later registration may use). */
  readonly name?: string;
  /** ISO time to record; SOURCE_DATE_EPOCH or now when absent. */
  readonly createdAt?: string;
}

export interface ImportedArtifact {
  readonly artifact: ModelArtifact;
  readonly parity: ParityReport;
  /** Sample predictions by the imported model (empty without a sample). */
  readonly predictions: Float64Array;
}

/** How the model's features got their names. */
type FeatureNamesFrom = 'model' | 'data' | 'generated';

function resolveFeatureNames(options: BuildImportedArtifactOptions): { names: string[]; from: FeatureNamesFrom } {
  const { imported, sample, target } = options;
  const count = imported.model.featureNames.length;
  if (imported.featureNamesInModel) {
    if (sample) {
      const missing = imported.model.featureNames.filter((name) => !sample.table.columnNames.includes(name));
      if (missing.length > 0) {
        throw new ImportError(
          `--data ${sample.source} lacks the model's feature column(s): ${missing.join(', ')} (the model reads ${imported.model.featureNames.join(', ')})`,
        );
      }
    }
    return { names: [...imported.model.featureNames], from: 'model' };
  }
  if (!sample) return { names: [...imported.model.featureNames], from: 'generated' };
  const columns = sample.table.columnNames.filter((name) => name !== target);
  if (columns.length !== count) {
    throw new ImportError(
      `feature count mismatch: the model reads ${count} unnamed features, but --data ${sample.source} has ${columns.length} column(s) besides the target (${columns.join(', ')}); the model's features are the sample's columns in order`,
    );
  }
  return { names: columns, from: 'data' };
}

function resolveCreatedAt(createdAt: string | undefined): string {
  if (createdAt) return createdAt;
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return epoch ? new Date(Number(epoch) * 1000).toISOString() : new Date().toISOString();
}

function columnStats(
  table: DataTable,
  name: string,
  type: 'numeric' | 'categorical',
): { missingRate: number; uniqueCount: number } {
  const column = table.columns[table.columnNames.indexOf(name)];
  const distinct = new Set<number | string>();
  let missing = 0;
  for (const cell of column) {
    const value = type === 'numeric' ? cellToNumber(cell) : cellToCategory(cell);
    if (value !== null && (typeof value === 'string' || Number.isFinite(value))) distinct.add(value);
    else missing++;
  }
  return { missingRate: table.rowCount === 0 ? 0 : missing / table.rowCount, uniqueCount: distinct.size };
}

/** Numeric features must hold numbers: text there would reach the model as NaN, silently. */
function checkNumericFeatures(table: DataTable, names: readonly string[], source: string) {
  for (const name of names) {
    const column = table.columns[table.columnNames.indexOf(name)];
    const row = column.findIndex(isNonNumericText);
    if (row < 0) continue;
    const found = `--data ${source}: column "${name}" holds text (${JSON.stringify(column[row])} at row ${row + 1})`;
    if (isBooleanLike(column)) {
      throw new ImportError(
        `${found}, yes/no or true/false words, but the model reads it as a number: encode it as the model was trained (for example 1 for yes/true and 0 for no/false) in --data and in what clients send; the import does not guess which word was 1`,
      );
    }
    throw new ImportError(`${found}; it is a numeric feature of the model`);
  }
}

interface LabelledFeature {
  readonly column: string;
  readonly labels: readonly string[];
  readonly from: CategoriesFrom;
}

/**
 * Which categorical features map labels to codes, and in which order: the --categories file's, else
 * (when --data holds text there) the order pandas' astype('category') gives. The rest take codes.
 */
function resolveLabelledFeatures(
  options: BuildImportedArtifactOptions,
  names: readonly string[],
  categoricalIndices: readonly number[],
): LabelledFeature[] {
  const { sample, categories, imported } = options;
  const categoricalNames = categoricalIndices.map((index) => names[index]);
  if (categories) {
    for (const column of categories.labels.keys()) {
      if (categoricalNames.includes(column)) continue;
      throw new ImportError(
        names.includes(column)
          ? `--categories ${categories.source} lists "${column}", which the model reads as a number, not a category`
          : `--categories ${categories.source} lists "${column}", which is not a feature of the model (features: ${names.join(', ')})`,
      );
    }
  }
  const out: LabelledFeature[] = [];
  for (const index of categoricalIndices) {
    const column = names[index];
    const listed = categories?.labels.get(column);
    let feature: LabelledFeature | undefined;
    if (listed) {
      feature = { column, labels: listed, from: 'categories-file' };
    } else if (sample && holdsLabels(sample.table.columns[sample.table.columnNames.indexOf(column)])) {
      const labels = labelsAsPandasSortsThem(sample.table.columns[sample.table.columnNames.indexOf(column)]);
      feature = { column, labels, from: 'data' };
    }
    if (!feature) continue;
    const largest = largestCodeUsed(imported.model, index);
    if (largest >= feature.labels.length) {
      const where =
        feature.from === 'categories-file'
          ? `--categories ${categories?.source} lists`
          : `--data ${sample?.source} holds`;
      throw new ImportError(
        `categorical feature "${column}": ${where} ${feature.labels.length} label(s), but the model splits on category code ${largest}, so it saw more categories; ${feature.from === 'data' ? 'pass --categories with the training categories in code order' : 'list every training category, in code order'}`,
      );
    }
    out.push(feature);
  }
  return out;
}

const PREVIEW_LABELS = 6;

function describeMapping(feature: LabelledFeature, categoriesSource: string | undefined): string {
  const pairs = feature.labels.slice(0, PREVIEW_LABELS).map((label, code) => `${label}=${code}`);
  if (feature.labels.length > PREVIEW_LABELS) pairs.push('...');
  const order =
    feature.from === 'categories-file'
      ? `in the order of --categories ${categoriesSource}`
      : "in the order pandas' astype('category') gives the --data labels (sorted), right only if training saw exactly these labels: pass --categories to be sure";
  return `categorical feature "${feature.column}" maps labels to codes ${order} (${pairs.join(', ')}); an unseen label takes code ${feature.labels.length}, which the model never saw, and a missing one takes the default direction`;
}

/** A difference above this in parity means the model was not imported as the framework scores it. */
const PARITY_TOLERANCE = 1e-6;

function checkParity(
  parity: ParityReport,
  ours: Float64Array,
  expected: BuildImportedArtifactOptions['expected'],
  labelled: readonly LabelledFeature[],
): void {
  if (parity.status !== 'measured' || parity.maxAbsDifference === null || parity.worstRow === null || !expected) return;
  const row = parity.worstRow;
  if (parity.maxAbsDifference <= PARITY_TOLERANCE * Math.max(1, Math.abs(expected.values[row]))) return;
  const hint =
    labelled.length > 0
      ? `; the category order is the likely cause: ${labelled
          .map(
            (feature) =>
              `"${feature.column}" ${feature.from === 'data' ? 'took the sorted --data labels' : 'took the --categories order'} (${feature.labels.slice(0, PREVIEW_LABELS).join(', ')})`,
          )
          .join(', ')}; pass --categories with each column's X[c].cat.categories from the training frame, in code order`
      : '; check that --data holds the rows --expected was predicted on, in the same order, with the features as the model was trained on them';
  throw new ImportError(
    `parity check failed: our predictions differ from --expected ${expected.source} by up to ${parity.maxAbsDifference} (row ${row + 1}: ours ${ours[row]}, the framework's ${expected.values[row]})${hint}`,
  );
}

function compareWithExpected(
  predictions: Float64Array,
  expected: BuildImportedArtifactOptions['expected'],
): ParityReport {
  if (!expected) {
    return {
      status: 'unmeasured',
      rows: 0,
      maxAbsDifference: null,
      worstRow: null,
      expectedFrom:
        predictions.length === 0
          ? 'none: no --data sample to compare on'
          : "none: pass --expected with the framework's own predictions on the --data rows to measure parity",
    };
  }
  if (expected.values.length !== predictions.length) {
    throw new ImportError(
      `--expected ${expected.source} has ${expected.values.length} prediction(s), but --data has ${predictions.length} row(s); one per row, in order`,
    );
  }
  let largest = 0;
  let worst = 0;
  for (let i = 0; i < predictions.length; i++) {
    const difference = Math.abs(predictions[i] - expected.values[i]);
    if (!(difference <= largest)) {
      largest = difference;
      worst = i;
    }
  }
  if (Number.isNaN(largest)) throw new ImportError(`--expected ${expected.source}: row ${worst + 1} is not a number`);
  return {
    status: 'measured',
    rows: predictions.length,
    maxAbsDifference: largest,
    worstRow: predictions.length === 0 ? null : worst,
    expectedFrom: expected.source,
  };
}

/** Parses a file of predictions, one number per line, as the frameworks' predict output is saved. */
export function parseExpectedPredictions(text: string, source: string): Float64Array {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return Float64Array.from(lines, (line, i) => {
    const value = Number(
      line
        .trim()
        .split(/[,\s]+/)
        .pop(),
    );
    if (Number.isNaN(value))
      throw new ImportError(`--expected ${source}: line ${i + 1} ("${line.slice(0, 40)}") is not a number`);
    return value;
  });
}

export function buildImportedArtifact(options: BuildImportedArtifactOptions): ImportedArtifact {
  const { imported, sample, target } = options;
  const task = imported.model.task;
  if (options.expected && !sample) throw new ImportError('--expected needs --data: the predictions are of its rows');
  if (target !== undefined && !sample) throw new ImportError('--target needs --data: it names a column of the sample');
  if (target !== undefined && sample && !sample.table.columnNames.includes(target)) {
    throw new ImportError(
      `--target "${target}" is not a column of --data ${sample.source}; columns are: ${sample.table.columnNames.join(', ')}`,
    );
  }
  const { names, from } = resolveFeatureNames(options);
  if (target !== undefined && names.includes(target)) {
    throw new ImportError(`--target "${target}" is one of the model's features; name the column the model predicts`);
  }
  const model = { ...imported.model, featureNames: names };
  const labelFeatures = resolveLabelledFeatures(options, names, imported.categoricalFeatures);
  const labelledByColumn = new Map(labelFeatures.map((feature) => [feature.column, feature]));
  const coded = imported.categoricalFeatures.map((index) => names[index]).filter((name) => !labelledByColumn.has(name));
  const notes = [...imported.notes];
  if (from === 'generated') {
    notes.push(
      `the model file names no features and no --data was given: features are named ${names[0]}..${names.at(-1)}`,
    );
  } else if (from === 'data') {
    notes.push(`the model file names no features: they are the --data columns in order (${names.join(', ')})`);
  }
  for (const feature of labelFeatures) notes.push(describeMapping(feature, options.categories?.source));
  if (coded.length > 0) {
    notes.push(
      `categorical feature(s) ${coded.join(', ')} take the integer category codes the framework was trained on (no labels in --data and no --categories)`,
    );
  }

  const pipelineJson: PipelineJson = {
    steps: names.map((column) => {
      const feature = labelledByColumn.get(column);
      return feature
        ? labelCodeStep(column, feature.labels)
        : { kind: 'numeric', column, fill: 0, missingIndicator: false, keepMissing: true };
    }),
  };
  const pipeline = new Pipeline(pipelineJson);
  const fitted = treesFromJson(model, pipeline.features);
  const targetName = target ?? 'prediction';

  let columns: ColumnSchema[];
  let predictions: Float64Array = new Float64Array(0);
  let validation: ModelArtifact['metrics']['validation'] = {};
  let profile: unknown = null;
  let positives: number | undefined;
  let labelled = 0;
  // The labels of a binary target as the sample spells them; the frameworks' own 1 and 0 without one.
  let targetLabels = { positiveLabel: '1', negativeLabel: '0' };
  if (sample) {
    const { table } = sample;
    checkNumericFeatures(
      table,
      names.filter((name) => !labelledByColumn.has(name)),
      sample.source,
    );
    predictions = fitted.predictMatrix(pipeline.transformTable(table));
    columns = table.columnNames.map((name): ColumnSchema => {
      if (names.includes(name)) {
        const type = labelledByColumn.has(name) ? 'categorical' : 'numeric';
        return { name, type, role: 'feature', ...columnStats(table, name, type) };
      }
      if (name === target) {
        const type = task === 'binary' ? 'categorical' : 'numeric';
        return { name, type, role: 'target', ...columnStats(table, name, 'numeric') };
      }
      const stats = columnStats(table, name, 'numeric');
      return { name, type: 'numeric', role: 'excluded', excludedReason: 'not read by the imported model', ...stats };
    });
    if (target !== undefined) {
      const encoded = encodeTarget(table.columns[table.columnNames.indexOf(target)], {
        target,
        task,
        source: sample.source,
      });
      notes.push(...encoded.notes);
      const rows = [...encoded.values.keys()].filter((row) => !Number.isNaN(encoded.values[row]));
      const scores = Float64Array.from(rows, (row) => predictions[row]);
      const labels = Float64Array.from(rows, (row) => encoded.values[row]);
      labelled = rows.length;
      if (labelled === 0) throw new DataError(`--data ${sample.source}: target "${target}" has no values`);
      if (task === 'binary') {
        const { accuracy, precision, recall, f1 } = metricsAtThreshold(scores, labels, 0.5);
        validation = {
          auc: auc(scores, labels),
          logLoss: logLoss(scores, labels),
          threshold: 0.5,
          accuracy,
          precision,
          recall,
          f1,
        };
        positives = labels.reduce((sum, label) => sum + label, 0);
      } else {
        validation = { rmse: rmse(scores, labels), mae: mae(scores, labels), r2: r2(scores, labels) };
      }
      if (encoded.encoding.task === 'binary') targetLabels = encoded.encoding;
      notes.push(`metrics are the imported model's on the ${labelled} labelled --data rows (it was not trained here)`);
    }
    const schema: DataSchema = { columns, target: targetName, rowCount: table.rowCount };
    profile = buildProfile(table, schema);
  } else {
    columns = names.map((name) => ({
      name,
      type: labelledByColumn.has(name) ? 'categorical' : 'numeric',
      role: 'feature',
      missingRate: 0,
      uniqueCount: 0,
    }));
    notes.push(
      'no --data sample: the artifact has no reference profile, so drift cannot be monitored until one is given',
    );
  }
  const parity = compareWithExpected(predictions, options.expected);
  checkParity(parity, predictions, options.expected, labelFeatures);

  const artifact: ModelArtifact = {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    createdAt: resolveCreatedAt(options.createdAt),
    codeVersion: codeVersion(),
    target:
      task === 'binary'
        ? {
            name: targetName,
            task,
            positiveLabel: targetLabels.positiveLabel,
            negativeLabel: targetLabels.negativeLabel,
            threshold: 0.5,
          }
        : { name: targetName, task },
    schema: { columns, target: targetName, rowCount: sample?.table.rowCount ?? 0 },
    pipeline: pipelineJson,
    model: { kind: fitted.kind, json: model },
    metrics: { validation, candidates: [] },
    data: {
      sha256: sample?.sha256 ?? options.modelSha256,
      rows: sample?.table.rowCount ?? 0,
      columns: sample?.table.columnNames.length ?? names.length,
      trainRows: 0,
      validationRows: labelled,
      ...(positives === undefined ? {} : { validationPositives: positives }),
    },
    params: {
      seed: 0,
      learner: `import:${imported.framework}`,
      validationFraction: 0,
      learnerParams: { objective: imported.model.objective, trees: model.trees.length },
    },
    profile,
    notes,
    imported: {
      framework: imported.framework,
      ...(imported.frameworkVersion === undefined ? {} : { frameworkVersion: imported.frameworkVersion }),
      ...(options.name === undefined ? {} : { name: options.name }),
      modelFile: options.modelFile,
      modelSha256: options.modelSha256,
      objective: imported.model.objective,
      featureNamesFrom: from,
      ...(labelFeatures.length === 0
        ? {}
        : { categories: labelFeatures.map((feature) => ({ column: feature.column, from: feature.from })) }),
      parity,
    },
  };
  return { artifact, parity, predictions };
}
