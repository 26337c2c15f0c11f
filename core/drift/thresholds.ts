import type { DriftTestName } from './report';

/**
 * Every number the drift analysis decides with, each with why it has its value. The test
 * choice and verdict thresholds are Evidently's defaults (README.md beside this file,
 * /work/shared/notes/monitoring-and-registry.md) so that users read familiar numbers.
 */

/** Thresholds users know from Evidently: p-value tests drift below 0.05, distances at or above 0.1. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTestName, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  'chisquare-homogeneity': 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};
/** Tests whose score is a p-value (drift when small); the others score a distance (drift when large). */
export const P_VALUE_TESTS: ReadonlySet<DriftTestName> = new Set(['ks', 'chisquare', 'chisquare-homogeneity', 'z']);
/** Evidently switches from p-value tests to distances above this many reference rows. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Evidently: a numeric column with more than this many distinct values (both samples) gets a continuous test (KS, Wasserstein). */
export const FEW_UNIQUE_VALUES = 5;
/** Evidently: a small-reference column with this many distinct values or fewer is binary and gets the z-test. */
export const BINARY_UNIQUE_VALUES = 2;
/** Distinct values are counted only this far: beyond FEW_UNIQUE_VALUES the count changes no choice. */
export const UNIQUE_COUNT_CAP = FEW_UNIQUE_VALUES + 1;
/** Evidently bins numeric columns for JS and PSI above this many distinct reference values; below, each value is a category. */
export const BINNING_MIN_DISTINCT = 20;
/** Below this many usable rows on either side a column gets "not enough data" instead of a verdict. */
export const DEFAULT_MIN_ROWS = 30;
/** Evidently's dataset drift: half the tested columns drifted. */
export const DEFAULT_DRIFT_SHARE = 0.5;
/** Wasserstein is normed by the reference standard deviation, floored so constant columns do not divide by 0. */
export const WASSERSTEIN_STD_FLOOR = 0.001;
/**
 * Categories never seen in the reference are pooled into one leftover bin whose reference count
 * is this pseudo-count (half a row), instead of 0, which would make chi-square infinite.
 */
export const UNSEEN_CATEGORY_PSEUDO_COUNT = 0.5;
/** Absolute change in missing rate reported as a finding; `high` from MISSING_RATE_HIGH. */
export const MISSING_RATE_CHANGE = 0.05;
/** A change this large in a feature's missing rate starves the model of inputs: high severity, suggests a retrain. */
export const MISSING_RATE_HIGH = 0.2;
/** A new column carried by at least this share of rows, or new categories in this share, suggest a retrain. */
export const NEW_COLUMN_RETRAIN_SHARE = 0.5;
export const NEW_CATEGORY_RETRAIN_SHARE = 0.1;
/** A majority of current values reading as another type is a type change, not a few dirty cells. */
export const TYPE_CHANGE_SHARE = 0.5;
/** Reference categories that covered this share of reference rows and are now absent earn a warning. */
export const VANISHED_CATEGORY_WARNING_SHARE = 0.05;
/** Infinities in the current data above this multiple of the reference share earn a warning. */
export const INFINITY_WARNING_RATIO = 2;
/** New categories named in a finding's message; the full list is in schema.newCategories. */
export const LISTED_NEW_CATEGORIES = 5;
