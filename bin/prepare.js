#!/usr/bin/env node
// npm's `prepare` (npm ci and npm install run it): builds dist/ (bin/build.ts). An install without
// devDependencies (npm ci --omit=dev) has no esbuild or tsx to build with; that is not an error.
for (const tool of ['esbuild', 'tsx/cjs']) {
  try {
    require.resolve(tool);
  } catch {
    process.stdout.write(`prepare: ${tool} is not installed (devDependencies omitted?); dist/ not built\n`);
    process.exit(0);
  }
}
require('tsx/cjs');
require('./build.ts');
