/**
 * What the feature pipeline hands to a learner: every feature already numeric,
 * no missing values (the pipeline imputes and adds indicators).
 */
export type FeatureKind =
  /** A numeric value, imputed where missing. */
  | 'numeric'
  /** 0 or 1: a boolean column, or a missing-value indicator. */
  | 'binary'
  /** An integer code in [0, cardinality); codes are ordered by the target's mean on the training rows. */
  | 'categorical';

export interface FeatureInfo {
  readonly name: string;
  readonly kind: FeatureKind;
  /** Number of codes, for `categorical` features only. */
  readonly cardinality?: number;
}

export interface FeatureMatrix {
  readonly features: readonly FeatureInfo[];
  /** Column-major: `columns[f][row]`. */
  readonly columns: readonly Float64Array[];
  readonly rowCount: number;
}
