import { writeJson } from '../storage/json';
import type { ObjectStore } from '../storage/object-store';
import type { TriggerManifest } from '../workflow/contract';
import { triggerManifestKey } from '../workflow/layout';

/** Where the full key list of a long upload burst goes; the execution input names it (trigger.manifestKey). */
export interface TriggerManifestStore {
  /** Idempotent: the key and content follow from the execution name and its events. */
  write(manifest: TriggerManifest): Promise<void>;
}

/** Manifests as JSON objects in the artifacts zone (triggers/<model>/manifests/<executionName>.json). */
export class ObjectStoreTriggerManifests implements TriggerManifestStore {
  constructor(private readonly store: ObjectStore) {}

  async write(manifest: TriggerManifest): Promise<void> {
    await writeJson(this.store, triggerManifestKey(manifest.model, manifest.executionName), manifest);
  }
}
