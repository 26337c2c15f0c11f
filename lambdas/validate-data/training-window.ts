import * as z from 'zod';
import type { ModelConfig } from '../../core/config/schema';
import { formatCsv } from '../../core/data/csv';
import { readTableBytes, sha256Hex } from '../../core/data/read';
import { DataError, type DataTable } from '../../core/data/table';
import { readJoinedWindow } from '../../core/ground-truth/join';
import { joinedPrefix } from '../../core/ground-truth/layout';
import { type FeedbackTarget, feedbackTrainingRows } from '../../core/ground-truth/training-rows';
import { encodeTarget } from '../../core/schema/target';
import { readJson } from '../../core/storage/json';
import { isPreconditionFailed, type ObjectStore, type ObjectSummary } from '../../core/storage/object-store';
import { snapshotKey, trainingManifestKey, uploadSnapshotRefKey } from '../../core/workflow/layout';
import {
  type ManifestInput,
  manifestInputSchema,
  selectWindowUploads,
  serializeTrainingManifest,
  TRAINING_MANIFEST_FORMAT,
  type TrainingManifest,
} from '../../core/workflow/training-manifest';
import { WorkflowConfigError } from '../shared/step-errors';

/** What the other uploads and the feedback rows of a window run came to. */
export interface TrainingWindow {
  readonly manifestKey: string;
  readonly manifestSha256: string;
  readonly manifest: TrainingManifest;
  /** Uploads in the window not trained on, and why. */
  readonly leftOut: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
}

export interface WindowDeps {
  readonly model: ModelConfig;
  readonly curated: ObjectStore;
  /**
   * Reads one upload's bytes (capped at training.maxDataMiB) and hash, or the training set made of
   * it (a feature view's join: `extension` then names the snapshot's format); throws DataError when it cannot.
   */
  readonly readUpload: (
    item: ObjectSummary,
  ) => Promise<{ body: Uint8Array; sha256: string; etag: string; extension?: string }>;
  /**
   * What else an upload's snapshot depends on (a feature view's history): part of the name under
   * which a later run finds it, so a snapshot made from other inputs is not reused. @default - the upload alone
   */
  readonly snapshotVariant?: string;
  /** The monitoring zone, where the join writes joined rows (`window-and-feedback` only). */
  readonly monitoring?: ObjectStore;
  /** Receives what became of the joined rows (how many had no features or an unreadable outcome). */
  readonly onNote?: (note: string) => void;
}

/**
 * Writes the training manifest of a window run: the run's data file, every other usable upload in
 * the window (each snapshotted once in its life: a later run finds the snapshot by the upload's key
 * and ETag), and the feedback rows. An upload that cannot be read or lacks the target is left out
 * with its reason, as a bad upload must not fail every later run.
 */
export async function writeTrainingWindow(
  deps: WindowDeps,
  run: {
    readonly primary: ManifestInput;
    /** The primary's rows: its columns are the feedback rows' columns, its target's classes their labels. */
    readonly primaryTable: DataTable;
    /** The ETag of the primary's bytes as read: a later run finds its snapshot by it. */
    readonly primaryEtag: string;
    readonly usable: readonly ObjectSummary[];
    readonly now: Date;
  },
): Promise<TrainingWindow> {
  const { model } = deps;
  const settings = model.training.data;
  if (settings.source === 'newest') throw new Error('writeTrainingWindow is for window sources only');
  const selection = selectWindowUploads(run.usable, {
    primaryKey: run.primary.source,
    now: run.now,
    windowDays: settings.windowDays,
    maxFiles: settings.maxFiles,
  });
  const leftOut: { key: string; reason: string }[] = selection.leftOut.map((item) => ({
    key: item.key,
    reason: `over training.data.maxFiles (${settings.maxFiles}): older uploads go first`,
  }));
  const primaryRef = snapshotRefKey(deps, run.primary.source, run.primaryEtag);
  await writeSnapshotRef(deps.curated, primaryRef, run.primary, run.primaryEtag);
  const uploads: ManifestInput[] = [];
  for (const item of selection.uploads) {
    try {
      uploads.push(await snapshotOfUpload(deps, item));
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      leftOut.push({ key: item.key, reason: error.message });
    }
  }
  const manifest: TrainingManifest = {
    format: TRAINING_MANIFEST_FORMAT,
    model: model.name,
    target: model.target,
    source: settings.source,
    primary: run.primary,
    uploads,
    feedback:
      settings.source === 'window-and-feedback'
        ? await snapshotOfFeedback(
            deps,
            run.primaryTable,
            new Date(run.now.getTime() - settings.windowDays * DAY_MS),
            run.now,
          )
        : null,
  };
  const { bytes, sha256 } = serializeTrainingManifest(manifest);
  const manifestKey = trainingManifestKey(model.name, sha256);
  await putIfAbsent(deps.curated, manifestKey, bytes, 'application/json');
  return { manifestKey, manifestSha256: sha256, manifest, leftOut };
}

const DAY_MS = 86_400_000;

/**
 * The joined feedback rows of predictions made in [from, to) as one CSV snapshot in the primary's
 * columns, or null when none has recorded features and a readable outcome.
 */
async function snapshotOfFeedback(
  deps: WindowDeps,
  primary: DataTable,
  from: Date,
  to: Date,
): Promise<ManifestInput | null> {
  const { model } = deps;
  if (!deps.monitoring) {
    throw new WorkflowConfigError(
      `training.data.source of ${model.name} is window-and-feedback, but validate has no monitoring bucket to read joined rows from`,
    );
  }
  const joined = await readJoinedWindow(deps.monitoring, model.name, from, to);
  const encoding = encodeTarget(primary.columns[primary.columnNames.indexOf(model.target)], {
    target: model.target,
    task: model.problemType,
    positiveLabel: model.positiveLabel,
  }).encoding;
  const target: FeedbackTarget =
    encoding.task === 'binary'
      ? {
          name: model.target,
          task: 'binary',
          positiveLabel: encoding.positiveLabel,
          negativeLabel: encoding.negativeLabel,
        }
      : { name: model.target, task: 'regression' };
  const rows = feedbackTrainingRows(joined.rows, primary.columnNames, target);
  deps.onNote?.(
    `feedback: ${rows.table.rowCount} joined row(s) of predictions made since ${from.toISOString()} train` +
      (rows.withoutFeatures > 0 ? `; ${rows.withoutFeatures} without recorded features left out` : '') +
      (rows.unreadableOutcomes > 0
        ? `; ${rows.unreadableOutcomes} with an outcome that is not a class of ${model.name} left out`
        : ''),
  );
  if (rows.table.rowCount === 0) return null;
  const bytes = new TextEncoder().encode(formatCsv(rows.table));
  const sha256 = sha256Hex(bytes);
  const key = snapshotKey(model.name, sha256, '.csv');
  await putIfAbsent(deps.curated, key, bytes, 'text/csv');
  return { source: joinedPrefix(model.name), snapshotKey: key, sha256, rows: rows.table.rowCount };
}

const snapshotRefSchema = manifestInputSchema.extend({ etag: z.string() });

/** The upload's snapshot: found by its key and ETag, or made now (read, checked, written). */
async function snapshotOfUpload(deps: WindowDeps, item: ObjectSummary): Promise<ManifestInput> {
  const refKey = snapshotRefKey(deps, item.key, item.etag);
  // An unreadable ref is only a missed shortcut: the upload is snapshotted again.
  const known = (await readJson(deps.curated, refKey, snapshotRefSchema).catch(() => null))?.value;
  if (known && known.source === item.key) {
    return { source: known.source, snapshotKey: known.snapshotKey, sha256: known.sha256, rows: known.rows };
  }
  const { body, sha256, etag, extension } = await deps.readUpload(item);
  const table = await readTableBytes(body, extension ? `${item.key} (as ${extension})` : item.key);
  if (table.rowCount === 0) throw new DataError(`${item.key} has no data rows`);
  if (!table.columnNames.includes(deps.model.target)) {
    throw new DataError(`${item.key} has no target column "${deps.model.target}"`);
  }
  const key = snapshotKey(deps.model.name, sha256, extension ?? extensionOf(item.key));
  await putIfAbsent(deps.curated, key, body, key.endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'text/csv');
  const input: ManifestInput = { source: item.key, snapshotKey: key, sha256, rows: table.rowCount };
  // Named by the ETag of the bytes read: the upload may have been replaced since the listing.
  await writeSnapshotRef(deps.curated, snapshotRefKey(deps, item.key, etag), input, etag);
  return input;
}

function snapshotRefKey(deps: WindowDeps, key: string, etag: string): string {
  return uploadSnapshotRefKey(deps.model.name, key, deps.snapshotVariant ? `${etag}\n${deps.snapshotVariant}` : etag);
}

async function writeSnapshotRef(curated: ObjectStore, key: string, input: ManifestInput, etag: string): Promise<void> {
  await curated.put(key, JSON.stringify({ ...input, etag }), { contentType: 'application/json' });
}

function extensionOf(key: string): string {
  const lower = key.toLowerCase();
  return ['.parquet', '.tsv', '.txt'].find((extension) => lower.endsWith(extension)) ?? '.csv';
}

/** Content-addressed objects: one already at the key holds the same bytes, so losing the race is success. */
async function putIfAbsent(store: ObjectStore, key: string, body: Uint8Array, contentType: string): Promise<void> {
  try {
    await store.put(key, body, { ifNoneMatch: '*', contentType });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
}
