import { readFileSync } from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../adapters/s3-object-store';
import type { ModelConfig } from '../core/config/schema';
import { featureViewPrefix } from '../core/feature-views/layout';
import { versionsPrefix } from '../core/registry/keys';
import { rawPrefix, type Zone } from '../core/workflow/layout';
import type { BuiltInData } from './built-in-data';

/** The built-in feature view the churn walk-through reads (mlops.config.json's `customer`). */
export const BUILT_IN_VIEW = 'customer';
/** The built-in customer view file's key in the curated zone; its upload is materialized into the online store. */
export const BUILT_IN_VIEW_KEY = `${featureViewPrefix(BUILT_IN_VIEW)}customers-v1.csv`;

/** The built-in churn data's key in the raw zone; its upload starts the first run. */
export const BUILT_IN_DATA_KEY = `${rawPrefix('churn')}churn-v1.csv`;

export interface FirstStartOptions {
  readonly client: S3Client;
  readonly buckets: Readonly<Record<Zone, string>>;
  readonly models: readonly ModelConfig[];
  readonly builtInData: BuiltInData;
  /** Upload the built-in churn data when the `churn` model has none yet. */
  readonly seedBuiltInData: boolean;
  /** Called for each model that already has a registered version. */
  readonly announceIfServing: (model: string) => Promise<void>;
  readonly log: (line: string) => void;
}

/**
 * Per model, at start: announce it when it has a version; else upload the built-in churn data
 * (the `churn` model with no data yet), or say where to upload data.
 */
export async function prepareModels(options: FirstStartOptions): Promise<void> {
  const { client, buckets, builtInData, log } = options;
  const artifacts = new S3ObjectStore(client, buckets.artifacts);
  for (const model of options.models) {
    const hasVersion = (await artifacts.list(versionsPrefix(model.name))).length > 0;
    if (hasVersion) {
      await options.announceIfServing(model.name);
      continue;
    }
    const raw = await new S3ObjectStore(client, buckets.raw).list(rawPrefix(model.name));
    if (model.name === 'churn' && model.featureView === BUILT_IN_VIEW && options.seedBuiltInData) {
      await seedCustomerView(client, buckets.curated, builtInData, log);
    }
    if (raw.length === 0 && model.name === 'churn' && options.seedBuiltInData) {
      log(
        `[churn] first start: uploading the built-in churn data (${builtInData.rows} rows) to s3://${buckets.raw}/${rawPrefix('churn')}`,
      );
      await client.send(
        new PutObjectCommand({
          Bucket: buckets.raw,
          Key: BUILT_IN_DATA_KEY,
          Body: readFileSync(builtInData.v1Path),
          ContentType: 'text/csv',
        }),
      );
    } else if (raw.length === 0) {
      log(
        `[${model.name}] waiting for data: upload a CSV or Parquet file to s3://${buckets.raw}/${rawPrefix(model.name)}`,
      );
    }
  }
}

/** Uploads the built-in customer view file once (when the view has no file yet); the upload rule materializes it. */
async function seedCustomerView(
  client: S3Client,
  curatedBucket: string,
  builtInData: BuiltInData,
  log: (line: string) => void,
): Promise<void> {
  const curated = new S3ObjectStore(client, curatedBucket);
  const files = (await curated.list(featureViewPrefix(BUILT_IN_VIEW))).filter(
    (object) => !object.key.includes('/_meta/'),
  );
  if (files.length > 0) return;
  log(
    `[churn] first start: uploading the built-in customer features to s3://${curatedBucket}/${BUILT_IN_VIEW_KEY} (the online store serves them by customer_id)`,
  );
  await client.send(
    new PutObjectCommand({
      Bucket: curatedBucket,
      Key: BUILT_IN_VIEW_KEY,
      Body: readFileSync(builtInData.customerFeaturesPath),
      ContentType: 'text/csv',
    }),
  );
}
