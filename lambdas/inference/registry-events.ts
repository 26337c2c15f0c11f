import { parseAliasMovedEvent, REGISTRY_EVENT_SOURCE } from '../../core/registry/events';
import { PRODUCTION_ALIAS } from '../../core/registry/records';

/**
 * Registry events reach the inference function through an EventBridge rule (and, locally, from
 * the platform's event bus): a move of this model's `production` alias makes the container reload
 * at once instead of waiting out the refresh interval. Only the container that receives the event
 * reacts; the others follow within `modelRefreshSeconds`.
 */
export interface DeliveredRegistryEvent {
  readonly source: typeof REGISTRY_EVENT_SOURCE;
  readonly 'detail-type': string;
  readonly detail: object;
}

/** Tells a registry event from a Function URL request; its detail is read by `movesProduction`. */
export function isRegistryEvent(event: unknown): event is DeliveredRegistryEvent {
  if (typeof event !== 'object' || event === null) return false;
  const candidate = event as Partial<DeliveredRegistryEvent>;
  return (
    candidate.source === REGISTRY_EVENT_SOURCE &&
    typeof candidate['detail-type'] === 'string' &&
    typeof candidate.detail === 'object' &&
    candidate.detail !== null
  );
}

/** True when the event moves the `production` alias of `model` (parsed with the registry's schema). */
export function movesProduction(event: DeliveredRegistryEvent, model: string): boolean {
  const moved = parseAliasMovedEvent(event);
  return moved !== null && moved.model === model && moved.alias === PRODUCTION_ALIAS;
}
