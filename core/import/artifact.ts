/**
 * An imported forest becomes a model artifact of the same shape `mlops train` writes, so the
 * registry, gate, serving, batch, stream and drift paths read it unchanged: a pipeline of numeric
 * steps that keep missing values as NaN (the trees' default directions route them), the `trees`
 * model kind, a schema and (from a data sample) a reference profile, and the `imported` record
 * with the parity report (docs/artifact-format.md).
 */
import { ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION, type ModelArtifact } from '../artifact/format';
import { DataError, type DataTable } from '../data/table';
import { Pipeline, type PipelineJson } from '../features/pipeline';
import { treesFromJson } from '../learners/trees';
import { auc, logLoss, mae, metricsAtThreshold, r2, rmse } from '../metrics';
import { buildProfile } from '../profile/profile';
import { encodeTarget } from '../schema/target';
import type { ColumnSchema, DataSchema } from '../schema/types';
import { cellToNumber, isNonNumericText } from '../schema/values';
import { codeVersion } from '../version';
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

function columnStats(table: DataTable, name: string): { missingRate: number; uniqueCount: number } {
  const column = table.columns[table.columnNames.indexOf(name)];
  const distinct = new Set<number>();
  let missing = 0;
  for (const cell of column) {
    const value = cellToNumber(cell);
    if (Number.isFinite(value)) distinct.add(value);
    else missing++;
  }
  return { missingRate: table.rowCount === 0 ? 0 : missing / table.rowCount, uniqueCount: distinct.size };
}

function checkNumericFeatures(
  table: DataTable,
  names: readonly string[],
  categorical: ReadonlySet<string>,
  source: string,
) {
  for (const name of names) {
    const column = table.columns[table.columnNames.indexOf(name)];
    const row = column.findIndex(isNonNumericText);
    if (row >= 0) {
      const what = categorical.has(name)
        ? 'a categorical feature, whose values must be the integer category codes the framework saw'
        : 'a numeric feature';
      throw new ImportError(
        `--data ${source}: column "${name}" holds text (${JSON.stringify(column[row])} at row ${row + 1}); it is ${what}`,
      );
    }
  }
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
  const categorical = new Set(imported.categoricalFeatures.map((index) => names[index]));
  const notes = [...imported.notes];
  if (from === 'generated') {
    notes.push(
      `the model file names no features and no --data was given: features are named ${names[0]}..${names.at(-1)}`,
    );
  } else if (from === 'data') {
    notes.push(`the model file names no features: they are the --data columns in order (${names.join(', ')})`);
  }
  if (categorical.size > 0) {
    notes.push(
      `categorical feature(s) ${[...categorical].join(', ')} take the integer category codes the framework was trained on`,
    );
  }

  const pipelineJson: PipelineJson = {
    steps: names.map((column) => ({ kind: 'numeric', column, fill: 0, missingIndicator: false, keepMissing: true })),
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
    checkNumericFeatures(table, names, categorical, sample.source);
    predictions = fitted.predictMatrix(pipeline.transformTable(table));
    columns = table.columnNames.map((name): ColumnSchema => {
      const stats = columnStats(table, name);
      if (names.includes(name)) return { name, type: 'numeric', role: 'feature', ...stats };
      if (name === target)
        return { name, type: task === 'binary' ? 'categorical' : 'numeric', role: 'target', ...stats };
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
    columns = names.map((name) => ({ name, type: 'numeric', role: 'feature', missingRate: 0, uniqueCount: 0 }));
    notes.push(
      'no --data sample: the artifact has no reference profile, so drift cannot be monitored until one is given',
    );
  }
  const parity = compareWithExpected(predictions, options.expected);

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
      parity,
    },
  };
  return { artifact, parity, predictions };
}
