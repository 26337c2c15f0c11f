import * as z from 'zod';
import { type FeatureViewConfig, featureViewSchema } from '../config/feature-view-schema';
import { ConfigError } from '../config/parse';

/**
 * The feature views a materializer function or backfill job works on, passed by the CDK app as
 * JSON in one variable (the config file is not in the bundle), and the upload event it handles.
 */
export const FEATURE_VIEWS_ENV = 'MLOPS_FEATURE_VIEWS';

export function featureViewsToEnv(views: readonly FeatureViewConfig[]): string {
  return JSON.stringify(views);
}

export function featureViewsFromEnv(env: NodeJS.ProcessEnv = process.env): FeatureViewConfig[] {
  const raw = env[FEATURE_VIEWS_ENV]?.trim();
  if (!raw) {
    throw new ConfigError(FEATURE_VIEWS_ENV, [
      { path: '', message: 'is not set: the feature views as JSON (the CDK app sets it)' },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(FEATURE_VIEWS_ENV, [{ path: '', message: 'is not JSON: the CDK app sets a JSON list' }]);
  }
  const result = z.array(featureViewSchema).safeParse(parsed);
  if (!result.success) {
    throw new ConfigError(
      FEATURE_VIEWS_ENV,
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  return result.data;
}

/** S3 "Object Created" as EventBridge delivers it (only the fields the materializer reads). */
export const objectCreatedEventSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string() }),
  }),
});
export type ObjectCreatedEvent = z.infer<typeof objectCreatedEventSchema>;
