#!/usr/bin/env node
// The `mlops` command line. TypeScript sources run through tsx's CommonJS hook,
// so a fresh clone needs no build step.
require('tsx/cjs');
require('../cli/main.ts').runCli();
