import type { DataSchema } from '../schema/types';
import type { DriftTestName } from './report';
import { DEFAULT_THRESHOLDS } from './thresholds';

/** What a caller can set on a drift analysis, and how a column's threshold resolves. */

export interface ColumnDriftOverride {
  readonly test?: DriftTestName;
  readonly threshold?: number;
}

export interface DriftOptions {
  /** Dataset drift when drifted / tested columns reaches this share. @default 0.5 */
  readonly driftShare?: number;
  /** Multiple-testing correction over the p-value tests. @default 'none' */
  readonly correction?: 'none' | 'bonferroni' | 'benjamini-hochberg';
  /** Per-column test and threshold. */
  readonly columns?: Readonly<Record<string, ColumnDriftOverride>>;
  /** Per-test thresholds replacing DEFAULT_THRESHOLDS. */
  readonly thresholds?: Partial<Record<DriftTestName, number>>;
  /** @default 30 */
  readonly minReferenceRows?: number;
  /** @default 30 */
  readonly minCurrentRows?: number;
  /** Column types and roles of a reference given as a table; absent: guessed from the values. */
  readonly schema?: DataSchema;
  /** Report timestamp. @default new Date() */
  readonly now?: Date;
}

export class DriftConfigError extends Error {
  override readonly name = 'DriftConfigError';
}

/** A column's threshold: its own override, else the per-test option, else the default for the test. */
export function thresholdFor(
  test: DriftTestName,
  override: ColumnDriftOverride | undefined,
  options: DriftOptions,
): number {
  return override?.threshold ?? options.thresholds?.[test] ?? DEFAULT_THRESHOLDS[test];
}
