/** `driftd rules check|explain`: options only; the work is loaded when they run (commands/rules.ts). */
import { Command } from 'commander';
import { DEFAULT_CONFIG } from '../defaults.js';

export function rulesCommand(): Command {
  const rules = new Command('rules').description('validate rule packs and explain which rules apply to a finding');
  rules
    .command('check')
    .description('validate rule packs: the given files/directories, or the shipped packs plus those of --config')
    .argument('[paths...]', 'rule pack files or directories')
    .option('-c, --config <file>', 'configuration file (its rules: list and defaultRules)')
    .option('--no-shipped', 'do not include the packs shipped with driftd')
    .action(async (paths: string[], flags: { config?: string; shipped: boolean }) => {
      const { runRulesCheck } = await import('../commands/rules.js');
      process.exitCode = runRulesCheck(paths, flags);
    });
  rules
    .command('explain')
    .description('show every rule that matches a finding, in the order they apply: FACET KEY, FACET/KEY, or a finding id from the store')
    .argument('<finding>', 'facet (e.g. packages), FACET/KEY, or a stored finding id')
    .argument('[key]', 'item key when the first argument is a facet')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'print as JSON')
    .action(async (finding: string, key: string | undefined, flags: { config: string; json?: boolean }) => {
      const { runRulesExplain } = await import('../commands/rules.js');
      process.exitCode = await runRulesExplain(finding, key, flags);
    });
  return rules;
}
