import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { type LocalS3, startLocalS3 } from '../../local/s3-server';

export interface LocalS3Harness {
  readonly server: LocalS3;
  readonly client: S3Client;
  readonly directory: string;
  stop(): Promise<void>;
}

/** A local S3 endpoint on a free loopback port with a real SDK client bound to it. */
export async function startLocalS3Harness(buckets: string[]): Promise<LocalS3Harness> {
  const directory = await mkdtemp(join(tmpdir(), 'mlops-s3-'));
  const server = await startLocalS3({ port: 0, directory, buckets });
  const client = createS3Client({ endpoint: server.endpoint });
  client.config.credentials = async () => ({ accessKeyId: 'local', secretAccessKey: 'local' });
  return {
    server,
    client,
    directory,
    stop: async () => {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Registers jest hooks for a test file that works on one bucket of a local S3: started before
 * all tests, emptied after each, stopped after all. Returns the bucket's store (valid once started).
 */
export function useEmptiedLocalS3Bucket(bucket: string): () => S3ObjectStore {
  let harness: LocalS3Harness | undefined;
  let store: S3ObjectStore | undefined;
  beforeAll(async () => {
    harness = await startLocalS3Harness([bucket]);
    store = new S3ObjectStore(harness.client, bucket);
  });
  afterEach(async () => {
    for (const item of await store!.list('')) await store!.delete(item.key);
  });
  afterAll(async () => {
    await harness?.stop();
  });
  return () => store!;
}
