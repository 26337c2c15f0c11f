import { createHash } from 'node:crypto';
import * as z from 'zod';
import { byUploadOrder, type ObjectSummary } from '../storage/object-store';

/**
 * The training manifest: every input of a run whose config trains on more than one file
 * (`training.data.source` `window` or `window-and-feedback`). Validate writes it to the curated
 * zone, content-addressed, and the state carries only its key; the trainer reads it and the
 * snapshots it names. The run's data hash is the manifest's SHA-256, and the manifest names every
 * input's SHA-256, so the lineage covers every row the model trained on.
 */

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

/** One input: a curated snapshot with the hash its bytes must have. */
export const manifestInputSchema = z.object({
  /** Where the rows came from: a raw-zone key, or `joined/<model>/` for the feedback rows. */
  source: z.string(),
  snapshotKey: z.string(),
  sha256: sha256Schema,
  rows: z.number().int().nonnegative(),
});
export type ManifestInput = z.infer<typeof manifestInputSchema>;

export const TRAINING_MANIFEST_FORMAT = 'mlops-training-manifest/1';

export const trainingManifestSchema = z.object({
  format: z.literal(TRAINING_MANIFEST_FORMAT),
  model: z.string(),
  target: z.string(),
  source: z.enum(['window', 'window-and-feedback']),
  /**
   * The run's data file: its columns are the training set's columns and its validation split
   * (seeded as the gate re-derives it, core/workflow/held-out.ts) is never trained on.
   */
  primary: manifestInputSchema,
  /** The other uploads in the window, oldest first. */
  uploads: z.array(manifestInputSchema),
  /** The joined feedback rows of the window as one snapshot (features and the outcome as the target). */
  feedback: manifestInputSchema.nullable(),
});
export type TrainingManifest = z.infer<typeof trainingManifestSchema>;

/** The manifest's bytes: fixed field order, so the same inputs give the same bytes and hash. */
export function serializeTrainingManifest(manifest: TrainingManifest): { bytes: Uint8Array; sha256: string } {
  const input = (entry: ManifestInput) => ({
    source: entry.source,
    snapshotKey: entry.snapshotKey,
    sha256: entry.sha256,
    rows: entry.rows,
  });
  const ordered = {
    format: manifest.format,
    model: manifest.model,
    target: manifest.target,
    source: manifest.source,
    primary: input(manifest.primary),
    uploads: manifest.uploads.map(input),
    feedback: manifest.feedback && input(manifest.feedback),
  };
  const bytes = new TextEncoder().encode(`${JSON.stringify(ordered, null, 1)}\n`);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Reads a manifest; throws a message naming the source and the first bad field. */
export function parseTrainingManifest(text: string, source: string): TrainingManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON: a training manifest is a JSON object (format ${TRAINING_MANIFEST_FORMAT})`);
  }
  const parsed = trainingManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: ${issue.path.join('.') || 'manifest'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A training input URI names a manifest rather than a data file (data files are never .json). */
export const isTrainingManifestKey = (key: string): boolean => key.toLowerCase().endsWith('.json');

export interface WindowSelection {
  /** The uploads to train on besides the primary, oldest first. */
  readonly uploads: readonly ObjectSummary[];
  /** Uploads in the window left out because `maxFiles` was reached (the oldest go first). */
  readonly leftOut: readonly ObjectSummary[];
}

/**
 * The uploads of a window run besides the run's data file: every usable data file uploaded in
 * the `windowDays` before `now`, at most `maxFiles` counting the primary (the newest kept).
 * Uploaded later than `now` (clock skew) still counts. Ordered oldest first, then by key.
 */
export function selectWindowUploads(
  usable: readonly ObjectSummary[],
  options: { readonly primaryKey: string; readonly now: Date; readonly windowDays: number; readonly maxFiles: number },
): WindowSelection {
  const from = options.now.getTime() - options.windowDays * 86_400_000;
  const inWindow = usable
    .filter((item) => item.key !== options.primaryKey && item.lastModified.getTime() >= from)
    .sort(byUploadOrder);
  const room = Math.max(0, options.maxFiles - 1);
  const kept = inWindow.length - room;
  return kept > 0
    ? { uploads: inWindow.slice(kept), leftOut: inWindow.slice(0, kept) }
    : { uploads: inWindow, leftOut: [] };
}
