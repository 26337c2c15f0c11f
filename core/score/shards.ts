import { DATA_FILE_EXTENSIONS } from '../workflow/layout';
import type { BatchScoreCounts } from './batch';

/**
 * Where a batch-scoring job reads and writes, and how its array shards split the inputs.
 * Every output key is a function of the input key alone, so a retried shard overwrites exactly
 * what its failed attempt wrote: no duplicates, nothing to clean up.
 *
 * Curated zone (the defaults of the deployed job; uploads under the input prefix start a job):
 *   <model>/score/input/<name>.csv|.parquet           objects to score
 *   <model>/score/output/<name>.scored.csv            input columns + id, score (+ label)
 *   <model>/score/output/<name>.errors.jsonl          rejected rows: line, reason, record
 *   <model>/score/output/_manifests/shard-<i>-of-<n>.json   a run over the prefix (the schedule)
 *   <model>/score/output/_manifests/<name>.json             a run over one object (an upload's job)
 * Not in the raw zone: uploads there retrain the model and would be read as training data.
 */

/** The files a scoring job takes from a listing: data files only, in key order. */
export function scorableKeys(keys: readonly string[]): string[] {
  return keys.filter((key) => DATA_FILE_EXTENSIONS.some((extension) => key.toLowerCase().endsWith(extension))).sort();
}

/** Shard `index` of `count` takes items index, index + count, ... (AWS Batch array child index). */
export function shardItems<T>(items: readonly T[], index: number, count: number): T[] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`shard count must be a positive integer, received ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`shard index must be an integer from 0 to ${count - 1}, received ${index}`);
  }
  return items.filter((_, position) => position % count === index);
}

export interface ScoringOutputKeys {
  readonly output: string;
  readonly errors: string;
}

/**
 * Output keys of an input key: its path below the input prefix (or its base name when the
 * prefix is the key itself), without its data extension, under the output prefix.
 */
export function scoringOutputKeys(inputKey: string, inputPrefix: string, outputPrefix: string): ScoringOutputKeys {
  const relative =
    inputKey.startsWith(inputPrefix) && inputKey.length > inputPrefix.length
      ? inputKey.slice(inputPrefix.length).replace(/^\/+/, '')
      : inputKey.slice(inputKey.lastIndexOf('/') + 1);
  const extension = DATA_FILE_EXTENSIONS.find((ext) => relative.toLowerCase().endsWith(ext));
  const stem = extension ? relative.slice(0, -extension.length) : relative;
  const base = asPrefix(outputPrefix);
  return { output: `${base}${stem}.scored.csv`, errors: `${base}${stem}.errors.jsonl` };
}

export function manifestKey(outputPrefix: string, index: number, count: number): string {
  return `${asPrefix(outputPrefix)}_manifests/shard-${index}-of-${count}.json`;
}

/** The manifest of a run over one object: `_manifests/<name>.json` beside its `<name>.scored.csv`. */
export function objectManifestKey(outputPrefix: string, outputKey: string): string {
  const base = asPrefix(outputPrefix);
  return `${base}_manifests/${outputKey.slice(base.length, -'.scored.csv'.length)}.json`;
}

/** `a/b` -> `a/b/`; the empty prefix (a bucket's root) stays empty. */
export function asPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

export interface ScoringModelRef {
  readonly name: string;
  /** The registry version; absent for a model read from a file. */
  readonly version?: number;
  readonly artifactSha256: string;
  /** Where the artifact was read (an s3:// URI or a path). */
  readonly source: string;
}

export interface ManifestInput extends BatchScoreCounts {
  readonly input: string;
  readonly output: string;
  readonly errors: string;
}

export interface ManifestFailure {
  readonly input: string;
  readonly reason: string;
}

/** What one shard did: written last, so a manifest means the shard finished. */
export interface ScoringManifest {
  readonly kind: 'mlops-scoring-manifest';
  readonly model: ScoringModelRef;
  readonly shard: { readonly index: number; readonly count: number };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly inputs: readonly ManifestInput[];
  /** Objects that could not be scored at all (unreadable file, bad header); their rows are not counted. */
  readonly failures: readonly ManifestFailure[];
  /** The predictions recorded for the ground-truth join (monitoring zone); absent when not recorded. */
  readonly predictionLog?: { readonly prefix: string; readonly batches: number; readonly records: number };
  readonly totals: { readonly rowsRead: number; readonly rowsScored: number; readonly rowsFailed: number };
}

export function buildManifest(parts: Omit<ScoringManifest, 'kind' | 'totals'>): ScoringManifest {
  const sum = (field: 'rowsRead' | 'rowsScored' | 'rowsFailed') =>
    parts.inputs.reduce((total, input) => total + input[field], 0);
  return {
    kind: 'mlops-scoring-manifest',
    ...parts,
    totals: { rowsRead: sum('rowsRead'), rowsScored: sum('rowsScored'), rowsFailed: sum('rowsFailed') },
  };
}
