#!/usr/bin/env node
// The `mlops` command line: the compiled JavaScript in dist/cli (built by `npm run build`, which
// `npm ci` runs as `prepare`). Without it, the TypeScript sources run through tsx, seconds slower.
// The AWS SDK warns that Node 20 support ends in 2027; deployed functions run Node 24, and the
// warning would otherwise interleave with every command's output here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { existsSync } = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'cli', 'mlops.js');
if (existsSync(compiled)) {
  if (process.env.MLOPS_DEBUG) process.setSourceMapsEnabled(true);
  require(compiled).runCli();
} else {
  process.stderr.write(
    `mlops: ${path.relative(process.cwd(), compiled) || compiled} is missing; build it with 'npm run build' ` +
      '(npm ci does this). Running the TypeScript sources instead (slower start).\n',
  );
  require('tsx/cjs');
  require('../cli/main.ts').runCli();
}
