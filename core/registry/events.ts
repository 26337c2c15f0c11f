import * as z from 'zod';
import { type AliasRecord, aliasRecordSchema, PRODUCTION_ALIAS } from './records';

/**
 * Registry events: one on every registration, alias move and approval change, so serving and
 * automation react to changes instead of polling. adapters/eventbridge-sink.ts sends them to
 * EventBridge; MemoryEventSink keeps them for tests and the local platform.
 */
export const REGISTRY_EVENT_SOURCE = 'mlops.registry';

export type RegistryDetailType = 'ModelVersionRegistered' | 'ModelAliasMoved' | 'ModelApprovalChanged';

export interface RegistryEvent {
  readonly source: typeof REGISTRY_EVENT_SOURCE;
  readonly detailType: RegistryDetailType;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * The alias-moved contract, one definition for its writer (the registry), the EventBridge rule
 * (lib/inference-endpoint.ts), the inference function and the local platform's event routing:
 * source, detail type and detail (the alias record, as stored).
 */
export const ALIAS_MOVED = 'ModelAliasMoved' satisfies RegistryDetailType;

/** As EventBridge delivers it to a target (envelope fields other than these are not read). */
export const aliasMovedEventSchema = z.object({
  source: z.literal(REGISTRY_EVENT_SOURCE),
  'detail-type': z.literal(ALIAS_MOVED),
  detail: aliasRecordSchema,
});
export type AliasMovedEvent = z.infer<typeof aliasMovedEventSchema>;

/** What the registry publishes when an alias moves. */
export function aliasMovedEvent(record: AliasRecord): RegistryEvent {
  return { source: REGISTRY_EVENT_SOURCE, detailType: ALIAS_MOVED, detail: aliasRecordSchema.parse(record) };
}

/** The EventBridge pattern of production moves of one model (field names as CDK's EventPattern). */
export function productionMovePattern(model: string) {
  return {
    source: [REGISTRY_EVENT_SOURCE],
    detailType: [ALIAS_MOVED],
    detail: { model: [model], alias: [PRODUCTION_ALIAS] },
  };
}

/**
 * The alias record of an alias-moved event as EventBridge delivers it; null for any other event.
 * A broken detail is an error naming what is wrong: writer and reader share this schema, so it
 * means one side was deployed without the other.
 */
export function parseAliasMovedEvent(event: {
  readonly source?: unknown;
  readonly 'detail-type'?: unknown;
  readonly detail?: unknown;
}): AliasRecord | null {
  if (event.source !== REGISTRY_EVENT_SOURCE || event['detail-type'] !== ALIAS_MOVED) return null;
  const parsed = aliasMovedEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(
      `${ALIAS_MOVED} event with detail ${JSON.stringify(event.detail)} does not match the alias record: ` +
        `${z.prettifyError(parsed.error).replace(/\n/g, '; ')}; deploy the registry and its readers from one version`,
    );
  }
  return parsed.data.detail;
}

/** The same, for an entry as PutEvents receives it (Source, DetailType, Detail as a JSON string). */
export function parseAliasMovedEntry(entry: {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
}): AliasRecord | null {
  if (entry.Source !== REGISTRY_EVENT_SOURCE || entry.DetailType !== ALIAS_MOVED) return null;
  return parseAliasMovedEvent({
    source: entry.Source,
    'detail-type': entry.DetailType,
    detail: JSON.parse(String(entry.Detail ?? '{}')),
  });
}

export interface EventSink {
  publish(event: RegistryEvent): Promise<void>;
}

export class MemoryEventSink implements EventSink {
  readonly events: RegistryEvent[] = [];
  private readonly listeners: ((event: RegistryEvent) => void)[] = [];

  async publish(event: RegistryEvent): Promise<void> {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Called synchronously on every publish (the local platform reloads serving on alias moves). */
  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  ofType(detailType: RegistryDetailType): RegistryEvent[] {
    return this.events.filter((event) => event.detailType === detailType);
  }
}

/** For callers that do not need events (read-only CLI commands). */
export const NO_EVENTS: EventSink = { publish: async () => undefined };
