import * as z from 'zod';
import type { FeatureViewConfig } from '../../core/config/feature-view-schema';
import type { ModelConfig } from '../../core/config/schema';
import { DataError } from '../../core/data/table';
import { PRODUCTION_ALIAS, type SchemaSummary } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import { listRuns, type RunRecord, stepTiming, writeRunRecord } from '../../core/runs/run-record';
import type { ColumnRole, ColumnType, DataSchema } from '../../core/schema/types';
import { isPreconditionFailed, type ObjectStore, type ObjectSummary } from '../../core/storage/object-store';
import { type CappedRead, ObjectTooLargeError, readCapped } from '../../core/storage/read-capped';
import { clipText } from '../../core/text/clip';
import { executionInputSchema, NAMES_IN_STATE, type ValidationResult } from '../../core/workflow/contract';
import { DATA_FILE_EXTENSIONS, formDecodedKey, rawPrefix, snapshotKey } from '../../core/workflow/layout';
import { newRunId, RUN_ID_PATTERN } from '../../core/workflow/run-ids';
import { summarizeSchemaChanges, validateTrainingData } from '../../core/workflow/training-data';
import { assertSameModel, StepInputError, WorkflowConfigError } from '../shared/step-errors';
import { FeatureViewJoin } from './feature-view';
import { type TrainingWindow, writeTrainingWindow } from './training-window';

/**
 * The validate step's input: the execution input, plus the run id when the state machine passes
 * one (for example `$$.Execution.Name`); without it the step makes one.
 */
export const validateInputSchema = executionInputSchema.extend({
  runId: z
    .string()
    .regex(RUN_ID_PATTERN, 'must be 1-80 letters, digits, "-" or "_" (an execution name fits)')
    .optional(),
});
export type ValidateInput = z.infer<typeof validateInputSchema>;

export interface ValidateDeps {
  readonly model: ModelConfig;
  readonly raw: ObjectStore;
  readonly curated: ObjectStore;
  /** The registry (read) and the run records (write). */
  readonly artifacts: ObjectStore;
  /** @default - the system clock */
  readonly clock?: () => Date;
  /** @default newRunId */
  readonly newRunId?: (now: Date) => string;
  /** Receives each decision the core made about the data (excluded columns, chosen classes). */
  readonly onNote?: (note: string) => void;
  /** The monitoring zone's joined rows, read when `training.data.source` is `window-and-feedback`. @default - none */
  readonly monitoring?: ObjectStore;
  /**
   * The model's feature view (its `featureView`): uploads are joined with its history under
   * `features/<view>/` in the curated zone before they are checked and snapshotted. @default - none
   */
  readonly featureView?: FeatureViewConfig;
}

/**
 * Checks the data can train before paying for a training job, reports what changed against the
 * production version's schema, writes the curated content-addressed snapshot the trainer reads,
 * and opens the run record. Throws DataError (naming file, row and column where the core knows
 * them) when the data cannot train; nothing is written then, and record-failure records the run.
 */
export async function validateStep(input: ValidateInput, deps: ValidateDeps): Promise<ValidationResult> {
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock();
  const { model } = deps;
  assertSameModel(input.model, model.name, 'validate-data');
  const runId = input.runId ?? (deps.newRunId ?? newRunId)(startedAt);

  const trainsOnWindow = model.training.data.source !== 'newest';
  const usable = await (input.dataKey && !trainsOnWindow
    ? []
    : usableDataFiles(deps.raw, model.name, await listRuns(deps.artifacts, model.name, 50)).catch((error) => {
        // A named file is validated on its own merits even when no other file is usable.
        if (input.dataKey && error instanceof DataError) return [];
        throw error;
      }));
  const located: { key: string; head?: ObjectSummary | null } = input.dataKey
    ? await locateDataFile(deps.raw, input.dataKey)
    : { key: newestOf(usable).key };
  const dataKey = located.key;
  if (!dataKey.startsWith(rawPrefix(model.name))) {
    throw new StepInputError(
      `dataKey ${dataKey} is not under ${rawPrefix(model.name)}: model ${model.name} trains only on its own raw prefix`,
    );
  }
  const object = await readDataFile(deps.raw, dataKey, model, located.head);
  const viewJoin = await featureViewJoinOf(deps);
  // An empty upload is left to validateTrainingData, which says so.
  const joined = viewJoin && object.body.length > 0 ? await viewJoin.join(object.body, dataKey) : null;
  for (const note of joined?.set.notes ?? []) deps.onNote?.(note);
  const trainingBody = joined?.body ?? object.body;

  const registry = new ModelRegistry({ store: deps.artifacts });
  const production = await registry.resolveAlias(model.name, PRODUCTION_ALIAS);
  const serving = production ? await registry.getVersion(model.name, production.version) : null;
  const validated = await validateTrainingData(trainingBody, dataKey, {
    sha256: joined?.sha256 ?? object.sha256,
    target: model.target,
    positiveLabel: model.positiveLabel,
    task: model.problemType,
    features: model.features === 'all' ? undefined : model.features,
    previousSchema: serving ? schemaFromSummary(serving.lineage.schema) : undefined,
  });
  for (const note of validated.notes) deps.onNote?.(note);

  const extension = joined ? '.csv' : snapshotExtension(dataKey, object.body);
  const snapshot = snapshotKey(model.name, validated.sha256, extension);
  await putSnapshot(deps.curated, snapshot, trainingBody);
  const window = trainsOnWindow
    ? await writeTrainingWindow(
        {
          model,
          curated: deps.curated,
          readUpload: async (item) => {
            const read = await readDataFile(deps.raw, item.key, model, item);
            if (!viewJoin) return read;
            const upload = await viewJoin.join(read.body, item.key);
            return { body: upload.body, sha256: upload.sha256, etag: read.etag, extension: '.csv' };
          },
          ...(viewJoin ? { snapshotVariant: viewJoin.fingerprint } : {}),
          monitoring: deps.monitoring,
          onNote: deps.onNote,
        },
        {
          primary: { source: dataKey, snapshotKey: snapshot, sha256: validated.sha256, rows: validated.table.rowCount },
          primaryTable: validated.table,
          primaryEtag: object.etag,
          usable,
          now: startedAt,
        },
      )
    : null;
  for (const { key, reason } of window?.leftOut ?? []) deps.onNote?.(`not trained on ${key}: ${reason}`);

  const result: ValidationResult = {
    runId,
    model: model.name,
    dataKey,
    snapshotKey: snapshot,
    snapshotSha256: validated.sha256,
    trainingInputKey: window?.manifestKey ?? snapshot,
    dataSha256: window?.manifestSha256 ?? validated.sha256,
    rowCount: validated.table.rowCount,
    columnCount: validated.table.columnNames.length,
    schemaChanges: summarizeSchemaChanges(validated.schemaChanges),
    championVersion: production?.version ?? null,
    startedAt: startedAt.toISOString(),
  };
  await writeRunRecord(deps.artifacts, {
    runId,
    model: model.name,
    trigger: input.trigger,
    startedAt: result.startedAt,
    inputs: {
      dataKey,
      snapshotKey: snapshot,
      dataSha256: result.dataSha256,
      rows: result.rowCount,
      columns: result.columnCount,
      ...(window ? windowInputs(window) : {}),
      ...(viewJoin && joined ? { featureView: viewJoin.lineage(joined.set) } : {}),
    },
    schemaChanges: validated.schemaChanges,
    parameters: configuredParameters(model),
    timings: { validate: stepTiming(startedAt, clock()) },
    outcome: 'running',
  });
  return result;
}

/** The model's feature view history, read once per run; null for a model without a view. */
async function featureViewJoinOf(deps: ValidateDeps): Promise<FeatureViewJoin | null> {
  const { model, featureView } = deps;
  if (model.featureView === undefined) return null;
  if (featureView?.name !== model.featureView) {
    throw new WorkflowConfigError(
      `model ${model.name} reads feature view "${model.featureView}", but validate was given ${featureView ? `view "${featureView.name}"` : 'no view config'}; redeploy so its environment carries the view`,
    );
  }
  return FeatureViewJoin.read(deps.curated, featureView, model);
}

/**
 * The key as given when it exists; otherwise its form-decoded reading when that exists (an
 * event that URL-encoded the key, as S3's own notifications do). Else the key as given, whose
 * absence the read reports. The HEAD that found it is kept, so the read does not repeat it.
 */
export async function locateDataFile(
  raw: ObjectStore,
  key: string,
): Promise<{ key: string; head: ObjectSummary | null }> {
  const head = await raw.head(key);
  if (head) return { key, head };
  const decoded = formDecodedKey(key);
  const decodedHead = decoded === null ? null : await raw.head(decoded);
  return decoded !== null && decodedHead ? { key: decoded, head: decodedHead } : { key, head: null };
}

/**
 * The data file's bytes and hash. The size is checked with HEAD before any byte is read, and the
 * read itself stops at the same cap: the object can be replaced by a larger one between the two.
 */
export async function readDataFile(
  raw: ObjectStore,
  dataKey: string,
  model: ModelConfig,
  /** The object's HEAD when the caller already made it; absent: made here. */
  head?: ObjectSummary | null,
): Promise<CappedRead> {
  const missing = () =>
    new DataError(
      `s3://${raw.bucket}/${dataKey} does not exist; upload it, or start the run without dataKey to train on the newest file under ${rawPrefix(model.name)}`,
    );
  const maxBytes = Math.floor(model.training.maxDataMiB * MIB);
  const tooLarge = (size: string) =>
    new DataError(
      `s3://${raw.bucket}/${dataKey} is ${size}, over the limit of ${model.training.maxDataMiB} MiB (${maxBytes} bytes) for model ${model.name}; split the data into smaller files, or raise training.maxDataMiB in the config`,
    );
  const summary = head === undefined ? await raw.head(dataKey) : head;
  if (!summary) throw missing();
  if (summary.size > maxBytes) throw tooLarge(`${summary.size} bytes`);
  try {
    const read = await readCapped(raw, dataKey, maxBytes);
    if (!read) throw missing();
    return read;
  } catch (error) {
    if (error instanceof ObjectTooLargeError)
      throw tooLarge(`more than ${maxBytes} bytes (it grew after the size check)`);
    throw error;
  }
}

const MIB = 1024 * 1024;

/**
 * The newest data file under the model's raw prefix (by upload time, then key), skipping files
 * that already failed validation unchanged: a bad upload must not poison every later drift- or
 * schedule-triggered retrain. A file re-uploaded after its failed run counts as new. `runs` are
 * the model's recent run records (newest first).
 */
export async function newestDataKey(raw: ObjectStore, model: string, runs: readonly RunRecord[] = []): Promise<string> {
  return newestOf(await usableDataFiles(raw, model, runs)).key;
}

/** The newest of the files by upload time, then key. */
function newestOf(files: readonly ObjectSummary[]): ObjectSummary {
  return files.reduce((best, item) => {
    const time = item.lastModified.getTime() - best.lastModified.getTime();
    return time > 0 || (time === 0 && item.key > best.key) ? item : best;
  });
}

/** A window run's share of the run record: the manifest, what it holds, what was left out and why. */
function windowInputs(window: TrainingWindow) {
  return {
    manifestKey: window.manifestKey,
    uploads: window.manifest.uploads.length,
    ...(window.manifest.feedback ? { feedbackRows: window.manifest.feedback.rows } : {}),
    leftOut: window.leftOut.slice(0, NAMES_IN_STATE).map(({ key, reason }) => ({ key, reason: clipText(reason, 500) })),
    leftOutCount: window.leftOut.length,
  };
}

/**
 * The data files under the model's raw prefix that may train it: those that did not already fail
 * validation unchanged (see newestDataKey). Throws DataError when there is none.
 */
export async function usableDataFiles(
  raw: ObjectStore,
  model: string,
  runs: readonly RunRecord[] = [],
): Promise<ObjectSummary[]> {
  const files = (await raw.list(rawPrefix(model))).filter((item) =>
    DATA_FILE_EXTENSIONS.some((extension) => item.key.toLowerCase().endsWith(extension)),
  );
  if (files.length === 0) {
    throw new DataError(
      `no data file under s3://${raw.bucket}/${rawPrefix(model)} (data files end in ${DATA_FILE_EXTENSIONS.join(', ')}); upload one to train ${model}`,
    );
  }
  const failedAt = new Map<string, number>();
  for (const run of runs) {
    if (run.outcome !== 'failed' || run.failure?.step !== 'validate' || !run.inputs?.dataKey) continue;
    failedAt.set(run.inputs.dataKey, Math.max(failedAt.get(run.inputs.dataKey) ?? 0, Date.parse(run.startedAt)));
  }
  const usable = files.filter(
    (item) => !(item.lastModified.getTime() <= (failedAt.get(item.key) ?? Number.NEGATIVE_INFINITY)),
  );
  if (usable.length === 0) {
    throw new DataError(
      `every data file under s3://${raw.bucket}/${rawPrefix(model)} failed validation; upload a corrected file`,
    );
  }
  return usable;
}

/** The training parameters the config asks for; evaluate adds what the trainer actually chose. */
export function configuredParameters(model: ModelConfig): Record<string, unknown> {
  return { problemType: model.problemType, learner: model.learner, features: model.features, ...model.params };
}

/**
 * The registry keeps a summary (name, type, role) of each version's schema; that is all
 * compareSchemas reads from the previous schema, so the statistics are left at zero.
 */
export function schemaFromSummary(summary: SchemaSummary): DataSchema {
  return {
    target: summary.target,
    rowCount: summary.rowCount,
    columns: summary.columns.map((column) => ({
      name: column.name,
      type: column.type as ColumnType,
      role: column.role as ColumnRole,
      missingRate: 0,
      uniqueCount: 0,
    })),
  };
}

/** Keeps the raw file's extension so readers that go by name still recognise the format. */
function snapshotExtension(dataKey: string, bytes: Uint8Array): string {
  const lower = dataKey.toLowerCase();
  const known = DATA_FILE_EXTENSIONS.find((extension) => lower.endsWith(extension));
  if (known) return known;
  const parquet = bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
  return parquet ? '.parquet' : '.csv';
}

/** Content-addressed: an existing object at the key holds the same bytes, so losing the race is success. */
async function putSnapshot(curated: ObjectStore, key: string, body: Uint8Array): Promise<void> {
  const contentType = key.endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'text/csv';
  try {
    await curated.put(key, body, { ifNoneMatch: '*', contentType });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
}
