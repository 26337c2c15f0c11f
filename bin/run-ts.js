#!/usr/bin/env node
// Runs a TypeScript entry point: `node bin/run-ts.js path/to/file.ts [args...]`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const path = require('node:path');
const entry = process.argv[2];
process.argv.splice(1, 2, path.resolve(entry));
require(path.resolve(entry));
