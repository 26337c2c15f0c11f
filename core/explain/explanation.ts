/**
 * One prediction's explanation as the endpoint sends it (`POST /predict?explain=true`) and as
 * `mlops invoke` reads it, and the column names both `mlops predict --explain` and
 * `mlops invoke --explain` print it under: `shap_<feature>` per input feature, then `shap_base`.
 */
import * as z from 'zod';

export const rowExplanationSchema = z.object({
  /** The margin with no feature known (TreeSHAP's expected value). */
  base: z.number(),
  /** Input feature -> contribution to the margin; base + their sum = the margin. */
  contributions: z.record(z.string(), z.number()),
});
export type RowExplanation = z.infer<typeof rowExplanationSchema>;

export const SHAP_BASE_COLUMN = 'shap_base';

/** The column of a feature's contribution. */
export function shapColumn(feature: string): string {
  return `shap_${feature}`;
}

/** Every explanation column, in order: one per feature, then the base. */
export function explanationColumns(features: readonly string[]): string[] {
  return [...features.map(shapColumn), SHAP_BASE_COLUMN];
}
