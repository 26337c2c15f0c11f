import { registryPrefix } from '../workflow/layout';

/** Where each registry object lives under registry/<model>/ in the artifacts zone. */
export const versionsPrefix = (model: string): string => `${registryPrefix(model)}versions/`;
export const versionPrefix = (model: string, version: number): string => `${versionsPrefix(model)}${version}/`;
export const artifactKey = (model: string, version: number): string => `${versionPrefix(model, version)}model.json`;
export const versionMetadataKey = (model: string, version: number): string =>
  `${versionPrefix(model, version)}version.json`;
export const approvalKey = (model: string, version: number): string => `${versionPrefix(model, version)}approval.json`;
export const aliasesPrefix = (model: string): string => `${registryPrefix(model)}aliases/`;
export const aliasKey = (model: string, alias: string): string => `${aliasesPrefix(model)}${alias}.json`;
export const aliasHistoryPrefix = (model: string, alias: string): string =>
  `${registryPrefix(model)}alias-history/${alias}/`;

/** Zero-padded sequence first, then the time: lexical order is move order. */
export function aliasHistoryKey(model: string, alias: string, sequence: number, movedAt: string): string {
  return `${aliasHistoryPrefix(model, alias)}${String(sequence).padStart(10, '0')}-${movedAt.replace(/[:.]/g, '')}.json`;
}

/**
 * The versions index: an empty marker per committed version whose key sorts newest first
 * (S3 lists in ascending key order only, and version numbers are not zero-padded in their own
 * keys), so a page of versions is one list request whatever the number of versions.
 */
export const versionIndexPrefix = (model: string): string => `${registryPrefix(model)}version-index/`;
const VERSION_INDEX_BASE = 9_999_999_999;
export const versionIndexKey = (model: string, version: number): string =>
  `${versionIndexPrefix(model)}${String(VERSION_INDEX_BASE - version).padStart(10, '0')}`;

/** The version a versions-index key stands for, or null. */
export function parseVersionIndexKey(key: string): number | null {
  const match = /\/version-index\/(\d{10})$/.exec(key);
  return match ? VERSION_INDEX_BASE - Number(match[1]) : null;
}

const VERSION_KEY = /^registry\/([^/]+)\/versions\/(\d+)\/([^/]+)$/;

/** Model, version and file name of a key under registry/<model>/versions/, or null. */
export function parseVersionKey(key: string): { model: string; version: number; file: string } | null {
  const match = VERSION_KEY.exec(key);
  return match ? { model: match[1]!, version: Number(match[2]), file: match[3]! } : null;
}

/**
 * Files of a version that never change once written (approval.json does change): the bucket
 * policy denies writing them without If-None-Match, so no one can overwrite a registered model.
 */
export const IMMUTABLE_VERSION_FILES = ['model.json', 'version.json'] as const;

/** IAM resource patterns (under the bucket ARN) of every model's immutable version files. */
export const immutableVersionKeyPatterns = (): string[] =>
  IMMUTABLE_VERSION_FILES.map((file) => `${registryPrefix('*')}versions/*/${file}`);
