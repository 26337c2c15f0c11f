import packageJson from '../package.json';

/**
 * The code version recorded in artifacts and run records: MLOPS_CODE_VERSION when the build sets
 * it (CI passes the git commit), else the package version.
 */
export function codeVersion(): string {
  return process.env.MLOPS_CODE_VERSION || `mlops@${packageJson.version}`;
}
