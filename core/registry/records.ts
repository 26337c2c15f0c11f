import * as z from 'zod';
import type { DataSchema } from '../schema/types';

/** Stored shapes of the registry; every object is validated on read. */

export const ALIAS_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;
export const PRODUCTION_ALIAS = 'production';

export const approvalStatusSchema = z.enum(['pending', 'approved', 'rejected']);
export type ApprovalStatus = z.infer<typeof approvalStatusSchema>;

export const schemaSummarySchema = z.object({
  target: z.string(),
  rowCount: z.number().int(),
  columns: z.array(z.object({ name: z.string(), type: z.string(), role: z.string() })),
});
export type SchemaSummary = z.infer<typeof schemaSummarySchema>;

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

/**
 * A version registered from an externally produced artifact (`mlops register`): where it came
 * from instead of the data it was trained on, which the platform never saw.
 */
export const importedLineageSchema = z.object({
  /** The framework that produced the model (`xgboost`, `lightgbm`), or "external artifact". */
  source: z.string().min(1),
  /** SHA-256 of the source framework's model file, when the artifact records it. */
  sourceFileSha256: sha256Schema.optional(),
  sourceFile: z.string().optional(),
  /** The artifacts-zone key the artifact was uploaded to. */
  importKey: z.string().min(1),
  modelKind: z.string().min(1),
});
export type ImportedLineage = z.infer<typeof importedLineageSchema>;

/**
 * What a version was made from: enough to reproduce or audit it. A trained version has the hash
 * of its training data; an imported one has `imported` instead, and its dataKey and snapshotKey
 * name the data the gate measured it on.
 */
export const lineageSchema = z
  .object({
    runId: z.string().min(1),
    /** SHA-256 of the full training data (not a sample); absent for an imported version. */
    dataSha256: sha256Schema.optional(),
    imported: importedLineageSchema.optional(),
    dataKey: z.string().min(1),
    snapshotKey: z.string().optional(),
    /** A window run's training manifest (every input and its hash); dataSha256 is then the manifest's. */
    manifestKey: z.string().optional(),
    codeVersion: z.string().min(1),
    parameters: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.number()),
    schema: schemaSummarySchema,
  })
  .refine((lineage) => (lineage.dataSha256 === undefined) !== (lineage.imported === undefined), {
    message:
      'a version has either dataSha256 (trained) or imported (registered from an artifact), never both or neither',
    path: ['dataSha256'],
  });
export type Lineage = z.infer<typeof lineageSchema>;

/** Immutable once written. */
export const versionMetadataSchema = z.object({
  model: z.string(),
  version: z.number().int().positive(),
  createdAt: z.string(),
  artifactKey: z.string(),
  artifactSha256: z.string(),
  artifactBytes: z.number().int().nonnegative(),
  lineage: lineageSchema,
  tags: z.record(z.string(), z.string()).default({}),
});
export type VersionMetadata = z.infer<typeof versionMetadataSchema>;

export const approvalChangeSchema = z.object({
  status: approvalStatusSchema,
  at: z.string(),
  reason: z.string().optional(),
  actor: z.string().optional(),
});
export type ApprovalChange = z.infer<typeof approvalChangeSchema>;

/** Mutable, kept apart from the immutable metadata; `history` is oldest first. */
export const approvalRecordSchema = z.object({
  status: approvalStatusSchema,
  history: z.array(approvalChangeSchema),
});
export type ApprovalRecord = z.infer<typeof approvalRecordSchema>;

export const aliasMoveKindSchema = z.enum(['promote', 'rollback']);
export type AliasMoveKind = z.infer<typeof aliasMoveKindSchema>;

/** The alias object and each alias-history entry share this shape. */
export const aliasRecordSchema = z.object({
  model: z.string(),
  alias: z.string(),
  version: z.number().int().positive(),
  previousVersion: z.number().int().positive().nullable(),
  /** 1 for the first move, +1 per move: assigned under the alias's conditional write, so gap-free. */
  sequence: z.number().int().positive(),
  /** Never earlier than the previous move's, so history keys sort by time and sequence alike. */
  movedAt: z.string(),
  kind: aliasMoveKindSchema,
  reason: z.string().optional(),
  actor: z.string().optional(),
  /** The retraining run whose gate decided this move (absent for moves by hand). */
  runId: z.string().optional(),
});
export type AliasRecord = z.infer<typeof aliasRecordSchema>;

export interface ModelVersion extends VersionMetadata {
  readonly approval: ApprovalRecord;
}

/** The part of the core's DataSchema the registry keeps with each version. */
export function summarizeSchema(schema: DataSchema): SchemaSummary {
  return {
    target: schema.target,
    rowCount: schema.rowCount,
    columns: schema.columns.map(({ name, type, role }) => ({ name, type, role })),
  };
}
