import { DATA_FILE_EXTENSIONS } from '../workflow/layout';
import { asPrefix, manifestKey, objectManifestKey, scoringOutputKeys } from './shards';

/**
 * How `mlops score --out` maps to the files a run writes. Two forms:
 *
 *   one file     a path or s3:// key ending in .csv (one input object only, one shard):
 *                  <stem>.csv  <stem>.errors.jsonl  <stem>.manifest.json
 *   a prefix     a folder (existing, or any other path), an s3:// prefix with or without its
 *                trailing slash, or a bucket's root:
 *                  <prefix>/<name>.scored.csv  <prefix>/<name>.errors.jsonl
 *                  <prefix>/_manifests/shard-<i>-of-<n>.json   (one input object: <prefix>/_manifests/<name>.json)
 *
 * Paths ending in another data or output extension (.parquet, .json, .jsonl, ...) are refused:
 * the scores are CSV, and such a path is more likely a typo than a folder name.
 */
export type OutForm =
  | { readonly kind: 'file'; readonly key: string }
  | { readonly kind: 'prefix'; readonly prefix: string };

/** A mistake in --out (or its combination with --input and --shards); nothing has been written. */
export class ScoringTargetError extends Error {
  override readonly name = 'ScoringTargetError';
}

const REFUSED_EXTENSIONS = ['.json', '.jsonl', '.ndjson', ...DATA_FILE_EXTENSIONS.filter((ext) => ext !== '.csv')];

/**
 * The form of --out. `key` is the part after the bucket (S3) or the path (local);
 * `isDirectory` says whether a local path is an existing folder.
 */
export function outForm(out: string, key: string, isDirectory: boolean): OutForm {
  if (isDirectory || key === '' || key.endsWith('/')) return { kind: 'prefix', prefix: asPrefix(key) };
  const lower = key.toLowerCase();
  if (lower.endsWith('.csv')) return { kind: 'file', key };
  const refused = REFUSED_EXTENSIONS.find((ext) => lower.endsWith(ext));
  if (refused) {
    throw new ScoringTargetError(
      `--out ${out} ends in ${refused}, but scores are written as CSV; give a .csv file or a folder/prefix (end it with /)`,
    );
  }
  return { kind: 'prefix', prefix: asPrefix(key) };
}

export interface ScoringTarget {
  /** The input key as listed ('' when the input is itself one file). */
  readonly input: string;
  readonly output: string;
  readonly errors: string;
}

export interface ScoringPlan {
  /** Every input's targets, in input order (all shards: collisions are checked across them). */
  readonly targets: readonly ScoringTarget[];
  /** This shard's manifest. */
  readonly manifest: string;
}

/**
 * The keys a run writes, under the output location, for every input key. `inputName` names an
 * input key for the prefix form (the key itself, or the input file's base name when the input is
 * one file); `inputPrefix` is the input location's own key.
 */
export function planScoringTargets(options: {
  readonly out: string;
  readonly form: OutForm;
  readonly inputKeys: readonly string[];
  readonly inputName: (key: string) => string;
  readonly inputPrefix: string;
  readonly shardIndex: number;
  readonly shards: number;
}): ScoringPlan {
  const { form, inputKeys } = options;
  if (form.kind === 'file') {
    if (inputKeys.length !== 1) {
      throw new ScoringTargetError(
        `--out ${options.out} is one file, but the input holds ${inputKeys.length} data files; give a folder or prefix (end it with /)`,
      );
    }
    if (options.shards !== 1) {
      throw new ScoringTargetError(
        `--out ${options.out} is one file, which one shard writes, but --shards is ${options.shards}; give a folder or prefix`,
      );
    }
    const stem = form.key.slice(0, -'.csv'.length);
    return {
      targets: [{ input: inputKeys[0]!, output: form.key, errors: `${stem}.errors.jsonl` }],
      manifest: `${stem}.manifest.json`,
    };
  }
  const targets = inputKeys.map((key) => ({
    input: key,
    ...scoringOutputKeys(options.inputName(key), key === '' ? '' : options.inputPrefix, form.prefix),
  }));
  // One object into a shared prefix (each upload's own job does this): a manifest named after the
  // object, or every upload's job would replace the one `shard-0-of-1.json`.
  const oneObject = inputKeys.length === 1 && inputKeys[0] === options.inputPrefix && options.shards === 1;
  return {
    targets,
    manifest: oneObject
      ? objectManifestKey(form.prefix, targets[0]!.output)
      : manifestKey(form.prefix, options.shardIndex, options.shards),
  };
}

/** Full names (s3:// URIs or absolute paths) of what a run reads and writes, for the collision check. */
export interface ScoringNames {
  readonly inputs: ReadonlyArray<{ readonly key: string; readonly name: string }>;
  /** The input location itself when it is a folder or prefix (outputs under it would be read as inputs next time). */
  readonly inputRoot?: string;
  /** The output prefix, for the prefix form. */
  readonly outRoot?: string;
  readonly writes: ReadonlyArray<{ readonly what: string; readonly name: string }>;
}

/**
 * Refuses a plan in which two writes share a name (scores, errors and manifests included), a write
 * replaces an input, or the output prefix lies inside the input prefix.
 */
export function assertNoCollisions(names: ScoringNames): void {
  const inputs = new Set(names.inputs.map((input) => input.name));
  const seen = new Map<string, string>();
  for (const write of names.writes) {
    if (inputs.has(write.name)) {
      throw new ScoringTargetError(
        `the ${write.what} would be written to ${write.name}, which is an input; choose an --out outside the input`,
      );
    }
    const earlier = seen.get(write.name);
    if (earlier !== undefined) {
      throw new ScoringTargetError(
        `the ${earlier} and the ${write.what} would both be written to ${write.name}; ` +
          'rename one of the inputs or score them into different --out locations',
      );
    }
    seen.set(write.name, write.what);
  }
  if (names.inputRoot !== undefined && names.outRoot !== undefined) {
    const inputRoot = withSlash(names.inputRoot);
    if (withSlash(names.outRoot).startsWith(inputRoot)) {
      throw new ScoringTargetError(
        `--out ${names.outRoot} is inside --input ${names.inputRoot}: its .csv outputs would be scored as inputs ` +
          'by the next run; choose an --out outside the input',
      );
    }
  }
}

/** Refuses to replace existing outputs unless asked to (`--force`). */
export function assertNothingToReplace(existing: readonly string[], force: boolean): void {
  if (force || existing.length === 0) return;
  const more = existing.length > 1 ? ` (and ${existing.length - 1} more)` : '';
  throw new ScoringTargetError(
    `${existing[0]} already exists${more}; pass --force to replace the outputs, or choose another --out`,
  );
}

function withSlash(name: string): string {
  return name.endsWith('/') ? name : `${name}/`;
}
