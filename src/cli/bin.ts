#!/usr/bin/env node
/** The `driftd` executable: runs the CLI and exits with its documented code. */
import { main } from './main.js';
import { EXIT } from './exit-codes.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`driftd: internal error: ${String(err)}\n`);
    process.exitCode = EXIT.internal;
  },
);
