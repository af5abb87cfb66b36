/**
 * `driftd window ...` for tests, until src/cli/main.ts registers windowCommand(): the
 * same command object and the same error-to-exit-code mapping as main(), nothing else.
 */
import { Command, CommanderError } from 'commander';
import { windowCommand } from '../../src/cli/commands/window.js';
import { CliError, EXIT } from '../../src/cli/exit-codes.js';

async function run(argv: readonly string[]): Promise<number> {
  const program = new Command('driftd').enablePositionalOptions().exitOverride();
  program.addCommand(windowCommand());
  const exitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.undecided;
    if (err instanceof CliError) {
      process.stderr.write(`driftd: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`driftd: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.internal;
  }
}

process.exitCode = await run(process.argv.slice(2));
