import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The Lambda functions the app deploys. */
export type FunctionKind =
  | 'validate-data'
  | 'adopt-artifact'
  | 'evaluate-model'
  | 'register-model'
  | 'record-failure'
  | 'retrain-trigger'
  | 'inference'
  | 'drift-monitor'
  | 'quality-monitor'
  | 'stream-scorer'
  | 'materialize-features';

/**
 * The folder holding package.json, found upwards from this module: lib/ when run from sources,
 * dist/cli/ when bundled into the compiled CLI.
 */
function repositoryRoot(from: string): string {
  for (let directory = from; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json'))) return directory;
    if (dirname(directory) === directory) throw new Error(`no package.json in ${from} or any folder above it`);
  }
}

export const REPO_ROOT = repositoryRoot(__dirname);

/** The one mapping from function to its entry file (each exports `handler`). */
export const LAMBDA_ENTRIES: Readonly<Record<FunctionKind, string>> = {
  'validate-data': join(REPO_ROOT, 'lambdas/validate-data/handler.ts'),
  'adopt-artifact': join(REPO_ROOT, 'lambdas/adopt-artifact/handler.ts'),
  'evaluate-model': join(REPO_ROOT, 'lambdas/evaluate-model/handler.ts'),
  'register-model': join(REPO_ROOT, 'lambdas/register-model/handler.ts'),
  'record-failure': join(REPO_ROOT, 'lambdas/record-failure/handler.ts'),
  'retrain-trigger': join(REPO_ROOT, 'lambdas/retrain-trigger/handler.ts'),
  inference: join(REPO_ROOT, 'lambdas/inference/handler.ts'),
  'drift-monitor': join(REPO_ROOT, 'lambdas/drift-monitor/handler.ts'),
  'quality-monitor': join(REPO_ROOT, 'lambdas/quality-monitor/handler.ts'),
  'stream-scorer': join(REPO_ROOT, 'lambdas/stream-scorer/handler.ts'),
  'materialize-features': join(REPO_ROOT, 'lambdas/materialize-features/handler.ts'),
};
