import { type FeatureViewConfig, featureViewSchema } from '../config/feature-view-schema';
import { ConfigError } from '../config/parse';
import { featureViewConfigToEnv, RUNTIME_ENV } from '../config/runtime-env';
import { FEATURE_TABLE_ENV } from './layout';

/**
 * What a scoring function or job needs to serve a model with a feature view: the view's resolved
 * config (MLOPS_FEATURE_VIEW, JSON) and the online store's table (MLOPS_FEATURE_TABLE). The model
 * config carries only the view's name, so the CDK app and the local platform set both, for models
 * with a view only.
 */
export const FEATURE_VIEW_ENV = RUNTIME_ENV.featureViewConfig;

export interface ServingFeatureView {
  readonly view: FeatureViewConfig;
  readonly table: string;
}

/** The one spelling of a view in a function's environment, shared with the validate step. */
export const featureViewToEnv = featureViewConfigToEnv;

/**
 * The view and table of a model with a featureView; undefined for a model without one. Fails fast
 * (naming the variable) when the model names a view but the variables are missing or invalid: a
 * function that silently imputed every view feature would score garbage.
 */
export function servingFeatureViewFromEnv(
  featureView: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ServingFeatureView | undefined {
  if (featureView === undefined) return undefined;
  const problems: Array<{ path: string; message: string }> = [];
  const table = env[FEATURE_TABLE_ENV]?.trim();
  if (!table)
    problems.push({ path: FEATURE_TABLE_ENV, message: `is not set: the model reads feature view "${featureView}"` });
  let view: FeatureViewConfig | undefined;
  const text = env[FEATURE_VIEW_ENV];
  if (!text)
    problems.push({ path: FEATURE_VIEW_ENV, message: `is not set: the model reads feature view "${featureView}"` });
  else {
    try {
      view = featureViewSchema.parse(JSON.parse(text));
      if (view.name !== featureView) {
        problems.push({
          path: FEATURE_VIEW_ENV,
          message: `holds view "${view.name}", the model reads "${featureView}"`,
        });
      }
    } catch (error) {
      problems.push({
        path: FEATURE_VIEW_ENV,
        message: `is not a feature view: ${(error as Error).message.slice(0, 300)}`,
      });
    }
  }
  if (problems.length > 0 || !view || !table) throw new ConfigError('feature view environment', problems);
  return { view, table };
}
