import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type BuildOptions, buildSync } from 'esbuild';
import { REPO_ROOT } from './lambda-entries';

/**
 * The two esbuild builds of the repository: the command line (`dist/cli`, what bin/mlops.js runs)
 * and the trainer image (`dist/trainer`: its Dockerfile and one bundle of `trainer` and `score`).
 * `npm run build` (and `prepare`, which `npm ci` runs) writes both; the CDK app builds the trainer
 * image the same way at synth time, and the local platform runs that bundle from cdk.out.
 */

export const DIST_DIRECTORY = join(REPO_ROOT, 'dist');
export const CLI_BUNDLE = join(DIST_DIRECTORY, 'cli', 'mlops.js');
/** The trainer image folder (its build context): what `docker build` and the CDK image asset take. */
export const TRAINER_IMAGE_DIRECTORY = join(DIST_DIRECTORY, 'trainer');
export const TRAINER_ENTRY = join(REPO_ROOT, 'containers/trainer/main.ts');
export const TRAINER_DOCKERFILE = join(REPO_ROOT, 'containers/trainer/Dockerfile');
/** The bundle's file name inside the image folder (the Dockerfile copies it). */
export const TRAINER_BUNDLE_FILE = 'index.js';

const TARGET = 'node20';

/**
 * `mlops score` can read the local platform's endpoints (cli/commands/local.ts), which imports the
 * code that starts a platform (aws-cdk-lib, s3rver) only when `local start` runs. The image never
 * starts one, so that import is left out: tree-shaking would drop it anyway, but only after esbuild
 * parsed aws-cdk-lib (24 s instead of 0.5 s). The CDK synth builds synchronously, which allows no
 * plugins: an external pattern it is.
 */
const LEFT_OUT_OF_TRAINER = ['*/local/platform'];

/**
 * Writes a file through a rename from outside its folder: concurrent builds (jest workers, a synth
 * next to `npm run build`) never leave a torn file, and a folder being staged as an asset never
 * holds a temporary file.
 */
function writeAtomically(path: string, contents: Uint8Array | string): void {
  const directory = dirname(path);
  mkdirSync(directory, { recursive: true });
  const temporary = join(dirname(directory), `.${basename(path)}.${process.pid}.${randomUUID()}.tmp`);
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function buildAtomically(options: BuildOptions): void {
  const result = buildSync({ ...options, write: false });
  for (const file of result.outputFiles ?? []) writeAtomically(file.path, file.contents);
}

/**
 * The trainer image's build context: `Dockerfile` and `index.js` (+ its source map), everything
 * the image needs (the AWS SDK, zod, hyparquet are inside the bundle). Returns the folder.
 */
export function buildTrainerImage(outdir: string = TRAINER_IMAGE_DIRECTORY): string {
  buildAtomically({
    entryPoints: [TRAINER_ENTRY],
    outfile: join(outdir, TRAINER_BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: TARGET,
    minify: true,
    // Error names (DataError, TimeoutError) decide exit codes; keep them through minification.
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    external: LEFT_OUT_OF_TRAINER,
  });
  writeAtomically(join(outdir, 'Dockerfile'), readFileSync(TRAINER_DOCKERFILE));
  return outdir;
}

/** The project's own dependencies (esbuild also leaves their subpaths external), less `bundled`. */
function installedPackagesExcept(bundled: readonly string[]): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter(
    (name) => !bundled.includes(name),
  );
}

/**
 * The command line. Packages but zod and yaml stay in node_modules (required at run time, as installed): the CLI
 * runs where `npm ci` ran, and aws-cdk-lib, esbuild and s3rver are loaded only by `local start`.
 */
export function buildCli(outdir: string = dirname(CLI_BUNDLE)): string {
  buildAtomically({
    entryPoints: { mlops: join(REPO_ROOT, 'cli/main.ts') },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: TARGET,
    // zod and yaml are bundled (pure JavaScript: ~170 small files that even --help would resolve
    // and load one by one); every other package stays in node_modules.
    external: installedPackagesExcept(['zod', 'yaml']),
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  // The local platform forks this file next to its own code (local/lambda-host.ts uses __dirname).
  writeAtomically(join(outdir, 'lambda-worker.js'), readFileSync(join(REPO_ROOT, 'local/lambda-worker.js')));
  return join(outdir, 'mlops.js');
}
