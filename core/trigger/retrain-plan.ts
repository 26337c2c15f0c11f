import { createHash } from 'node:crypto';
import * as z from 'zod';
import { FEEDBACK_UPLOAD_FOLDER } from '../ground-truth/layout';
import { type ExecutionInput, executionInputSchema, NAMES_IN_STATE, type TriggerManifest } from '../workflow/contract';
import { DATA_FILE_EXTENSIONS, modelOfRawKey, rawPrefix, triggerManifestKey } from '../workflow/layout';

/**
 * The retrain trigger's decision, pure: a batch of EventBridge events (delivered through SQS)
 * in, at most one StartExecution per model out. A burst of uploads starts one run; an upload
 * while the model's run is in progress becomes a pending marker that a follow-up run consumes
 * when that run finishes. Side effects live behind RetrainTriggerPorts (see handle-events.ts).
 */

/** S3 "Object Created" via EventBridge (only the fields used). */
const objectCreatedSchema = z.object({
  id: z.string(),
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  time: z.string(),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), size: z.number().optional(), sequencer: z.string().optional() }),
  }),
});

const executionStatusSchema = z.object({
  id: z.string(),
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  time: z.string(),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string().optional(),
    status: z.string(),
    input: z.string().nullable().optional(),
  }),
});

const FINISHED_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

export const pendingMarkerSchema = z.object({
  id: z.string(),
  model: z.string(),
  /** De-duplicated raw-zone keys that arrived while a run was in progress, oldest first. */
  objects: z.array(z.string()),
  /** The newest of `objects`: the data the follow-up run trains on. */
  newestKey: z.string(),
  newestAt: z.string(),
  createdAt: z.string(),
});
export type PendingMarker = z.infer<typeof pendingMarkerSchema>;

export interface Upload {
  readonly model: string;
  readonly key: string;
  readonly at: string;
  readonly eventId: string;
}

export interface IgnoredEvent {
  readonly eventId?: string;
  readonly key?: string;
  /** One line for the log: what was ignored and why. */
  readonly reason: string;
}

export interface ClassifiedEvents {
  readonly uploads: ReadonlyMap<string, readonly Upload[]>;
  /** Model -> ARNs of its executions that finished in this batch. */
  readonly finished: ReadonlyMap<string, readonly string[]>;
  readonly ignored: readonly IgnoredEvent[];
}

export interface TriggerConfig {
  /** Configured model names; uploads under other prefixes are ignored. */
  readonly models: readonly string[];
  /** When set, Object Created events from other buckets are ignored. */
  readonly rawBucket?: string;
}

/** Sorts a batch into uploads per model, finished executions per model, and ignored events with reasons. */
export function classifyEvents(events: readonly unknown[], config: TriggerConfig): ClassifiedEvents {
  const uploadsByKey = new Map<string, Map<string, Upload>>();
  const finished = new Map<string, string[]>();
  const ignored: IgnoredEvent[] = [];
  const configured = new Set(config.models);

  for (const event of events) {
    const created = objectCreatedSchema.safeParse(event);
    if (created.success) {
      const { id, time, detail } = created.data;
      const key = detail.object.key;
      const rejection = uploadRejection(key, detail.bucket.name, config, configured);
      if (rejection) {
        ignored.push({ eventId: id, key, reason: rejection });
        continue;
      }
      const model = modelOfRawKey(key)!;
      const byKey = uploadsByKey.get(model) ?? new Map<string, Upload>();
      const upload: Upload = { model, key, at: time, eventId: id };
      const seen = byKey.get(key);
      // The same key uploaded twice in a burst counts once, at its latest upload.
      byKey.set(key, seen && byTimeThenKey(seen, upload) > 0 ? seen : upload);
      uploadsByKey.set(model, byKey);
      continue;
    }
    const status = executionStatusSchema.safeParse(event);
    if (status.success) {
      const { id, detail } = status.data;
      if (!FINISHED_STATUSES.has(detail.status)) {
        ignored.push({ eventId: id, reason: `execution ${detail.executionArn} is ${detail.status}, not finished` });
        continue;
      }
      const model = modelOfExecutionInput(detail.input);
      if (!model || !configured.has(model)) {
        ignored.push({
          eventId: id,
          reason: `execution ${detail.executionArn} finished but its input names no configured model (${model ?? 'none'})`,
        });
        continue;
      }
      finished.set(model, [...(finished.get(model) ?? []), detail.executionArn]);
      continue;
    }
    ignored.push({
      eventId: idOf(event),
      reason: `not an S3 Object Created or Step Functions status event: ${describe(event)}`,
    });
  }
  const uploads = new Map<string, Upload[]>();
  for (const [model, byKey] of uploadsByKey) uploads.set(model, [...byKey.values()].sort(byTimeThenKey));
  return { uploads, finished, ignored };
}

/** What the trigger knows about one model before deciding. */
export interface ModelView {
  /** ARNs of the model's RUNNING executions (as listed; may include ones this batch reports finished). */
  readonly running: readonly string[];
  readonly pending: readonly PendingMarker[];
}

export interface PlannedStart {
  readonly model: string;
  /** Deterministic from the events consumed, so a redelivered batch starts the same execution (idempotent). */
  readonly executionName: string;
  readonly input: ExecutionInput;
  /** Every key, written to S3 before the start when the input holds only the first NAMES_IN_STATE. */
  readonly manifest?: TriggerManifest;
  /** Marker ids to delete once the start succeeded. */
  readonly consumesMarkers: readonly string[];
}

export interface RetrainPlan {
  readonly starts: readonly PlannedStart[];
  readonly markers: readonly PendingMarker[];
}

/**
 * For each model with uploads or a finished run: start one run over the new uploads and any
 * pending markers when nothing is running; otherwise record the uploads as one pending marker.
 */
export function planRetrains(
  classified: ClassifiedEvents,
  views: ReadonlyMap<string, ModelView>,
  now: Date,
): RetrainPlan {
  const starts: PlannedStart[] = [];
  const markers: PendingMarker[] = [];
  const models = new Set([...classified.uploads.keys(), ...classified.finished.keys()]);
  for (const model of [...models].sort()) {
    const uploads = classified.uploads.get(model) ?? [];
    const finishedHere = new Set(classified.finished.get(model) ?? []);
    const view = views.get(model) ?? { running: [], pending: [] };
    const stillRunning = view.running.filter((arn) => !finishedHere.has(arn));
    if (stillRunning.length > 0) {
      if (uploads.length > 0) markers.push(markerFor(model, uploads, now));
      continue;
    }
    const start = startFor(model, uploads, view.pending, finishedHere.size > 0);
    if (start) starts.push(start);
  }
  return { starts, markers };
}

export function markerFor(model: string, uploads: readonly Upload[], now: Date): PendingMarker {
  const newest = uploads.at(-1)!;
  return {
    id: digest(uploads.map((upload) => upload.eventId)),
    model,
    objects: uploads.map((upload) => upload.key),
    newestKey: newest.key,
    newestAt: newest.at,
    createdAt: now.toISOString(),
  };
}

function startFor(
  model: string,
  uploads: readonly Upload[],
  pending: readonly PendingMarker[],
  followsFinishedRun: boolean,
): PlannedStart | null {
  if (uploads.length === 0 && pending.length === 0) return null;
  // Oldest first, so the last item is the newest data.
  const items = [
    ...pending.map((marker) => ({ key: marker.newestKey, at: marker.newestAt, all: marker.objects })),
    ...uploads.map((upload) => ({ key: upload.key, at: upload.at, all: [upload.key] })),
  ].sort(byTimeThenKey);
  const objects = [...new Set(items.flatMap((item) => item.all))];
  const newest = items.at(-1)!;
  const reason =
    pending.length > 0
      ? `follow-up run: ${objects.length} upload(s) arrived while ${followsFinishedRun ? 'the previous run' : 'a run'} was in progress`
      : `${objects.length} upload(s) under ${model}/`;
  const identity = [...pending.map((marker) => marker.id), ...uploads.map((upload) => upload.eventId)];
  const executionName = `${model}-upload-${digest(identity).slice(0, 24)}`;
  // The input stays small by construction (see NAMES_IN_STATE): a long burst's keys go to a manifest.
  const listed = objects.length > NAMES_IN_STATE;
  const input = executionInputSchema.parse({
    model,
    trigger: {
      kind: 'upload',
      objects: objects.slice(0, NAMES_IN_STATE),
      objectCount: objects.length,
      ...(listed ? { manifestKey: triggerManifestKey(model, executionName) } : {}),
      reason,
    },
    dataKey: newest.key,
  });
  return {
    model,
    executionName,
    input,
    ...(listed ? { manifest: { model, executionName, objects, createdAt: newest.at } } : {}),
    consumesMarkers: pending.map((marker) => marker.id),
  };
}

function uploadRejection(key: string, bucket: string, config: TriggerConfig, configured: Set<string>): string | null {
  if (config.rawBucket && bucket !== config.rawBucket) {
    return `s3://${bucket}/${key} is not in the raw bucket ${config.rawBucket}`;
  }
  if (key.startsWith(`${FEEDBACK_UPLOAD_FOLDER}/`)) {
    return `s3://${bucket}/${key} is an actuals upload: the ground-truth join reads it, it never starts a retrain`;
  }
  const model = modelOfRawKey(key);
  if (!model || !configured.has(model)) {
    return `s3://${bucket}/${key} is not under a configured model prefix (${config.models.map(rawPrefix).join(', ') || 'no models configured'})`;
  }
  const lower = key.toLowerCase();
  if (!DATA_FILE_EXTENSIONS.some((extension) => lower.endsWith(extension))) {
    return `s3://${bucket}/${key} is not a data file (data files end in ${DATA_FILE_EXTENSIONS.join(', ')})`;
  }
  return null;
}

function modelOfExecutionInput(input: string | null | undefined): string | null {
  if (!input) return null;
  try {
    const parsed = executionInputSchema.safeParse(JSON.parse(input));
    return parsed.success ? parsed.data.model : null;
  } catch {
    return null;
  }
}

function byTimeThenKey(a: { at: string; key: string }, b: { at: string; key: string }): number {
  const time = Date.parse(a.at) - Date.parse(b.at);
  if (time !== 0) return time;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function digest(parts: readonly string[]): string {
  return createHash('sha256')
    .update([...parts].sort().join('\n'))
    .digest('hex');
}

function idOf(event: unknown): string | undefined {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

function describe(event: unknown): string {
  const record = event as { source?: unknown; 'detail-type'?: unknown } | null;
  if (record && typeof record === 'object')
    return `source ${String(record.source)}, detail-type ${String(record['detail-type'])}`;
  return typeof event;
}
