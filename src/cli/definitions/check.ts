/** `driftd check`: its options only; the work is loaded when it runs (commands/check.ts). */
import { Command, Option } from 'commander';
import type { CheckFlags } from '../commands/check.js';
import { DEFAULT_CONFIG } from '../defaults.js';

export function checkCommand(): Command {
  return new Command('check')
    .description('is the cluster at parity and ready to fail over? collects now (or --stored) and prints the verdict')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster to check (needed when several are configured)')
    .option('--json', 'print the documented JSON report (see README "check JSON")')
    .option('--stored', 'judge the latest stored snapshots instead of collecting (no node is contacted)')
    .option('-v, --verbose', 'every detail in the text: values per node, diffs, rule sources, the evidence under each finding')
    .option('--no-simulate', 'skip the failover simulation (crm_simulate per node) that config failover.simulate turns on')
    .option('--color', 'colour the text even when not on a terminal')
    .option('--no-color', 'never colour the text (also: NO_COLOR=1)')
    .addOption(
      new Option('--fail-on <severity>', 'lowest unwaived severity that makes the verdict "not ready"')
        .choices(['critical', 'warning'])
        .default('critical'),
    )
    .action(async (flags: CheckFlags) => {
      const { runCheck } = await import('../commands/check.js');
      process.exitCode = await runCheck(flags);
    });
}
