/**
 * The schema the core infers from training data and stores in every artifact.
 * Serving, validation and drift all read it; it is plain JSON.
 */
export type ColumnType = 'numeric' | 'categorical' | 'boolean';

export type ColumnRole =
  /** Used by the model. */
  | 'feature'
  /** The column the model predicts. */
  | 'target'
  /** Present in training data but not used: identifier-like, constant, or not selected by config. */
  | 'excluded';

export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnType;
  readonly role: ColumnRole;
  /** Why an `excluded` column is not used, in words a user can act on. */
  readonly excludedReason?: string;
  /** Share of training rows where the value is missing, in [0, 1]. */
  readonly missingRate: number;
  /** Distinct non-missing values seen in training. */
  readonly uniqueCount: number;
}

export interface DataSchema {
  readonly columns: readonly ColumnSchema[];
  readonly target: string;
  readonly rowCount: number;
}
