import type { TreesModelJson } from '../learners/trees';

/** What a framework's model file parses to: the forest as our `trees` model kind, and what it said about itself. */
export interface ImportedModel {
  readonly framework: 'xgboost' | 'lightgbm';
  /** The version the file names (XGBoost's `version`, LightGBM's `version=` line), when it names one. */
  readonly frameworkVersion?: string;
  /** Feature names are the model's own (`featureNamesInModel`) or generated f0..fN-1 placeholders. */
  readonly model: TreesModelJson;
  readonly featureNamesInModel: boolean;
  /** Feature indices the framework treats as categorical (their values are category codes). */
  readonly categoricalFeatures: readonly number[];
  /** Facts about the file a person should know (kept as the artifact's notes). */
  readonly notes: readonly string[];
}

export const SUPPORTED_OBJECTIVES = {
  xgboost: ['binary:logistic', 'reg:squarederror', 'reg:linear'],
  lightgbm: ['binary', 'regression', 'regression_l2', 'l2', 'mean_squared_error', 'mse'],
} as const;

export function generatedFeatureNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `f${i}`);
}
