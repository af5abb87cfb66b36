/**
 * `driftd completion bash|zsh` and `driftd man`: shell completion and the manual page,
 * both generated from the live command tree (docs/command-tree.ts).
 */
import { Argument, Command } from 'commander';
import { commandTree } from '../docs/command-tree.js';
import { completionScript, SHELLS, type Shell } from '../docs/completion.js';
import { manPage } from '../docs/manpage.js';
import { EXIT } from '../exit-codes.js';
import { DRIFTD_VERSION } from '../../version.js';

/** The program this command was added to (the root of the tree). */
function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

export function completionCommand(): Command {
  return new Command('completion')
    .description('print the shell completion script for bash or zsh (e.g. source <(driftd completion bash))')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell, _flags: unknown, command: Command) => {
      process.stdout.write(completionScript(shell, commandTree(rootOf(command))));
    });
}

/** README "Exit codes", for the man page's EXIT STATUS. */
export const EXIT_MEANINGS = [
  {
    code: EXIT.ok,
    meaning: 'Success; check: the cluster is ready; diff: no difference; window verify/finish: safe; window status: always.',
  },
  {
    code: EXIT.notReady,
    meaning:
      'check: NOT ready; collect: at least one node failed; diff: the nodes differ; history verify: chain broken; window verify/finish: not safe yet.',
  },
  {
    code: EXIT.undecided,
    meaning:
      'Could not decide: usage error, missing or invalid configuration or rule pack, no node reachable, nothing stored; serve cannot start (port in use, address not on this machine).',
  },
  { code: EXIT.internal, meaning: 'Internal error in driftd (a bug: please report it with the message).' },
] as const;

export function manCommand(): Command {
  return new Command('man')
    .description('print the driftd(1) manual page (roff; view with: driftd man | man -l -)')
    .action((_flags: unknown, command: Command) => {
      const date = new Date().toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
      process.stdout.write(manPage(commandTree(rootOf(command)), { version: DRIFTD_VERSION, date, exitCodes: EXIT_MEANINGS }));
    });
}
