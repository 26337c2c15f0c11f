import { readJson, writeJson } from '../storage/json';
import type { ObjectStore } from '../storage/object-store';
import { type PendingMarker, pendingMarkerSchema } from './retrain-trigger';

/** Where uploads wait while their model's run is in progress. */
export const pendingMarkersPrefix = (model: string): string => `runs/${model}/pending/`;
export const pendingMarkerKey = (model: string, id: string): string => `${pendingMarkersPrefix(model)}${id}.json`;

export interface PendingMarkerStore {
  list(model: string): Promise<PendingMarker[]>;
  /** Idempotent: a marker id is derived from its events, so rewriting one changes nothing. */
  write(marker: PendingMarker): Promise<void>;
  delete(model: string, ids: readonly string[]): Promise<void>;
}

/** Pending markers as JSON objects in the artifacts zone (runs/<model>/pending/<id>.json). */
export class ObjectStorePendingMarkers implements PendingMarkerStore {
  constructor(private readonly store: ObjectStore) {}

  async list(model: string): Promise<PendingMarker[]> {
    const items = await this.store.list(pendingMarkersPrefix(model));
    const markers = await Promise.all(items.map((item) => readJson(this.store, item.key, pendingMarkerSchema)));
    return markers.flatMap((marker) => (marker ? [marker.value] : []));
  }

  async write(marker: PendingMarker): Promise<void> {
    await writeJson(this.store, pendingMarkerKey(marker.model, marker.id), marker);
  }

  async delete(model: string, ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.store.delete(pendingMarkerKey(model, id))));
  }
}
