import { readJson, writeJson } from '../storage/json';
import type { ObjectStore } from '../storage/object-store';
import { triggerPrefix } from '../workflow/layout';
import { type PendingMarker, pendingMarkerSchema } from './retrain-plan';

/**
 * Where uploads wait while their model's run is in progress: under the trigger's own prefix, out of
 * reach of the training job's role (which may write only its run's output folder under runs/).
 */
export const pendingMarkersPrefix = (model: string): string => `${triggerPrefix(model)}pending/`;
export const pendingMarkerKey = (model: string, id: string): string => `${pendingMarkersPrefix(model)}${id}.json`;

export interface PendingMarkerStore {
  list(model: string): Promise<PendingMarker[]>;
  /** Idempotent: a marker id is derived from its events, so rewriting one changes nothing. */
  write(marker: PendingMarker): Promise<void>;
  delete(model: string, ids: readonly string[]): Promise<void>;
}

/** Pending markers as JSON objects in the artifacts zone (triggers/<model>/pending/<id>.json). */
export class ObjectStorePendingMarkers implements PendingMarkerStore {
  constructor(
    private readonly store: ObjectStore,
    /** Told about each marker that is skipped because it is not valid JSON or not a marker. @default - silent */
    private readonly onSkipped: (key: string, reason: string) => void = () => undefined,
  ) {}

  async list(model: string): Promise<PendingMarker[]> {
    const items = await this.store.list(pendingMarkersPrefix(model));
    const markers = await Promise.all(
      items.map(async (item) => {
        try {
          return (await readJson(this.store, item.key, pendingMarkerSchema))?.value ?? null;
        } catch (error) {
          // One bad object must not stop every batch of the model: skip it and say so.
          this.onSkipped(item.key, (error as Error).message);
          return null;
        }
      }),
    );
    return markers.filter((marker): marker is PendingMarker => marker !== null && marker.model === model);
  }

  async write(marker: PendingMarker): Promise<void> {
    await writeJson(this.store, pendingMarkerKey(marker.model, marker.id), marker);
  }

  async delete(model: string, ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.store.delete(pendingMarkerKey(model, id))));
  }
}
