import type { FeatureViewConfig } from '../../core/config/feature-view-schema';
import {
  type MaterializeDeps,
  type MaterializeSummary,
  materializeFiles,
  viewOfKey,
} from '../../core/feature-views/materialize-view';
import type { ObjectCreatedEvent } from '../../core/feature-views/runtime';

/** What the materializer did with one upload. */
export type UploadOutcome =
  | { readonly status: 'materialized'; readonly key: string; readonly summary: MaterializeSummary }
  | { readonly status: 'ignored'; readonly key: string; readonly reason: string };

export interface UploadDeps extends MaterializeDeps {
  readonly views: readonly FeatureViewConfig[];
  /** The curated zone's bucket: uploads to any other bucket are ignored. */
  readonly curatedBucket: string;
  readonly log: (level: 'info' | 'warn', message: string, details?: Record<string, unknown>) => void;
}

/**
 * One file uploaded under `features/<view>/` into the online store: newest row per entity,
 * compare-and-swap per item, so a redelivered event or an older file arriving late changes
 * nothing. A file that starts a new view version is logged with its schema findings (new and
 * removed columns), as warnings when it has any.
 */
export async function materializeUpload(event: ObjectCreatedEvent, deps: UploadDeps): Promise<UploadOutcome> {
  const { key } = event.detail.object;
  if (event.detail.bucket.name !== deps.curatedBucket) {
    return { status: 'ignored', key, reason: `bucket ${event.detail.bucket.name} is not the curated zone` };
  }
  const view = viewOfKey(deps.views, key);
  if (!view) return { status: 'ignored', key, reason: 'not a data file of a feature view' };
  if (!view.materialize.onUpload) {
    return { status: 'ignored', key, reason: `view ${view.name} has materialize.onUpload false` };
  }
  const summary = await materializeFiles(deps, view, [key]);
  for (const file of summary.files) {
    if (!file.newVersion) continue;
    const { schemaFindings } = file.newVersion;
    deps.log(
      schemaFindings.length > 0 ? 'warn' : 'info',
      `feature view ${view.name}: new version ${file.newVersion.version}`,
      {
        view: view.name,
        key,
        ...file.newVersion,
      },
    );
  }
  return { status: 'materialized', key, summary };
}
