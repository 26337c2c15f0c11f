import type { FeatureViewConfig } from '../config/feature-view-schema';
import type { ModelConfig, PlatformConfig } from '../config/schema';
import { DATA_FILE_EXTENSIONS } from '../workflow/layout';

/**
 * Where a feature view lives. Offline: its history as files under `features/<view>/` in the
 * curated zone (never overwritten; a file whose columns differ is a new view version). Online: one
 * item per entity in the deployment's table, keyed `<view>#<entity key>`, so an IAM condition on
 * `dynamodb:LeadingKeys` (`<view>#*`) confines a reader to its own view.
 */
export const featureViewPrefix = (view: string): string => `features/${view}/`;

/** Folder under the view's prefix for records the platform writes (never read as view data). */
export const featureViewMetaPrefix = (view: string): string => `${featureViewPrefix(view)}_meta/`;

/** Whether a key is a data file of the view: under its prefix, not under `_meta/`, a data file's extension. */
export function isViewDataKey(view: string, key: string): boolean {
  return (
    key.startsWith(featureViewPrefix(view)) &&
    !key.startsWith(featureViewMetaPrefix(view)) &&
    DATA_FILE_EXTENSIONS.some((extension) => key.toLowerCase().endsWith(extension))
  );
}

/** The online store's partition key attribute (string). */
export const ONLINE_KEY_ATTRIBUTE = 'pk';

export const onlineItemKey = (view: string, entityKey: string): string => `${view}#${entityKey}`;

/**
 * An entity key as text, the one spelling shared by view files, requests and the online store:
 * the number 42 and the string "42" are the same entity; "42.0" is not (as in the point-in-time
 * join). null for a missing key (null, empty text, a non-finite number, or a non-scalar).
 */
export function entityKeyText(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'bigint') return value.toString();
  return null;
}

/** The view a model reads, or undefined for a model without one. */
export function featureViewOf(config: PlatformConfig, model: ModelConfig): FeatureViewConfig | undefined {
  if (model.featureView === undefined) return undefined;
  const view = config.featureViews.find((candidate) => candidate.name === model.featureView);
  if (!view) throw new Error(`model "${model.name}" names featureView "${model.featureView}", which is not defined`);
  return view;
}

/** The variable naming the online store's DynamoDB table in functions and jobs. */
export const FEATURE_TABLE_ENV = 'MLOPS_FEATURE_TABLE';
