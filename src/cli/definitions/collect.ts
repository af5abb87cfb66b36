/** `driftd collect`: its options only; the work is loaded when it runs (commands/collect.ts). */
import { Command } from 'commander';
import type { CollectFlags } from '../commands/collect.js';
import { DEFAULT_CONFIG } from '../defaults.js';

export function collectCommand(): Command {
  return new Command('collect')
    .description('snapshot the selected nodes now (read-only) and print a per-node, per-facet summary')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'only this cluster')
    .option('--node <name>', 'only this node')
    .option('--json', 'print the snapshots as JSON')
    .option('--record <dir>', 'also write every command output as a replay recording, one folder per node')
    .option('--no-progress', 'no progress bar even on a terminal')
    .action(async (flags: CollectFlags) => {
      const { runCollect } = await import('../commands/collect.js');
      process.exitCode = await runCollect(flags);
    });
}
