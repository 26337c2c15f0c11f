import * as z from 'zod';

/**
 * The retraining state machine's data contract: what each step receives and returns.
 * The CDK app builds the state machine from these shapes; each Lambda handler and the
 * trainer parse their input with them. JSONPath: each step's result lands under its own
 * key of the state (`$.validation`, `$.training`, `$.evaluation`, `$.registration`).
 */

/**
 * Every state's input and output counts against Step Functions' 256 KiB limit, which fails a run
 * past every Catch (States.DataLimitExceeded). Lists that grow with the data (uploaded keys, new
 * columns) therefore travel as a count plus at most this many names; the full lists go to S3.
 */
export const NAMES_IN_STATE = 20;
/** Step Functions' limit on an execution input and each state's input, output and task result: UTF-8 JSON bytes. */
export const STATES_PAYLOAD_LIMIT_BYTES = 262_144;
/** Longer names (a CSV header can hold anything) are cut to this many characters in a state. */
export const NAME_CHARS_IN_STATE = 128;

export const triggerSchema = z.object({
  /** `import`: `mlops register` started the run with an externally produced artifact (`candidateKey`). */
  kind: z.enum(['upload', 'drift', 'quality', 'schedule', 'manual', 'import']),
  /** Raw-zone keys that caused an upload trigger (de-duplicated burst): at most NAMES_IN_STATE, oldest first. */
  objects: z.array(z.string()).max(NAMES_IN_STATE).default([]),
  /** How many keys the burst had in all. @default - objects.length */
  objectCount: z.number().int().nonnegative().optional(),
  /** Artifacts-zone key of the trigger manifest that lists every key, when `objects` is not all of them. */
  manifestKey: z.string().optional(),
  reason: z.string().optional(),
});
export type Trigger = z.infer<typeof triggerSchema>;

/** The trigger manifest: every raw-zone key of an upload trigger, kept in S3 because a state cannot hold them. */
export const triggerManifestSchema = z.object({
  model: z.string(),
  executionName: z.string(),
  objects: z.array(z.string()),
  createdAt: z.string(),
});
export type TriggerManifest = z.infer<typeof triggerManifestSchema>;

/** Execution input: what EventBridge, the drift and quality monitors, a cron rule or `mlops retrain` start the state machine with. */
export const executionInputSchema = z.object({
  model: z.string(),
  trigger: triggerSchema,
  /** Raw-zone key to train on; absent: the newest data file under the model's raw prefix. */
  dataKey: z.string().optional(),
  /**
   * Artifacts-zone key of an externally produced artifact under the model's import prefix
   * (`importsPrefix`, core/workflow/layout.ts). Present: the run adopts it instead of training, and
   * the gate scores it against the champion on the held-out rows of the data the run validated.
   */
  candidateKey: z.string().min(1).optional(),
});
export type ExecutionInput = z.infer<typeof executionInputSchema>;

/** The input of a run started by hand (`mlops retrain`, the local platform): the given data key, or the newest data. */
export function manualExecutionInput(model: string, dataKey?: string, reason?: string): ExecutionInput {
  return executionInputSchema.parse({
    model,
    trigger: { kind: 'manual', objects: [], ...(reason ? { reason } : {}) },
    ...(dataKey ? { dataKey } : {}),
  });
}

/** The input of a run that registers an imported artifact (`mlops register`): gated on the newest data. */
export function importExecutionInput(model: string, candidateKey: string, reason?: string): ExecutionInput {
  return executionInputSchema.parse({
    model,
    trigger: { kind: 'import', objects: [], ...(reason ? { reason } : {}) },
    candidateKey,
  });
}

export const schemaChangesSchema = z.object({
  newColumns: z.array(z.object({ name: z.string(), presentShare: z.number() })),
  missingColumns: z.array(z.string()),
  typeChanges: z.array(z.object({ name: z.string(), from: z.string(), to: z.string() })),
});
export type SchemaChanges = z.infer<typeof schemaChangesSchema>;

/**
 * What the state carries of SchemaChanges: each list's count and its first NAMES_IN_STATE entries
 * (names cut to NAME_CHARS_IN_STATE). The run record holds the full lists.
 */
export const schemaChangeSummarySchema = z.object({
  newColumnCount: z.number().int().nonnegative(),
  missingColumnCount: z.number().int().nonnegative(),
  typeChangeCount: z.number().int().nonnegative(),
  newColumns: schemaChangesSchema.shape.newColumns.max(NAMES_IN_STATE),
  missingColumns: schemaChangesSchema.shape.missingColumns.max(NAMES_IN_STATE),
  typeChanges: schemaChangesSchema.shape.typeChanges.max(NAMES_IN_STATE),
});
export type SchemaChangeSummary = z.infer<typeof schemaChangeSummarySchema>;

/** Output of the validate step, stored at `$.validation`. */
export const validationResultSchema = z.object({
  runId: z.string(),
  model: z.string(),
  /** The run's data file: its columns are the model's, its hold-out is the gate's. */
  dataKey: z.string(),
  /** Curated-zone snapshot of dataKey: the rows evaluate re-derives the gate's hold-out from. */
  snapshotKey: z.string(),
  /** SHA-256 of the snapshot's bytes. */
  snapshotSha256: z.string(),
  /**
   * Curated-zone key the trainer reads (MLOPS_INPUT_URI): the snapshot itself, or a training
   * manifest (core/workflow/training-manifest.ts) when the config trains on a window of uploads.
   */
  trainingInputKey: z.string(),
  /** SHA-256 of the training input (the snapshot's, or the manifest's, which names every input's): the model's data lineage. */
  dataSha256: z.string(),
  /** Rows and columns of the run's data file. */
  rowCount: z.number().int(),
  columnCount: z.number().int(),
  /** Counts and the first names; the run record has every change. */
  schemaChanges: schemaChangeSummarySchema,
  /** Production version when the run started, if any. */
  championVersion: z.number().int().nullable(),
  startedAt: z.string(),
});
export type ValidationResult = z.infer<typeof validationResultSchema>;

/**
 * The trainer contract (any image that follows it can train a model):
 * environment in, files out, exit code.
 */
export const TRAINER_ENV = {
  model: 'MLOPS_MODEL',
  runId: 'MLOPS_RUN_ID',
  /**
   * s3://bucket/key of what to train on: a curated snapshot (a data file), or a training manifest
   * (`.json`, core/workflow/training-manifest.ts) naming several snapshots to assemble.
   */
  input: 'MLOPS_INPUT_URI',
  /** s3://bucket/prefix/ where the trainer writes its outputs (see TRAINER_OUTPUTS). */
  output: 'MLOPS_OUTPUT_URI',
  target: 'MLOPS_TARGET',
  positiveLabel: 'MLOPS_POSITIVE_LABEL',
  /** JSON object of training parameters from the model's config. */
  params: 'MLOPS_TRAIN_PARAMS',
} as const;

export const TRAINER_OUTPUTS = {
  artifact: 'model.json',
  metrics: 'metrics.json',
  profile: 'profile.json',
  /** Written instead of the others when training fails: `{ "error": "...", "retryable": bool }`. */
  error: 'error.json',
} as const;

/** Exit codes: AWS Batch retries `retryable` (job definition retry strategy), never the others. */
export const TRAINER_EXIT = { ok: 0, badInput: 2, retryable: 75, internal: 1 } as const;

/**
 * What the adopt step (state `Adopt`, taken instead of `Train` when the execution input has a
 * candidateKey) found out about the imported artifact it copied to the run's candidate key.
 * Stored at `$.training.imported`, so the run's training output is either a Batch job or this.
 */
export const adoptionResultSchema = z.object({
  /** The artifacts-zone key the artifact was uploaded to. */
  importKey: z.string(),
  /** SHA-256 of the artifact's bytes, as copied to the candidate key and registered. */
  artifactSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The framework that produced the model (`xgboost`, `lightgbm`, ...) when the artifact says so, else "external artifact". */
  source: z.string().min(1),
  /** SHA-256 of the source framework's model file, when the artifact records it. */
  sourceFileSha256: z.string().optional(),
  /** The source framework's model file name, when the artifact records it. */
  sourceFile: z.string().optional(),
  /** The artifact's model kind (`gbdt`, `linear`, an imported tree kind). */
  modelKind: z.string(),
});
export type AdoptionResult = z.infer<typeof adoptionResultSchema>;

/** The state's `$.training` as the later steps read it: only an adopted artifact's details matter to them. */
export const trainingOutputSchema = z.object({ imported: adoptionResultSchema.optional() });
export type TrainingOutput = z.infer<typeof trainingOutputSchema>;

/** Output of the evaluate step, stored at `$.evaluation`. */
export const evaluationResultSchema = z.object({
  decision: z.enum(['promote', 'reject']),
  metric: z.string(),
  candidateScore: z.number(),
  championScore: z.number().nullable(),
  championVersion: z.number().int().nullable(),
  requiredGain: z.number(),
  reason: z.string(),
  candidateArtifactKey: z.string(),
});
export type EvaluationResult = z.infer<typeof evaluationResultSchema>;

/**
 * What the register step did with a registered candidate: promoted it; kept it pending because the
 * gate rejected it (or it was rejected by hand meanwhile); or found production moved since the gate
 * compared against it (superseded: it was never compared with the version now serving).
 */
export const registrationOutcomeSchema = z.enum(['promoted', 'rejected', 'superseded']);
export type RegistrationOutcome = z.infer<typeof registrationOutcomeSchema>;

/** Output of the register step, stored at `$.registration`. */
export const registrationResultSchema = z.object({
  version: z.number().int(),
  promoted: z.boolean(),
  productionVersion: z.number().int().nullable(),
  outcome: registrationOutcomeSchema,
});
export type RegistrationResult = z.infer<typeof registrationResultSchema>;

/** Input of the record-failure step (the state machine's catch path), with the error from Step Functions. */
export const failureInputSchema = z.object({
  model: z.string(),
  validation: validationResultSchema.partial().optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});
