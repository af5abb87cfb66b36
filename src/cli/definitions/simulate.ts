/** `driftd simulate`: its options only; the scheduler run and the judgement load when it runs (commands/simulate.ts). */
import { Command } from 'commander';
import type { SimulateFlags } from '../commands/simulate.js';
import { DEFAULT_CONFIG } from '../defaults.js';

export function simulateCommand(): Command {
  return new Command('simulate')
    .description(
      "what if a node dies? runs Pacemaker's scheduler (crm_simulate, read-only, on this host) on the collected CIB and checks each resource's new node",
    )
    .requiredOption('--fail <node>', 'the Pacemaker node to simulate failing (as crm_simulate --node-fail)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster (needed when several are configured)')
    .option('--json', 'print the result as JSON')
    .option('--stored', 'use the latest stored snapshots instead of collecting (no node is contacted)')
    .option('--all', 'list every resource, also those that stay where they are')
    .option('--crm-simulate <path>', 'the crm_simulate to run (default: /usr/sbin/crm_simulate; also DRIFTD_CRM_SIMULATE)')
    .action(async (flags: SimulateFlags) => {
      const { runSimulate } = await import('../commands/simulate.js');
      process.exitCode = await runSimulate(flags);
    });
}
