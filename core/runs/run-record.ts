import * as z from 'zod';
import { updateJsonObject } from '../storage/conditional-update';
import { readJson, writeJson } from '../storage/json';
import type { ObjectStore } from '../storage/object-store';
import { adoptionResultSchema, schemaChangesSchema, triggerSchema } from '../workflow/contract';
import { runRecordKey, runsPrefix } from '../workflow/layout';
import { writeRunIndexEntry } from './run-index';

/** What every retraining run leaves behind at runs/<model>/<runId>/record.json; `mlops runs` lists these. */
/** superseded: the gate passed, but production moved before the promotion (see registrationOutcomeSchema). */
export const runOutcomeSchema = z.enum(['running', 'succeeded', 'rejected', 'superseded', 'failed']);
export type RunOutcome = z.infer<typeof runOutcomeSchema>;

export const runStepSchema = z.enum(['trigger', 'validate', 'train', 'adopt', 'evaluate', 'register', 'record']);
export type RunStep = z.infer<typeof runStepSchema>;

/**
 * The lineage of a point-in-time join in validate: which files of the view (key and ETag as read,
 * at most FEATURE_VIEW_FILES_IN_RECORD; fileCount has all) at which versions, and what it gave.
 */
export const featureViewInputsSchema = z.object({
  view: z.string(),
  versions: z.array(z.string()),
  files: z.array(z.object({ key: z.string(), etag: z.string().optional(), version: z.string() })),
  fileCount: z.number().int().nonnegative(),
  /** The labels' time column the view was joined at. */
  labelTimeColumn: z.string(),
  /** View columns read from the view; those the upload had kept its values. */
  joinedColumns: z.array(z.string()),
  keptFromUpload: z.array(z.string()),
  /** Labels of the run's data file that got missing view values, and of those the ones past the view's TTL. */
  unmatchedRows: z.number().int().nonnegative(),
  expiredRows: z.number().int().nonnegative(),
});
export const FEATURE_VIEW_FILES_IN_RECORD = 1000;

export const runInputsSchema = z.object({
  dataKey: z.string(),
  snapshotKey: z.string().optional(),
  dataSha256: z.string().optional(),
  rows: z.number().int().nonnegative().optional(),
  columns: z.number().int().nonnegative().optional(),
  /** A window run (`training.data.source`): the training manifest naming every input and its hash. */
  manifestKey: z.string().optional(),
  /** A window run: the uploads trained on besides dataKey. */
  uploads: z.number().int().nonnegative().optional(),
  /** A window-and-feedback run: the joined feedback rows trained on. */
  feedbackRows: z.number().int().nonnegative().optional(),
  /** A window run: uploads in the window not trained on, and why (the first NAMES_IN_STATE; leftOutCount has all). */
  leftOut: z.array(z.object({ key: z.string(), reason: z.string() })).optional(),
  leftOutCount: z.number().int().nonnegative().optional(),
  /** A model with a featureView: the view history its labels were joined with (see featureViewInputsSchema). */
  featureView: featureViewInputsSchema.optional(),
});

export const gateDecisionSchema = z.object({
  metric: z.string(),
  candidate: z.number(),
  champion: z.number().nullable(),
  championVersion: z.number().int().nullable().optional(),
  requiredGain: z.number(),
  decision: z.enum(['promote', 'reject']),
  reason: z.string(),
});
export type GateDecision = z.infer<typeof gateDecisionSchema>;

export const stepTimingSchema = z.object({
  startedAt: z.string(),
  endedAt: z.string().optional(),
  durationMs: z.number().nonnegative().optional(),
});

export const runRecordSchema = z.object({
  runId: z.string().min(1),
  model: z.string().min(1),
  trigger: triggerSchema,
  startedAt: z.string(),
  endedAt: z.string().optional(),
  inputs: runInputsSchema.optional(),
  /** A run that registers an imported artifact (`mlops register`) instead of training one. */
  imported: adoptionResultSchema.optional(),
  schemaChanges: schemaChangesSchema.optional(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  metrics: z.record(z.string(), z.number()).default({}),
  gate: gateDecisionSchema.optional(),
  registeredVersion: z.number().int().positive().nullable().default(null),
  promoted: z.boolean().optional(),
  timings: z.record(z.string(), stepTimingSchema).default({}),
  outcome: runOutcomeSchema,
  failure: z.object({ step: z.string(), reason: z.string() }).optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;
/** What callers write: defaults (empty maps, null version) are filled in. */
export type RunRecordInput = z.input<typeof runRecordSchema>;

/** Fields an update may carry; maps (parameters, metrics, timings) merge key by key. */
export type RunRecordUpdate = Partial<Omit<RunRecordInput, 'runId' | 'model'>>;

export async function writeRunRecord(store: ObjectStore, record: RunRecordInput): Promise<RunRecord> {
  const parsed = parseRecord(record);
  await writeJson(store, runRecordKey(parsed.model, parsed.runId), parsed);
  // After the record, so an index entry always finds its record (see run-index.ts).
  await writeRunIndexEntry(store, parsed);
  return parsed;
}

export async function readRunRecord(store: ObjectStore, model: string, runId: string): Promise<RunRecord | null> {
  return (await readJson(store, runRecordKey(model, runId), runRecordSchema))?.value ?? null;
}

/**
 * Merges `update` into the stored record with a compare-and-swap on its ETag, so two steps
 * updating one run (or a retried step) cannot drop each other's fields.
 */
export function updateRunRecord(
  store: ObjectStore,
  model: string,
  runId: string,
  update: RunRecordUpdate,
  maxAttempts = 16,
): Promise<RunRecord> {
  const key = runRecordKey(model, runId);
  return updateJsonObject(
    store,
    key,
    runRecordSchema,
    (current) => {
      if (!current) {
        throw new Error(
          `no run record for run ${runId} of ${model} at s3://${store.bucket}/${key}; write it with writeRunRecord first`,
        );
      }
      const merged = parseRecord(mergeRecord(current.value, update));
      return { write: merged, onWritten: () => merged };
    },
    { what: `updating run ${runId} of ${model}`, maxAttempts },
  );
}

export function mergeRecord(current: RunRecord, update: RunRecordUpdate): RunRecordInput {
  return {
    ...current,
    ...update,
    parameters: { ...current.parameters, ...update.parameters },
    metrics: { ...current.metrics, ...update.metrics },
    timings: { ...current.timings, ...update.timings },
  };
}

/** Run records of a model, newest first (by start time, then run id). */
export async function listRuns(
  store: ObjectStore,
  model: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<RunRecord[]> {
  const keys = (await store.list(runsPrefix(model)))
    .map((item) => item.key)
    .filter((key) => /^runs\/[^/]+\/[^/]+\/record\.json$/.test(key));
  const records = await Promise.all(keys.map((key) => readJson(store, key, runRecordSchema)));
  return records
    .flatMap((record) => (record ? [record.value] : []))
    .sort((a, b) => (a.startedAt === b.startedAt ? compare(b.runId, a.runId) : compare(b.startedAt, a.startedAt)))
    .slice(0, limit);
}

/** A timing entry for one step, with its duration. */
export function stepTiming(startedAt: Date, endedAt: Date): z.infer<typeof stepTimingSchema> {
  return {
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
  };
}

function parseRecord(record: RunRecordInput): RunRecord {
  const parsed = runRecordSchema.safeParse(record);
  if (!parsed.success) {
    throw new Error(
      `run record for run ${String(record.runId)} of ${String(record.model)} is invalid: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
