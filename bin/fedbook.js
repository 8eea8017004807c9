#!/usr/bin/env node
// The `fedbook` command: a plain JavaScript shim over the compiled CLI.
'use strict';
const { join } = require('node:path');

let cli;
try {
  cli = require(join(__dirname, '..', 'out', 'kernel', 'cli', 'main.js'));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && /cli[\\/]main/.test(String(error.message))) {
    process.stderr.write('fedbook: out/ is missing; build first with `npm run build`\n');
    process.exit(1);
  }
  throw error;
}

cli.main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    if (error && error.name === 'UsageError') {
      process.stderr.write(`fedbook: ${error.message}\n${cli.USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`fedbook: ${error?.message ? error.message : error}\n`);
    process.exit(1);
  },
);
