import type { ITable, ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { FeatureViewConfig } from '../core/config/feature-view-schema';
import type { ModelConfig } from '../core/config/schema';
import { FEATURE_TABLE_ENV } from '../core/feature-views/layout';
import { FEATURE_VIEW_ENV, featureViewToEnv } from '../core/feature-views/serving-env';

/** The online feature store's table, as the stack's feature-store construct exposes it. */
export type FeatureTable = ITable | ITableV2;

/**
 * What a scoring function or job of a model with a feature view needs, or undefined for a model
 * without one: checks that the caller passed the table and the model's view (errors name the
 * model, what was received and the fix).
 */
export function featureViewReaderFor(
  model: ModelConfig,
  table: FeatureTable | undefined,
  view: FeatureViewConfig | undefined,
): { table: FeatureTable; view: FeatureViewConfig } | undefined {
  if (model.featureView === undefined) return undefined;
  if (!table) {
    throw new Error(
      `model ${model.name} reads feature view "${model.featureView}" but no featureTable was given; pass the online store's table (FeatureStore.table)`,
    );
  }
  if (!view || view.name !== model.featureView) {
    throw new Error(
      `model ${model.name} reads feature view "${model.featureView}" but featureView is ${view ? `"${view.name}"` : 'not set'}; pass featureViewOf(config, model)`,
    );
  }
  return { table, view };
}

/**
 * The environment of a reader of one view: the table and the view's resolved config (the model
 * config holds only its name). Read by core/feature-views/serving-env.ts.
 */
export function featureViewEnvironment(table: FeatureTable, view: FeatureViewConfig): Record<string, string> {
  return { [FEATURE_TABLE_ENV]: table.tableName, [FEATURE_VIEW_ENV]: featureViewToEnv(view) };
}

/**
 * Lets a scorer read its own view's items and nothing else: only BatchGetItem, only on the table,
 * only on partition keys `<view>#...` (every key of the request must match: ForAllValues). No
 * Query or Scan, no writes, no other view's entities. A customer-managed key, if the table has
 * one, may decrypt.
 */
export function grantFeatureViewRead(grantee: IGrantable, table: FeatureTable, view: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:BatchGetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${view}#*`] } },
    }),
  );
  table.encryptionKey?.grantDecrypt(grantee);
}
