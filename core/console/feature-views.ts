import type { FeatureViewConfig } from '../config/feature-view-schema';
import type { PlatformConfig } from '../config/schema';
import { featureViewPrefix } from '../feature-views/layout';
import { readViewVersions, type ViewVersionRecord } from '../feature-views/versions';
import { viewDataFiles } from '../feature-views/view-history';
import { listPageOf, newestModified, type ObjectStore } from '../storage/object-store';

/** A view as the console shows it: its definition and the models that read it. */
export interface ConsoleFeatureView {
  readonly config: FeatureViewConfig;
  readonly models: readonly string[];
}

/** The config's views, each with the models that name it. */
export function consoleFeatureViews(config: Pick<PlatformConfig, 'featureViews' | 'models'>): ConsoleFeatureView[] {
  return config.featureViews.map((view) => ({
    config: view,
    models: config.models.filter((model) => model.featureView === view.name).map((model) => model.name),
  }));
}

export interface ViewVersionSummary {
  readonly version: string;
  readonly columns: readonly string[];
  readonly firstSeenAt: string;
  readonly firstSeenKey: string;
  /** Against the version before it (none for the first). */
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export interface FeatureViewSummary {
  readonly name: string;
  readonly entityKey: string;
  readonly eventTimeColumn: string;
  readonly features: 'all' | readonly string[];
  readonly ttlSeconds: number | null;
  readonly onMissingEntity: string;
  readonly models: readonly string[];
  /** Newest first, at most MAX_VERSIONS_SHOWN. */
  readonly versions: readonly ViewVersionSummary[];
  readonly versionCount: number;
  /** Data files under features/<view>/ (counted up to MAX_FILES_COUNTED). */
  readonly files: number;
  readonly filesCapped: boolean;
  /** The newest data file's upload time: the view's freshness. */
  readonly newestFileAt: string | null;
}

export const MAX_VERSIONS_SHOWN = 20;
export const MAX_FILES_COUNTED = 1000;

/** Versions newest first, each with the columns it added and removed against the one before it. */
export function summarizeVersions(records: readonly ViewVersionRecord[]): ViewVersionSummary[] {
  // By first-seen time; at the same time, a version after the one it names as its previous.
  const ordered = [...records].sort((a, b) => {
    if (a.firstSeenAt !== b.firstSeenAt) return a.firstSeenAt.localeCompare(b.firstSeenAt);
    if (a.previousVersion === b.version) return 1;
    if (b.previousVersion === a.version) return -1;
    return a.version.localeCompare(b.version);
  });
  return ordered
    .map((record, index) => {
      const previous = ordered[index - 1]?.columns ?? [];
      return {
        version: record.version,
        columns: record.columns,
        firstSeenAt: record.firstSeenAt,
        firstSeenKey: record.firstSeenKey,
        added: index === 0 ? [] : record.columns.filter((column) => !previous.includes(column)),
        removed: previous.filter((column) => !record.columns.includes(column)),
      };
    })
    .reverse();
}

/**
 * Reads one view's summary from the curated zone: its version records (one list, one GET each, the
 * newest MAX_VERSIONS_SHOWN) and one list page of its files.
 */
export async function readFeatureViewSummary(
  curated: ObjectStore | undefined,
  view: ConsoleFeatureView,
): Promise<FeatureViewSummary> {
  const { config } = view;
  const base = {
    name: config.name,
    entityKey: config.entityKey,
    eventTimeColumn: config.eventTimeColumn,
    features: config.features,
    ttlSeconds: config.ttlSeconds ?? null,
    onMissingEntity: config.onMissingEntity,
    models: view.models,
  };
  if (!curated) return { ...base, versions: [], versionCount: 0, files: 0, filesCapped: false, newestFileAt: null };
  const { records } = await readViewVersions(curated, config.name);
  const page = await listPageOf(curated, featureViewPrefix(config.name), { maxKeys: MAX_FILES_COUNTED });
  const files = viewDataFiles(page.objects, config.name);
  const newest = newestModified(files);
  return {
    ...base,
    versions: summarizeVersions(records).slice(0, MAX_VERSIONS_SHOWN),
    versionCount: records.length,
    files: files.length,
    filesCapped: page.truncated,
    newestFileAt: newest ? newest.toISOString() : null,
  };
}
