import { spawnSync } from 'node:child_process';

/** Debian's interpreter: it has python3-sklearn; a pyenv python3 first on PATH usually does not. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * Debian's python3 when it can import every one of `modules`, or undefined after printing one line
 * naming what is skipped and how to install it. With CI=true a missing module throws: CI runs every test.
 */
export function requirePython(modules: readonly string[], skipped: string, env = process.env): string | undefined {
  const result = spawnSync(DEBIAN_PYTHON, ['-c', `import ${modules.join(', ')}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status === 0) return DEBIAN_PYTHON;
  const missing = `${DEBIAN_PYTHON} cannot import ${modules.join(', ')}; install with 'sudo apt-get install -y ${modules.map((name) => `python3-${name}`).join(' ')}'`;
  if (env.CI === 'true') throw new Error(`${missing}. CI=true: ${skipped} must run.`);
  process.stderr.write(`skipping ${skipped}: ${missing}\n`);
  return undefined;
}
