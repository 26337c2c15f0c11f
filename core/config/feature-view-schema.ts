import * as z from 'zod';
import { MODEL_NAME_PATTERN } from '../workflow/layout';

/**
 * One feature view (issue 15): a named set of feature columns keyed by an entity (a customer id,
 * say), kept as history in the curated zone under `features/<view>/` and newest-per-entity in the
 * online store, so a caller can send only the key and the endpoint reads the rest.
 */
export const MISSING_ENTITY_POLICIES = ['impute', 'reject'] as const;

export const featureViewSchema = z
  .object({
    name: z
      .string({ message: 'name is required: a lower-case view name such as "customer"' })
      .regex(MODEL_NAME_PATTERN, {
        message: 'name must be lower-case letters, digits and hyphens, start with a letter, at most 40 characters',
      })
      .describe('The view name: its curated-zone prefix features/<name>/ and its online-store key prefix.'),
    entityKey: z
      .string({ message: 'entityKey is required: the column that identifies the entity, e.g. "customer_id"' })
      .min(1, { message: 'entityKey must name the column that identifies the entity' })
      .describe('The column that identifies the entity in view files and in requests.'),
    eventTimeColumn: z
      .string()
      .min(1)
      .default('event_time')
      .describe('The column holding when each row was true: ISO 8601 or epoch seconds/milliseconds.'),
    features: z
      .union([
        z.literal('all'),
        z.array(z.string().min(1)).min(1, { message: 'features must list at least one column' }),
      ])
      .default('all')
      .describe('"all" columns but the entity key and event time, or a list of column names.'),
    ttlSeconds: z
      .number()
      .int()
      .positive({ message: 'ttlSeconds must be above 0 (seconds, e.g. 86400 for a day)' })
      .optional()
      .describe(
        'A value older than this (at the label time in training, at request time in serving) is treated as missing. Unset: values never go stale.',
      ),
    onMissingEntity: z
      .enum(MISSING_ENTITY_POLICIES)
      .default('impute')
      .describe(
        'A request whose entity is not in the online store: impute its features (the response warns) or reject the row.',
      ),
    materialize: z
      .object({
        onUpload: z
          .boolean()
          .default(true)
          .describe('Load each file uploaded under features/<view>/ into the online store.'),
        shards: z
          .number()
          .int()
          .min(1)
          .max(10000, { message: 'materialize.shards must be at most 10000 (AWS Batch array limit)' })
          .default(4)
          .describe('AWS Batch array children of a full backfill (`mlops features materialize <view>`).'),
      })
      .prefault({})
      .describe('How the online store is loaded.'),
  })
  .strict()
  .superRefine((view, ctx) => {
    const reserved = [view.entityKey, view.eventTimeColumn];
    if (view.entityKey === view.eventTimeColumn) {
      ctx.addIssue({
        code: 'custom',
        path: ['eventTimeColumn'],
        message: `eventTimeColumn "${view.eventTimeColumn}" is the entity key: name the column holding each row's time`,
      });
    }
    if (Array.isArray(view.features)) {
      for (const column of view.features) {
        if (reserved.includes(column)) {
          ctx.addIssue({
            code: 'custom',
            path: ['features'],
            message: `features lists "${column}", the view's ${column === view.entityKey ? 'entity key' : 'event time column'}: it is never a feature, remove it`,
          });
        }
      }
    }
  })
  .describe('A feature view: features looked up by entity key for training (point in time) and serving (newest).');

export type FeatureViewConfig = z.output<typeof featureViewSchema>;
export type FeatureViewInput = z.input<typeof featureViewSchema>;
