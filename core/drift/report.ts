import * as z from 'zod';

/** The drift report written as report.json: the contract of `mlops drift` and the scheduled drift function. */

/**
 * 'chisquare' is Evidently's goodness-of-fit construction (reference frequencies taken as exact);
 * 'chisquare-homogeneity' is Pearson's two-sample test on the 2 x k table (scipy chi2_contingency,
 * no continuity correction), which also accounts for the reference's own sampling noise.
 */
export const driftTestNames = [
  'ks',
  'chisquare',
  'chisquare-homogeneity',
  'z',
  'wasserstein',
  'jensenshannon',
  'psi',
] as const;
export type DriftTestName = (typeof driftTestNames)[number];

export const columnStatuses = [
  /** Tested; `drift` holds the verdict. */
  'ok',
  /** Fewer usable rows than the minimum on one side: no verdict. */
  'not-enough-data',
  /** The column is absent from the current data (see schema.missingColumns). */
  'missing',
  /** The current values no longer have the reference type (see schema.typeChanges). */
  'type-changed',
] as const;

const severitySchema = z.enum(['info', 'warning', 'high']);
export type Severity = z.infer<typeof severitySchema>;

export const columnDriftSchema = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'categorical', 'boolean']),
  role: z.enum(['feature', 'target', 'excluded']),
  test: z.enum(driftTestNames),
  /** p-value for p-value tests (ks, chisquare, z), the distance otherwise; null without a verdict. */
  score: z.number().nullable(),
  threshold: z.number(),
  drift: z.boolean(),
  pValue: z.number().optional(),
  /** The p-value after the multiple-testing correction, when one is configured. */
  adjustedPValue: z.number().optional(),
  /** KS D, chi-square statistic or z statistic. */
  statistic: z.number().optional(),
  status: z.enum(columnStatuses),
  /** True when the reference was a profile and the test used its quantile sketch (KS, Wasserstein, binned JS/PSI). */
  approximate: z.boolean(),
  reference: z.object({ rows: z.number().int(), count: z.number().int(), missingRate: z.number() }),
  current: z.object({ rows: z.number().int(), count: z.number().int(), missingRate: z.number() }),
  message: z.string().optional(),
});
export type ColumnDrift = z.infer<typeof columnDriftSchema>;

const valueCountSchema = z.object({ value: z.string(), count: z.number() });

export const schemaFindingSchema = z.object({
  kind: z.enum([
    'newColumn',
    'missingColumn',
    'typeChange',
    'newCategories',
    'vanishedCategories',
    'missingRateChange',
    'infinities',
    'unparseableValues',
  ]),
  column: z.string(),
  severity: severitySchema,
  message: z.string(),
});
export type SchemaFinding = z.infer<typeof schemaFindingSchema>;

export const schemaDriftSchema = z.object({
  newColumns: z.array(z.object({ name: z.string(), presentShare: z.number(), type: z.string() })),
  missingColumns: z.array(z.object({ name: z.string(), role: z.string() })),
  typeChanges: z.array(z.object({ column: z.string(), from: z.string(), to: z.string(), share: z.number() })),
  newCategories: z.array(
    z.object({ column: z.string(), categories: z.array(valueCountSchema), rows: z.number(), share: z.number() }),
  ),
  vanishedCategories: z.array(
    z.object({ column: z.string(), categories: z.array(valueCountSchema), referenceShare: z.number() }),
  ),
  missingRateChanges: z.array(z.object({ column: z.string(), reference: z.number(), current: z.number() })),
  infinities: z.array(z.object({ column: z.string(), reference: z.number(), current: z.number() })),
  findings: z.array(schemaFindingSchema),
});
export type SchemaDrift = z.infer<typeof schemaDriftSchema>;

export const driftReportSchema = z.object({
  datasetDrift: z.boolean(),
  /** Drifted columns / tested columns. */
  driftShare: z.number(),
  driftShareThreshold: z.number(),
  driftedColumns: z.number().int(),
  /** Columns with a verdict (status 'ok'). */
  columnCount: z.number().int(),
  correction: z.enum(['none', 'bonferroni', 'benjamini-hochberg']),
  columns: z.array(columnDriftSchema),
  schema: schemaDriftSchema,
  suggestsRetrain: z.boolean(),
  retrainReasons: z.array(z.string()),
  reference: z.object({ rows: z.number().int(), source: z.enum(['profile', 'table']) }),
  current: z.object({ rows: z.number().int() }),
  generatedAt: z.string(),
});
export type DriftReport = z.infer<typeof driftReportSchema>;
