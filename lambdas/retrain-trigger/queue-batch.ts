import { randomUUID } from 'node:crypto';
import { handleRetrainEvents, type RetrainTriggerPorts, type TriggerOutcome } from '../../core/trigger/handle-events';
import type { ObjectStoreModelLeases } from '../../core/trigger/model-lease';
import type { TriggerConfig } from '../../core/trigger/retrain-plan';
import { modelOfRawKey } from '../../core/workflow/layout';

/** The part of an SQS record the trigger reads: the body is an EventBridge event as JSON. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface TriggerLog {
  info(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface TriggerDeps {
  readonly config: TriggerConfig;
  readonly ports: RetrainTriggerPorts;
  /** One invocation at a time per model: a batch whose model is held elsewhere returns to the queue. */
  readonly leases: Pick<ObjectStoreModelLeases, 'withLease'>;
  /** @default - the system clock */
  readonly clock?: () => Date;
  /** @default - silent */
  readonly log?: TriggerLog;
}

export interface TriggerBatchResult {
  /** SQS partial batch response: only these messages return to the queue (and reach the DLQ after 5 tries). */
  readonly batchItemFailures: { itemIdentifier: string }[];
  readonly started: TriggerOutcome['started'][number][];
  readonly markersWritten: TriggerOutcome['markersWritten'][number][];
  readonly ignored: TriggerOutcome['ignored'][number][];
}

const SILENT: TriggerLog = { info: () => undefined, error: () => undefined };

/**
 * One SQS batch: records are grouped by the model their event concerns and each model is
 * handled on its own (the core decides per model anyway), so a failing start for one model
 * returns only that model's messages to the queue. A body that is not JSON fails alone.
 * Events of no configured model go through the core too, which ignores them with a reason.
 */
export async function processTriggerRecords(
  records: readonly QueueRecord[],
  deps: TriggerDeps,
): Promise<TriggerBatchResult> {
  const log = deps.log ?? SILENT;
  const clock = deps.clock ?? (() => new Date());
  const failures: string[] = [];
  const groups = new Map<string, { events: unknown[]; messageIds: string[] }>();
  for (const record of records) {
    let event: unknown;
    try {
      event = JSON.parse(record.body);
    } catch (error) {
      log.error('queue message is not JSON; returned to the queue', {
        messageId: record.messageId,
        body: record.body.slice(0, 200),
        error: (error as Error).message,
      });
      failures.push(record.messageId);
      continue;
    }
    const key = modelOfEvent(event) ?? '';
    const group = groups.get(key) ?? { events: [], messageIds: [] };
    group.events.push(event);
    group.messageIds.push(record.messageId);
    groups.set(key, group);
  }

  const result: TriggerBatchResult = { batchItemFailures: [], started: [], markersWritten: [], ignored: [] };
  const owner = randomUUID();
  for (const [model, group] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    try {
      const handle = () => handleRetrainEvents(group.events, deps.config, deps.ports, clock);
      // Events of no configured model only produce ignore lines: no lease needed (nor granted in IAM).
      const held = deps.config.models.includes(model)
        ? await deps.leases.withLease(model, owner, handle)
        : { value: await handle() };
      if (!held) {
        log.info('another invocation is handling this model; its messages return to the queue', {
          model,
          messages: group.messageIds.length,
        });
        failures.push(...group.messageIds);
        continue;
      }
      const outcome = held.value;
      result.started.push(...outcome.started);
      result.markersWritten.push(...outcome.markersWritten);
      result.ignored.push(...outcome.ignored);
    } catch (error) {
      log.error('retrain trigger failed for a model; its messages return to the queue', {
        model: model || undefined,
        messages: group.messageIds.length,
        error: (error as Error).message,
      });
      failures.push(...group.messageIds);
    }
  }
  for (const start of result.started) {
    log.info('retraining started', {
      model: start.model,
      executionArn: start.executionArn,
      dataKey: start.input.dataKey,
      reason: start.input.trigger.reason,
      consumedMarkers: start.consumesMarkers.length,
    });
  }
  for (const marker of result.markersWritten) {
    log.info('run in progress: uploads kept for a follow-up run', {
      model: marker.model,
      markerId: marker.id,
      objects: marker.objects.length,
    });
  }
  for (const ignored of result.ignored) log.info('event ignored', { ...ignored });
  result.batchItemFailures.push(...failures.map((itemIdentifier) => ({ itemIdentifier })));
  return result;
}

/** The model an event concerns (raw-zone key prefix, or the finished execution's input), for grouping. */
export function modelOfEvent(event: unknown): string | null {
  const record = event as {
    source?: unknown;
    detail?: { object?: { key?: unknown }; input?: unknown } | null;
  } | null;
  if (!record || typeof record !== 'object') return null;
  if (record.source === 'aws.s3' && typeof record.detail?.object?.key === 'string') {
    return modelOfRawKey(record.detail.object.key);
  }
  if (record.source === 'aws.states' && typeof record.detail?.input === 'string') {
    try {
      const model = (JSON.parse(record.detail.input) as { model?: unknown } | null)?.model;
      return typeof model === 'string' ? model : null;
    } catch {
      return null;
    }
  }
  return null;
}
