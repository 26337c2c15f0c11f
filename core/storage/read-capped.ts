import { createHash } from 'node:crypto';
import type { ObjectStore } from './object-store';

/** The object grew past the cap while it was read (it was under it at HEAD). */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super(`s3://${bucket}/${key} holds more than ${maxBytes} bytes`);
  }
}

export interface CappedRead {
  readonly body: Uint8Array;
  readonly sha256: string;
  readonly etag: string;
}

/**
 * Reads an object as a stream, hashing as it goes, and stops as soon as more than `maxBytes`
 * arrived: a size checked by HEAD can change before the GET. Null when the object is absent.
 */
export async function readCapped(store: ObjectStore, key: string, maxBytes: number): Promise<CappedRead | null> {
  const object = await store.getStream(key);
  if (!object) return null;
  const hash = createHash('sha256');
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iterator = object.body[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      total += next.value.byteLength;
      if (total > maxBytes) throw new ObjectTooLargeError(store.bucket, key, maxBytes);
      hash.update(next.value);
      chunks.push(next.value);
    }
  } finally {
    // Stops the download when the cap was hit (a no-op after the last chunk).
    await iterator.return?.();
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, sha256: hash.digest('hex'), etag: object.etag };
}
