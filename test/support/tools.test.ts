import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { findTool, requireTool, TOOLS } from './tools';

const root = mkdtempSync(join(tmpdir(), 'mlops-tools-'));

/** A folder of shell scripts standing in for installed programs: name -> what `--version` does. */
function fakePath(name: string, programs: Record<string, string>): string {
  const directory = join(root, name);
  mkdirSync(directory);
  for (const [program, body] of Object.entries(programs)) {
    const file = join(directory, program);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return directory;
}

const SNAP_STUB = 'echo "Command \'/usr/bin/chromium\' requires the chromium snap to be installed." >&2; exit 1';

test('finds a tool on PATH wherever it is installed', () => {
  const bin = fakePath('local-bin', { aws: 'echo "aws-cli/2.27.0 Python/3.13 Linux"' });
  expect(findTool(TOOLS.aws, { PATH: bin })).toBe(join(bin, 'aws'));
});

test('passes over a snap stub whose --version fails and takes the next browser', () => {
  const stub = fakePath('snap-stub', { chromium: SNAP_STUB });
  const chrome = fakePath('chrome', { 'google-chrome': 'echo "Google Chrome 143.0"' });
  expect(findTool(TOOLS.chromium, { PATH: [stub, chrome].join(delimiter) })).toBe(join(chrome, 'google-chrome'));
});

test('passes over an AWS CLI v1 shim earlier on PATH and takes the v2 behind it', () => {
  const shim = fakePath('pyenv-shims', { aws: 'echo "aws-cli/1.45.11 Python/3.11.7 Linux"' });
  const system = fakePath('usr-bin', { aws: 'echo "aws-cli/2.9.19 Python/3.11.2 Linux"' });
  expect(findTool(TOOLS.aws, { PATH: [shim, system].join(delimiter) })).toBe(join(system, 'aws'));
});

test('without the tool it prints one line naming the install command and returns nothing', () => {
  const lines: string[] = [];
  const empty = fakePath('empty', {});
  const found = requireTool(TOOLS.aws, 'the end-to-end tests', { env: { PATH: empty }, print: (l) => lines.push(l) });
  expect(found).toBeUndefined();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^skipping the end-to-end tests: the AWS CLI v2 not found on PATH .*apt-get install -y awscli/,
  );
});

test('without the tool under CI=true it fails, naming the install command', () => {
  const stubOnly = fakePath('ci-stub-only', { chromium: SNAP_STUB });
  expect(() => requireTool(TOOLS.chromium, 'the browser test', { env: { PATH: stubOnly, CI: 'true' } })).toThrow(
    /Chromium or Google Chrome not found on PATH .*apt-get install -y chromium.*CI=true: the browser test must run/,
  );
});
