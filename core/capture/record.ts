import * as z from 'zod';

/**
 * A capture line: one sampled inference request (or one part of a request too large for one
 * line), as the endpoint writes it (lambdas/inference/capture.ts, which hand-builds the JSON to
 * know each line's size exactly) and the drift monitor reads it
 * (lambdas/drift-monitor/capture-window.ts). Lines are JSON Lines under
 * capture/<model>/dt=YYYY-MM-DD/hour=HH/.
 */

const cellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One request row: column name to value. */
export const captureInstanceSchema = z.record(z.string(), cellSchema).readonly();

export const capturePredictionSchema = z
  .object({
    /** Probability of the positive class (binary) or the predicted value (regression). */
    score: z.number(),
    label: z.string().optional(),
  })
  .readonly();

const isoTimeSchema = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO time');

const captureLineFields = z.object({
  /** Set only on a request split over several lines: this line's part, 1-based, of `parts`. */
  part: z.number().int().positive().optional(),
  parts: z.number().int().positive().optional(),
  requestId: z.string(),
  /** ISO time the request was scored. */
  time: isoTimeSchema,
  model: z.string(),
  version: z.number().int(),
  instances: z.array(captureInstanceSchema).readonly(),
  /** One per instance, in order (null where a prediction could not be serialised). */
  predictions: z.array(capturePredictionSchema.nullable()).readonly(),
  warnings: z.array(z.string()).readonly(),
});
export const captureLineSchema = captureLineFields.readonly();
export type CaptureLine = z.infer<typeof captureLineSchema>;

/**
 * What the drift monitor needs of a line, from the same fields, tolerant as a sample reader should
 * be: a line without a readable time or an `instances` array is not a capture line (skipped and
 * counted by the caller), an unreadable version is unknown (null), and rows that are not objects
 * are left out of an otherwise good line.
 */
export const capturedRowsSchema = z.object({
  time: captureLineFields.shape.time,
  part: captureLineFields.shape.part,
  version: captureLineFields.shape.version.nullable().catch(null),
  instances: z
    .array(z.unknown())
    .transform((rows) =>
      rows.filter(
        (row): row is Readonly<Record<string, z.infer<typeof cellSchema>>> =>
          typeof row === 'object' && row !== null && !Array.isArray(row),
      ),
    ),
});
