/** `driftd window plan|start|verify|finish|status|abort`: options only; the work is loaded when they run (commands/window.ts). */
import { Command } from 'commander';
import type { ClusterFlags, PlanFlags, StartFlags, VerifyFlags } from '../commands/window.js';
import { DEFAULT_CONFIG } from '../defaults.js';

export function windowCommand(): Command {
  const window = new Command('window')
    .enablePositionalOptions()
    .description('maintenance window, standby first: plan, start (baseline), verify each patched node, finish');
  window
    .command('plan')
    .description('is the cluster at parity for a window? the node order (standby first) and the steps with their checks')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster (needed when several are configured)')
    .option(
      '--locate',
      'ask the nodes where resources run now (crm_mon --output-as=xml, read-only) and order by that instead of config roles',
    )
    .option(
      '--simulate',
      "for each node, what happens if it fails now: Pacemaker's scheduler (crm_simulate on this host) on the collected CIB, each move checked (see driftd simulate)",
    )
    .option('--json', 'print as JSON')
    .action(async (flags: PlanFlags) => {
      const { runPlan } = await import('../commands/window.js');
      process.exitCode = await runPlan(flags);
    });
  window
    .command('start')
    .description('record a baseline run and open the window (one open window per cluster)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster (needed when several are configured)')
    .option('--expect <file>', 'YAML file declaring the intended change (see docs/window.md)')
    .option('--name <name>', 'name of the window (default: the expectation name, else window-<time>)')
    .option('--planned-end <time>', 'when the window should be over: ISO 8601 (an age such as 2h counts back from now, so prefer a time)')
    .option('--force', 'open even if the cluster is not at parity; its open findings become the starting point')
    .option('--json', 'print as JSON')
    .action(async (flags: StartFlags) => {
      const { runStart } = await import('../commands/window.js');
      process.exitCode = await runStart(flags);
    });
  window
    .command('verify')
    .description(
      'after patching a node: does it match the expectation, with nothing else changed, agreeing with its peers, no reboot pending?',
    )
    .requiredOption('--node <name>', 'the node just patched')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'print as JSON')
    .action(async (flags: VerifyFlags) => {
      const { runVerifyNode } = await import('../commands/window.js');
      process.exitCode = await runVerifyNode(flags);
    });
  window
    .command('finish')
    .description('close the window when every node converged and the cluster is back at parity; prints and stores the summary')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster (needed when several are configured)')
    .option('--json', 'print as JSON')
    .action(async (flags: ClusterFlags) => {
      const { runFinish } = await import('../commands/window.js');
      process.exitCode = await runFinish(flags);
    });
  window
    .command('status')
    .description('the open window of a cluster and the latest verify of each node (no node is contacted)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster (needed when several are configured)')
    .option('--json', 'print as JSON')
    .action(async (flags: ClusterFlags) => {
      const { runStatus } = await import('../commands/window.js');
      process.exitCode = await runStatus(flags);
    });
  window
    .command('abort')
    .description('close the open window without converging (rolled back, postponed); records the reason and the nodes left half-patched')
    .requiredOption('--reason <text>', 'why the window is abandoned (kept as evidence)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'the cluster (needed when several are configured)')
    .option('--json', 'print as JSON')
    .action(async (flags: ClusterFlags & { reason: string }) => {
      const { runAbort } = await import('../commands/window.js');
      process.exitCode = await runAbort(flags);
    });
  // A usage error must exit 2 (undecided), never 1: for verify and finish 1 means "not safe".
  // Commander exits by itself unless told to throw; main() maps the throw to EXIT.undecided.
  for (const sub of window.commands) sub.exitOverride();
  return window;
}
