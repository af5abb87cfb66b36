/**
 * driftd's command line. This file only assembles the commands and turns errors into
 * documented exit codes (see exit-codes.ts).
 *
 * Start-up: scripts run `driftd check`/`collect` before every window, so a command loads
 * only what it needs. definitions/<name>.ts declares a command's options and imports
 * nothing heavier than commander; its action import()s commands/<name>.ts, where the
 * work is. `npm run deps` (rule cli-definitions-stay-cheap) keeps it that way.
 */
import { Command, CommanderError } from 'commander';
import { checkCommand } from './definitions/check.js';
import { collectCommand } from './definitions/collect.js';
import { serveCommand } from './definitions/serve.js';
import { diffCommand } from './definitions/diff.js';
import { rulesCommand } from './definitions/rules.js';
import { changesCommand, historyCommand } from './definitions/history.js';
import { reportCommand } from './definitions/report.js';
import { windowCommand } from './definitions/window.js';
import { simulateCommand } from './definitions/simulate.js';
import { initCommand } from './definitions/init.js';
import { completionCommand, manCommand } from './definitions/completion.js';
import { CliError, EXIT } from './exit-codes.js';
import { DRIFTD_VERSION } from '../version.js';
import { escapeControlLines } from '../core/text/terminal.js';

export function buildProgram(): Command {
  const program = new Command('driftd')
    .description('Agentless configuration-drift auditor for HA clusters: snapshots nodes over SSH, diffs peers, scores failover readiness.')
    .version(DRIFTD_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
  program.addCommand(collectCommand());
  program.addCommand(checkCommand());
  program.addCommand(serveCommand());
  program.addCommand(diffCommand());
  program.addCommand(rulesCommand());
  program.addCommand(historyCommand());
  program.addCommand(changesCommand());
  program.addCommand(reportCommand());
  program.addCommand(windowCommand());
  program.addCommand(simulateCommand());
  program.addCommand(initCommand());
  // Generated from the tree above (keep these two last: they describe every command).
  program.addCommand(completionCommand());
  program.addCommand(manCommand());
  // Usage errors anywhere in the tree exit 2, never commander's own 1 (which for
  // check, verify and finish would read as "not ready").
  const overrideAll = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(overrideAll);
  };
  overrideAll(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exitCode 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.undecided;
    }
    if (err instanceof CliError) {
      // Messages may quote a node (an error it printed): never raw control characters.
      process.stderr.write(`driftd: ${escapeControlLines(err.message)}\n`);
      return err.exitCode;
    }
    process.stderr.write(`driftd: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.internal;
  }
}
