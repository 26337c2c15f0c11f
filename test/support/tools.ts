import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Programs some tests drive (the AWS CLI, a headless Chromium, curl), found on PATH. Without one,
 * its tests are skipped with one line naming the install command, except under CI=true, where a
 * missing tool fails the run: CI must run every test.
 */
export interface Tool {
  /** What the skip line calls it. */
  readonly title: string;
  /** Executable names, in order of preference. */
  readonly names: readonly string[];
  /** Accepts the output of `<name> --version`; a candidate that fails it is passed over. @default - any output */
  readonly accepts?: (version: string) => boolean;
  /** How to install it, for the skip line and the CI failure. */
  readonly install: string;
}

export const TOOLS = {
  /** Version 2: a pyenv shim of AWS CLI v1 often comes first on PATH. */
  aws: {
    title: 'the AWS CLI v2',
    names: ['aws'],
    accepts: (version) => version.startsWith('aws-cli/2.'),
    install:
      "'sudo apt-get install -y awscli' (Debian 12) or https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html (GitHub's ubuntu runners ship it)",
  },
  /** Ubuntu's `chromium` package is a snap stub that cannot run without snapd: its --version fails and it is passed over. */
  chromium: {
    title: 'Chromium or Google Chrome',
    names: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'],
    install: "'sudo apt-get install -y chromium' (Debian; GitHub's ubuntu runners ship google-chrome)",
  },
  curl: {
    title: 'curl',
    names: ['curl'],
    install: "'sudo apt-get install -y curl'",
  },
} satisfies Record<string, Tool>;

export interface FindOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the skip line goes. @default stderr */
  readonly print?: (line: string) => void;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first candidate on PATH whose `--version` runs and is accepted; undefined when there is none. */
export function findTool(tool: Tool, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const directories = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of tool.names) {
    for (const directory of directories) {
      const path = join(directory, name);
      if (!isExecutable(path)) continue;
      const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000, env });
      if (result.status !== 0) continue;
      if (tool.accepts && !tool.accepts(`${result.stdout}${result.stderr}`.trim())) continue;
      return path;
    }
  }
  return undefined;
}

/**
 * The tool's path, or undefined after printing one line saying what is skipped and how to install
 * it. With CI=true a missing tool throws instead, so the run fails.
 */
export function requireTool(tool: Tool, skipped: string, options: FindOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  const path = findTool(tool, env);
  if (path) return path;
  const missing = `${tool.title} not found on PATH (looked for ${tool.names.join(', ')}); install with ${tool.install}`;
  if (env.CI === 'true') throw new Error(`${missing}. CI=true: ${skipped} must run.`);
  (options.print ?? ((line) => process.stderr.write(`${line}\n`)))(`skipping ${skipped}: ${missing}`);
  return undefined;
}
