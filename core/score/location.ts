import type { TextSink } from './batch';

/** Where the scoring job reads and writes, whatever backs it (S3 or local files: adapters/scoring-locations.ts). */

export interface ScoringLocation {
  /** `s3://bucket/prefix` or a local path, as given. */
  readonly uri: string;
  /** Object keys (S3) or paths relative to the location (local) of the data files under it, in key order. */
  list(): Promise<string[]>;
  read(key: string): AsyncIterable<Uint8Array>;
  /**
   * A sink that writes the object at `key` when closed; nothing is visible before. Unless
   * `replace`, closing fails when the object exists by then (a concurrent run wrote it first).
   */
  writer(key: string, contentType: string, options?: { replace?: boolean }): ClosableSink;
  /** The readable name of a key, for messages and manifests. */
  describe(key: string): string;
  /** The key's unique name (s3:// URI or absolute path): equal names are the same object. */
  fullName(key: string): string;
  /** Whether the location is a local folder (a path that is not one yet is not). */
  isDirectory(): boolean;
  /** The full names of those keys that exist. */
  existing(keys: readonly string[]): Promise<string[]>;
  /** The key a location's own path maps to (for --out given as a file). */
  readonly key: string;
}

export interface ClosableSink extends TextSink {
  close(): Promise<void>;
  abort(): Promise<void>;
}

export function parseS3Uri(uri: string): { bucket: string; key: string } | null {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match ? { bucket: match[1]!, key: match[2]! } : null;
}
