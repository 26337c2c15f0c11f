#!/usr/bin/env node
// The `mlops` command line. TypeScript sources run through tsx's CommonJS hook,
// so a fresh clone needs no build step.
// The AWS SDK warns that Node 20 support ends in 2027; deployed functions run Node 24, and the
// warning would otherwise interleave with every command's output here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../cli/main.ts').runCli();
