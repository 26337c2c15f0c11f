import type { Dirent } from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';

import FilesystemStore = require('s3rver/lib/stores/filesystem');
import S3Error = require('s3rver/lib/models/error');
import S3Object = require('s3rver/lib/models/object');

import { compareKeys, decodeKeySegment, encodeKey, isValidBucketName, S3RVER_MARKER } from './s3-key-path';

const OBJECT_FILE_SUFFIX = `${S3RVER_MARKER}object`;
/** s3rver's upload ids: 16 random bytes in hex. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const MAX_PART_NUMBER = 10_000;
/** A file name's limit on Linux and macOS, in bytes. */
const NAME_MAX = 255;
/** The longest name s3rver gives an object's files: `<segment>._S3rver_metadata.json`. */
const LONGEST_OBJECT_FILE_SUFFIX = `${S3RVER_MARKER}metadata.json`;

export interface ListOptions {
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly startAfter?: string;
  readonly maxKeys?: number;
}

/**
 * s3rver's filesystem store with keys kept as keys: s3rver joins key segments into a path as they
 * come (`../` climbs out of the bucket, `a//b` aliases `a/b`); here every segment is encoded (see
 * s3-key-path.ts), bucket names follow S3's rules, upload ids and part numbers are checked before
 * they name a file, and every path is checked to stay inside the data folder.
 */
export class KeySafeFilesystemStore extends FilesystemStore {
  private readonly root: string;

  constructor(rootDirectory: string) {
    super(rootDirectory);
    this.root = resolve(rootDirectory);
  }

  override getBucketPath(bucket: string): string {
    if (!isValidBucketName(bucket)) {
      throw new S3Error(
        'InvalidBucketName',
        `The specified bucket is not valid: ${JSON.stringify(bucket)}; use 3-63 lowercase letters, digits, '.' or '-'`,
        { BucketName: bucket },
      );
    }
    return this.inside(join(this.root, bucket));
  }

  /** An invalid name is no bucket (a stray file in the data folder must not break ListBuckets). */
  override async getBucket(bucket: string) {
    return isValidBucketName(bucket) ? super.getBucket(bucket) : null;
  }

  override getResourcePath(bucket: string, key: string | undefined, resource: string): string {
    const bucketPath = this.getBucketPath(bucket);
    // s3rver keeps bucket-wide files (uploads, CORS) under an empty key; no object key is empty.
    if (key === undefined || key === '') return this.inside(join(bucketPath, `${S3RVER_MARKER}${resource}`));
    const segments = encodeKey(key);
    const last = segments.pop()!;
    checkFileNameLengths(key, segments, last);
    return this.inside(join(bucketPath, ...segments, `${last}${S3RVER_MARKER}${resource}`));
  }

  override async listObjects(bucket: string, options: ListOptions) {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Number.POSITIVE_INFINITY } = options;
    const commonPrefixes = new Set<string>();
    const page: string[] = [];
    let isTruncated = false;
    for await (const key of this.keysInOrder(this.getBucketPath(bucket), '', { prefix, startAfter })) {
      const delimiterAt = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (delimiterAt !== -1) {
        commonPrefixes.add(key.slice(0, delimiterAt + delimiter.length));
        continue;
      }
      if (page.length === maxKeys) {
        isTruncated = true;
        break;
      }
      page.push(key);
    }

    const listed = await Promise.all(
      page.map(async (key) => {
        try {
          return new S3Object(bucket, key, null, await this.getMetadata(bucket, key));
        } catch (error) {
          // Deleted between the walk and this read.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
          throw error;
        }
      }),
    );
    return {
      objects: listed.filter((object) => object !== null),
      commonPrefixes: [...commonPrefixes].sort(compareKeys),
      isTruncated,
    };
  }

  override async deleteObject(bucket: string, key: string): Promise<void> {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        unlink(this.getResourcePath(bucket, key, resource)).catch(ignoring('ENOENT')),
      ),
    );
    // Folders left empty go, as in s3rver; one that a concurrent write has just filled stays.
    const bucketPath = this.getBucketPath(bucket);
    const folders = encodeKey(key).slice(0, -1);
    while (folders.length > 0) {
      const removed = await rmdir(this.inside(join(bucketPath, ...folders))).then(
        () => true,
        () => false,
      );
      if (!removed) return;
      folders.pop();
    }
  }

  override async initiateUpload(bucket: string, key: string, uploadId: string, metadata: unknown): Promise<void> {
    checkUploadId(uploadId);
    return super.initiateUpload(bucket, key, uploadId, metadata);
  }

  override async putPart(bucket: string, uploadId: string, partNumber: string | number, content: unknown) {
    checkUploadId(uploadId);
    checkPartNumber(partNumber);
    return super.putPart(bucket, uploadId, partNumber, content);
  }

  override async putObjectMultipart(bucket: string, uploadId: string, parts: { number: number; etag: string }[]) {
    checkUploadId(uploadId);
    for (const part of parts) checkPartNumber(part.number);
    return super.putObjectMultipart(bucket, uploadId, parts);
  }

  /**
   * The keys of a folder's objects that start with `prefix` and come after `startAfter`, in S3's
   * order. Each folder's entries are visited in the byte order of their keys (a folder as its key
   * prefix, `a/`), which is the order of all keys: every key under `a/` sorts right after `a/`.
   * So a page reads only the folders it lists, and the walk stops when the page is full.
   */
  private async *keysInOrder(
    folder: string,
    keyPrefix: string,
    range: { readonly prefix: string; readonly startAfter: string },
  ): AsyncGenerator<string> {
    const entries = await readdir(folder, { withFileTypes: true }).catch(ignoring('ENOENT', [] as Dirent[]));
    const visits: { key: string; folder?: string }[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) {
        const segment = decodeKeySegment(entry.name);
        if (segment === null) continue;
        const nested = `${keyPrefix}${segment}/`;
        const meetsPrefix = nested.startsWith(range.prefix) || range.prefix.startsWith(nested);
        // Every key under `nested` extends it: all of them come before startAfter unless it extends `nested` too.
        const beforeStart = compareKeys(nested, range.startAfter) < 0 && !range.startAfter.startsWith(nested);
        if (meetsPrefix && !beforeStart) visits.push({ key: nested, folder: join(folder, entry.name) });
      } else if (entry.isFile() && entry.name.endsWith(OBJECT_FILE_SUFFIX)) {
        const segment = decodeKeySegment(entry.name.slice(0, -OBJECT_FILE_SUFFIX.length));
        if (segment === null) continue;
        const key = `${keyPrefix}${segment}`;
        if (key.startsWith(range.prefix) && compareKeys(key, range.startAfter) > 0) visits.push({ key });
      }
    }
    visits.sort((left, right) => compareKeys(left.key, right.key));
    for (const visit of visits) {
      if (visit.folder) yield* this.keysInOrder(visit.folder, visit.key, range);
      else yield visit.key;
    }
  }

  /** Defence in depth: no path this store computes may leave the data folder. */
  private inside(path: string): string {
    const fromRoot = relative(this.root, resolve(path));
    if (fromRoot === '' || fromRoot.startsWith('..') || isAbsolute(fromRoot)) {
      throw new S3Error('AccessDenied', `Refused a path outside the local S3 data folder ${this.root}: ${path}`);
    }
    return path;
  }
}

/** Without this the filesystem's ENAMETOOLONG surfaces as a 500 InternalError. */
function checkFileNameLengths(key: string, folders: string[], last: string): void {
  const longest = Math.max(
    ...folders.map((folder) => Buffer.byteLength(folder)),
    Buffer.byteLength(last + LONGEST_OBJECT_FILE_SUFFIX),
  );
  if (longest > NAME_MAX) {
    throw new S3Error(
      'KeyTooLongError',
      `Your key is too long for the local S3: a '/'-separated part of ${JSON.stringify(key.slice(0, 80))}... needs ${longest} bytes as a file name (limit ${NAME_MAX}; '%', '\\', control characters and non-ASCII take 3 bytes per UTF-8 byte); split it with '/'`,
      { Key: key },
    );
  }
}

function checkUploadId(uploadId: string): void {
  if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) {
    throw new S3Error(
      'NoSuchUpload',
      `The specified upload does not exist: ${JSON.stringify(uploadId)} is not an upload id this endpoint issued`,
      { UploadId: String(uploadId) },
    );
  }
}

function checkPartNumber(partNumber: string | number): void {
  const number = Number(partNumber);
  if (!/^\d+$/.test(String(partNumber)) || number < 1 || number > MAX_PART_NUMBER) {
    throw new S3Error(
      'InvalidArgument',
      `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive; received ${JSON.stringify(partNumber)}`,
      { ArgumentName: 'partNumber', ArgumentValue: String(partNumber) },
    );
  }
}

function ignoring<T = void>(code: string, fallback?: T) {
  return (error: NodeJS.ErrnoException): T => {
    if (error.code === code) return fallback as T;
    throw error;
  };
}
