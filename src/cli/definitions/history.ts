/** `driftd history [verify|prune|copy]` and `driftd changes`: options only; the work is loaded when they run (commands/history.ts). */
import { Command } from 'commander';
import type { RangeFlags } from '../commands/history.js';
import { DEFAULT_CONFIG } from '../defaults.js';

export function historyCommand(): Command {
  const history = new Command('history')
    // Options after `verify`/`prune` belong to them, so each can take its own --config.
    .enablePositionalOptions()
    .description('finding timeline (first seen, resolved) and per-node change log from the store')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'only this cluster')
    .option('--node <name>', 'only findings involving this node, and its changes')
    .option('--since <time>', 'ISO 8601 or an age such as 36h, 7d')
    .option('--until <time>', 'ISO 8601 or an age')
    .option('--json', 'print as JSON')
    .action(async (flags: RangeFlags) => {
      const { runHistory } = await import('../commands/history.js');
      process.exitCode = await runHistory(flags);
    });
  history
    .command('verify')
    .description("recompute every cluster's evidence chain from the stored runs and name each broken cluster's first broken run (exit 1)")
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', "only this cluster's chain")
    .option('--json', 'print as JSON')
    .action(async (flags: { config: string; cluster?: string; json?: boolean }) => {
      const { runVerify } = await import('../commands/history.js');
      process.exitCode = await runVerify(flags);
    });
  history
    .command('prune')
    .description('thin unchanged snapshots older than retention.keepUnchangedDays (changes and finding episodes are kept)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--days <n>', 'override retention.keepUnchangedDays', (v) => Number(v))
    .option(
      '--vacuum',
      'then give the freed pages back to the file system (rewrites the file; holds the write lock meanwhile, so the daemon waits)',
    )
    .action(async (flags: { config: string; days?: number; vacuum?: boolean }) => {
      const { runPrune } = await import('../commands/history.js');
      process.exitCode = await runPrune(flags);
    });
  history
    .command('copy')
    .description(
      "copy a SQLite history (every run, snapshot, finding and window, ids and hashes as they are) into the config's database, which must be empty (e.g. a new PostgreSQL); then verify the copy's evidence chain",
    )
    .requiredOption('--from <file>', 'the SQLite history file to copy (opened read-only)')
    .option('-c, --config <file>', 'configuration file; its `database:` is the target', DEFAULT_CONFIG)
    .action(async (flags: { config: string; from: string }) => {
      const { runCopy } = await import('../commands/history.js');
      process.exitCode = await runCopy(flags);
    });
  return history;
}

export function changesCommand(): Command {
  return new Command('changes')
    .description('what changed on a node: items added, removed and changed per facet between consecutive snapshots')
    .requiredOption('--node <name>', 'the node')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--since <time>', 'ISO 8601 or an age such as 36h, 7d', '7d')
    .option('--until <time>', 'ISO 8601 or an age')
    .option('--json', 'print as JSON')
    .action(async (flags: RangeFlags & { node: string }) => {
      const { runChanges } = await import('../commands/history.js');
      process.exitCode = await runChanges(flags);
    });
}
