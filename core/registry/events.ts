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
