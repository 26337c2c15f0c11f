import type * as z from 'zod';
import type { ObjectStore, PutOptions } from './object-store';

export interface JsonObject<T> {
  readonly value: T;
  readonly etag: string;
}

/** Reads and validates a JSON object; null when the key does not exist. */
export async function readJson<S extends z.ZodType>(
  store: ObjectStore,
  key: string,
  schema: S,
): Promise<JsonObject<z.output<S>> | null> {
  const object = await store.get(key);
  if (!object) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(object.body));
  } catch (error) {
    throw new Error(`s3://${store.bucket}/${key} is not valid JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new Error(`s3://${store.bucket}/${key} does not match its expected shape: ${result.error.message}`);
  }
  return { value: result.data, etag: object.etag };
}

export function writeJson(
  store: ObjectStore,
  key: string,
  value: unknown,
  options: Omit<PutOptions, 'contentType'> = {},
): Promise<{ etag: string }> {
  return store.put(key, `${JSON.stringify(value, null, 2)}\n`, { ...options, contentType: 'application/json' });
}
