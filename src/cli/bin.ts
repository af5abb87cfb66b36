#!/usr/bin/env node
/** The `driftd` executable: runs the CLI and exits with its documented code. */
import { main } from './main.js';
import { outputFailed, tolerateClosedOutput } from './closed-output.js';
import { EXIT } from './exit-codes.js';

tolerateClosedOutput();
main(process.argv.slice(2)).then(
  (code) => {
    // Output that could not be written (not a closed reader: that is quiet) is incomplete.
    process.exitCode = outputFailed() ? EXIT.undecided : code;
  },
  (err: unknown) => {
    process.stderr.write(`driftd: internal error: ${String(err)}\n`);
    process.exitCode = EXIT.internal;
  },
);
