/** `driftd diff`: its options only; the work is loaded when it runs (commands/diff.ts). */
import { Command, Option } from 'commander';
import type { DiffFlags } from '../commands/diff.js';
import { FACET_NAMES } from '../../core/snapshot.js';
import { DEFAULT_CONFIG } from '../defaults.js';

export function diffCommand(): Command {
  return new Command('diff')
    .description('show two nodes side by side: the items that differ, unified diffs for files (exit 1 when they differ)')
    .argument('<nodeA>')
    .argument('<nodeB>')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .addOption(new Option('--facet <facet>', 'only this facet').choices([...FACET_NAMES]))
    .option('--stored', 'compare the latest stored snapshots instead of collecting now')
    .option('--all', 'also show node-specific items (hostnames, own addresses)')
    .option('--json', 'print the comparison as JSON')
    .action(async (nodeA: string, nodeB: string, flags: DiffFlags) => {
      const { runDiff } = await import('../commands/diff.js');
      process.exitCode = await runDiff(nodeA, nodeB, flags);
    });
}
