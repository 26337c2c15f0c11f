// s3rver 3.7.1 ships no types; only what local/s3-server.ts uses is declared.
declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { Server } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    vhostBuckets?: boolean;
    allowMismatchedSignatures?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
  }

  class S3rver extends EventEmitter {
    constructor(options: S3rverOptions);
    /** Koa's middleware list, composed when the server starts listening (context untyped: `never` accepts any handler). */
    middleware: ((ctx: never, next: () => Promise<void>) => Promise<void> | void)[];
    httpServer?: Server;
    /** The object store every controller uses (also reachable as ctx.store). */
    store: unknown;
    context: { store: unknown };
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }

  export = S3rver;
}

declare module 's3rver/lib/models/account' {
  const AWSAccount: {
    registry: Map<string, unknown>;
    DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
  };
  export = AWSAccount;
}

declare module 's3rver/lib/models/error' {
  class S3Error extends Error {
    constructor(code: string, message: string, detail?: Record<string, string>);
  }
  export = S3Error;
}

declare module 's3rver/lib/models/object' {
  class S3Object {
    constructor(bucket: string, key: string, content: unknown, metadata: Record<string, unknown>);
    readonly bucket: string;
    readonly key: string;
    readonly size: number;
    readonly lastModifiedDate: Date;
    readonly metadata: Record<string, string>;
  }
  export = S3Object;
}

declare module 's3rver/lib/stores/filesystem' {
  class FilesystemStore {
    constructor(rootDirectory: string);
    getBucketPath(bucket: string): string;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getBucket(bucket: string): Promise<{ name: string; creationDate: Date } | null>;
    getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
    listObjects(
      bucket: string,
      options: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{ objects: unknown[]; commonPrefixes: string[]; isTruncated: boolean }>;
    deleteObject(bucket: string, key: string): Promise<void>;
    initiateUpload(bucket: string, key: string, uploadId: string, metadata: unknown): Promise<void>;
    putPart(
      bucket: string,
      uploadId: string,
      partNumber: string | number,
      content: unknown,
    ): Promise<{ size: number; md5: string }>;
    putObjectMultipart(
      bucket: string,
      uploadId: string,
      parts: { number: number; etag: string }[],
    ): Promise<{ size: number; md5: string }>;
  }
  export = FilesystemStore;
}
