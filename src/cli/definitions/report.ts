/** `driftd report`: its options only; the work is loaded when it runs (commands/report.ts). */
import { Command, Option } from 'commander';
import type { ReportFlags } from '../commands/report.js';
import { DEFAULT_REPORT_DAYS } from '../../report/defaults.js';
import { DEFAULT_CONFIG, REPORT_FORMATS } from '../defaults.js';

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'compliance audit report: parity matrix, readiness over time, finding episodes, changes, waivers and evidence hashes for a period',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster (needed when several are configured)')
    .option('--since <time>', 'ISO 8601 or an age such as 36h, 7d', `${DEFAULT_REPORT_DAYS}d`)
    .option('--until <time>', 'ISO 8601 or an age (default: now)')
    .addOption(
      new Option('--format <format>', 'html (self-contained, printable), md or json (docs/report.md)')
        .choices(REPORT_FORMATS)
        .default('html'),
    )
    .option('-o, --out <file>', 'where to write it; - for stdout', '-')
    .action(async (flags: ReportFlags, command: Command) => {
      const { runReport } = await import('../commands/report.js');
      process.exitCode = await runReport(flags, new Date(), invokedArgv(command));
    });
}

/**
 * The argv the user typed, for the report's provenance. Commander keeps it on the root
 * command (`rawArgs`, untyped); main() parses with `from: 'user'`, so it is exactly the
 * user's words. process.argv is the fallback (and wrong under a test runner).
 */
function invokedArgv(command: Command): string[] {
  let root = command;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs?: unknown }).rawArgs;
  if (!Array.isArray(raw) || !raw.every((a): a is string => typeof a === 'string')) return ['driftd', ...process.argv.slice(2)];
  return root === command ? ['driftd', command.name(), ...raw] : ['driftd', ...raw];
}
