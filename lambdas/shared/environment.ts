import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { ConfigError } from '../../core/config/parse';
import type { ObjectStore } from '../../core/storage/object-store';
import { ZONE_ENV, type Zone } from '../../core/workflow/layout';

/** A variable the deploying side must set; fails fast naming it and saying what it is (`is not set: <what>`). */
export function requiredEnv(name: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, [{ path: '', message: `is not set: ${what}` }]);
  return value;
}

/** The bucket of a zone from ZONE_ENV; fails fast naming the variable. */
export function zoneBucketFromEnv(zone: Zone, env: NodeJS.ProcessEnv = process.env): string {
  return requiredEnv(ZONE_ENV[zone], `the ${zone} zone's bucket name (the CDK app and the local platform set it)`, env);
}

/** One ObjectStore per zone the function uses, all over one S3 client. */
export function zoneStoresFromEnv<Z extends Zone>(
  zones: readonly Z[],
  client: S3Client,
  env: NodeJS.ProcessEnv = process.env,
): Record<Z, ObjectStore> {
  const stores = {} as Record<Z, ObjectStore>;
  for (const zone of zones) stores[zone] = new S3ObjectStore(client, zoneBucketFromEnv(zone, env));
  return stores;
}

/**
 * Builds a value on first use and keeps it for the container's life. A failed build is not kept,
 * so a misconfiguration fails each invocation with its message instead of poisoning the container.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
