import * as z from 'zod';
import { pipelineSchema } from '../features/pipeline';

/**
 * The model artifact: one JSON document that holds everything needed to serve, evaluate and
 * monitor a model. Documented field by field in docs/artifact-format.md.
 *
 * Versioning rule: a change that an older loader cannot read bumps ARTIFACT_FORMAT_VERSION, and
 * loading an artifact whose version this code does not know fails with a message that says so.
 */
export const ARTIFACT_FORMAT = 'mlops-model';
export const ARTIFACT_FORMAT_VERSION = 1;

const columnSchemaSchema = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'categorical', 'boolean']),
  role: z.enum(['feature', 'target', 'excluded']),
  excludedReason: z.string().optional(),
  missingRate: z.number(),
  uniqueCount: z.number().int(),
});

const binaryMetricsSchema = z.object({
  auc: z.number(),
  logLoss: z.number(),
  threshold: z.number(),
  accuracy: z.number(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
});
const regressionMetricsSchema = z.object({ rmse: z.number(), mae: z.number(), r2: z.number() });

/** What `mlops import` records of the source model (docs/artifact-format.md, "Imported models"). */
const importedSchema = z.object({
  framework: z.enum(['xgboost', 'lightgbm']),
  frameworkVersion: z.string().optional(),
  /** The model name given at import (`--name`), for a later registration. */
  name: z.string().optional(),
  /** The model file's base name and the SHA-256 of its bytes. */
  modelFile: z.string(),
  modelSha256: z.string(),
  objective: z.string(),
  /** Where the feature names came from: the model file, the --data columns, or generated f0..fN-1. */
  featureNamesFrom: z.enum(['model', 'data', 'generated']),
  /**
   * Categorical features whose labels the pipeline maps to the framework's codes (a `categorical`
   * step with `keepMissing`), and where the label order came from. Absent: none, codes are numbers.
   */
  categories: z.array(z.object({ column: z.string(), from: z.enum(['categories-file', 'data']) })).optional(),
  /** Our predictions against the source framework's own on the --data rows. */
  parity: z.object({
    status: z.enum(['measured', 'unmeasured']),
    rows: z.number().int(),
    maxAbsDifference: z.number().nullable(),
    worstRow: z.number().int().nullable(),
    expectedFrom: z.string(),
  }),
});

export const artifactSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  formatVersion: z.literal(ARTIFACT_FORMAT_VERSION),
  createdAt: z.string(),
  codeVersion: z.string(),
  target: z.object({
    name: z.string(),
    task: z.enum(['binary', 'regression']),
    positiveLabel: z.string().optional(),
    negativeLabel: z.string().optional(),
    /** Decision threshold on the positive-class probability (binary only). */
    threshold: z.number().optional(),
  }),
  schema: z.object({ columns: z.array(columnSchemaSchema).readonly(), target: z.string(), rowCount: z.number().int() }),
  pipeline: pipelineSchema,
  model: z.object({ kind: z.string(), json: z.unknown() }),
  metrics: z.object({
    /**
     * Metrics of the kept model on the validation split. Empty for an imported model whose
     * sample had no target column (nothing to measure it on).
     */
    validation: z.union([binaryMetricsSchema, regressionMetricsSchema, z.object({}).strict()]),
    /** Each learner tried, with its validation metric, so the choice is auditable. */
    candidates: z.array(
      z.object({ learner: z.string(), metric: z.string(), value: z.number(), iterations: z.number() }),
    ),
    /**
     * Which model `validation` measured: the kept model itself, or (when the kept model was refit
     * on the hold-out too) the same settings trained without the hold-out. Absent in older artifacts.
     */
    heldOutModel: z.enum(['kept-model', 'same-settings-without-hold-out']).optional(),
    /** The settings search, every candidate evaluated in order (docs/artifact-format.md). */
    selection: z
      .object({
        method: z.enum(['k-fold', 'holdout']),
        /** Every fold of every partition. */
        folds: z.number().int(),
        /** k-fold: the shuffled k-fold partitions behind `folds` (absent in older artifacts: 1). */
        repeats: z.number().int().optional(),
        rows: z.number().int(),
        truncated: z.boolean(),
        chosen: z.number().int(),
        evaluated: z.array(
          z.object({
            learner: z.string(),
            settings: z.record(z.string(), z.unknown()),
            metric: z.string(),
            value: z.number(),
            foldValues: z.array(z.number()),
            iterations: z.array(z.number()),
          }),
        ),
      })
      .optional(),
  }),
  data: z.object({
    /** SHA-256 of the full training file's bytes (not a sample). */
    sha256: z.string(),
    rows: z.number().int(),
    columns: z.number().int(),
    trainRows: z.number().int(),
    validationRows: z.number().int(),
    /** Binary: positive rows in the validation split (absent in older artifacts), for its AUC's sampling error. */
    validationPositives: z.number().int().optional(),
    /** Rows the kept model was refit on (absent in older artifacts). */
    refitRows: z.number().int().optional(),
  }),
  params: z.object({
    seed: z.number().int(),
    learner: z.string(),
    validationFraction: z.number(),
    learnerParams: z.record(z.string(), z.unknown()),
    timeBudgetSeconds: z.number().optional(),
    refitIncludesHoldOut: z.boolean().optional(),
    /** False: the kept model is the holdout selection's own fit, not a refit (absent in older artifacts). */
    refit: z.boolean().optional(),
  }),
  /** Reference profile of the training data for drift monitoring (core/profile); null for an import without a sample. */
  profile: z.unknown(),
  notes: z.array(z.string()),
  /** Present when the model was imported (`mlops import`): where it came from and its parity report. */
  imported: importedSchema.optional(),
});
export type ModelArtifact = z.infer<typeof artifactSchema>;

export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
}

/** Parses and validates an artifact; every failure says what is wrong and where. */
export function parseArtifact(text: string, source = 'artifact'): ModelArtifact {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || (raw as { format?: unknown }).format !== ARTIFACT_FORMAT) {
    throw new ArtifactError(`${source} is not a model artifact (expected "format": "${ARTIFACT_FORMAT}")`);
  }
  const version = (raw as { formatVersion?: unknown }).formatVersion;
  if (version !== ARTIFACT_FORMAT_VERSION) {
    throw new ArtifactError(
      `${source} has format version ${JSON.stringify(version)}, but this code reads version ${ARTIFACT_FORMAT_VERSION}; ` +
        'retrain the model or use a matching release of mlops',
    );
  }
  // One parse per artifact: zod's compiled fast path (jit) costs more to build than it saves here.
  const parsed = artifactSchema.safeParse(raw, { jitless: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArtifactError(`${source} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Serialises with a stable key order (the order of the schema above), so the same training run
 * gives the same bytes.
 */
export function serializeArtifact(artifact: ModelArtifact): string {
  return `${JSON.stringify(artifact)}\n`;
}
