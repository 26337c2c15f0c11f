import { isPreconditionFailed, listPageOf, type ObjectStore } from '../storage/object-store';
import { parseVersionIndexKey, parseVersionKey, versionIndexKey, versionIndexPrefix, versionsPrefix } from './keys';

/** Reads of the versions index (keys.ts versionIndexKey; the registry writes an entry per committed version). */

export interface VersionIndexPage {
  /** Newest first. */
  readonly versions: number[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  readonly next: number | null;
}

/** One page of version numbers, newest first, below `before` when given: a single list request. */
export async function listVersionIndexPage(
  store: ObjectStore,
  model: string,
  options: { size: number; before?: number },
): Promise<VersionIndexPage> {
  const page = await listPageOf(store, versionIndexPrefix(model), {
    maxKeys: options.size,
    startAfter: options.before === undefined ? undefined : versionIndexKey(model, options.before),
  });
  const versions = page.objects.flatMap((item) => parseVersionIndexKey(item.key) ?? []);
  return { versions, next: page.truncated && versions.length > 0 ? versions.at(-1)! : null };
}

/**
 * Writes the entries of versions committed before the index existed (a version is committed once
 * its version.json exists). Lists both prefixes once; the console runs it once per model at start.
 */
export async function backfillVersionIndex(store: ObjectStore, model: string): Promise<number> {
  const indexed = new Set(
    (await store.list(versionIndexPrefix(model))).flatMap((item) => parseVersionIndexKey(item.key) ?? []),
  );
  const missing = (await store.list(versionsPrefix(model)))
    .map((item) => parseVersionKey(item.key))
    .filter((parsed) => parsed?.file === 'version.json' && !indexed.has(parsed.version))
    .map((parsed) => parsed!.version);
  for (const version of missing) {
    try {
      await store.put(versionIndexKey(model, version), new Uint8Array(), { ifNoneMatch: '*' });
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
  return missing.length;
}
