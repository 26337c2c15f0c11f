/**
 * Registry events reach the inference function through an EventBridge rule (and, locally, from
 * the platform's event bus): a move of this model's `production` alias makes the container reload
 * at once instead of waiting out the refresh interval. Only the container that receives the event
 * reacts; the others follow within `modelRefreshSeconds`.
 */
export interface RegistryEvent {
  readonly source: 'mlops.registry';
  readonly 'detail-type': string;
  readonly detail: { readonly model?: unknown; readonly alias?: unknown };
}

export function isRegistryEvent(event: unknown): event is RegistryEvent {
  if (typeof event !== 'object' || event === null) return false;
  const candidate = event as Partial<RegistryEvent>;
  return (
    candidate.source === 'mlops.registry' &&
    typeof candidate['detail-type'] === 'string' &&
    typeof candidate.detail === 'object' &&
    candidate.detail !== null
  );
}

/** True when the event moves the `production` alias of `model`. */
export function movesProduction(event: RegistryEvent, model: string): boolean {
  return (
    event['detail-type'] === 'ModelAliasMoved' && event.detail.model === model && event.detail.alias === 'production'
  );
}
