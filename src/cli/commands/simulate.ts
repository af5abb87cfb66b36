/**
 * `driftd simulate --fail NODE`: what happens if NODE dies. Pacemaker's scheduler
 * (crm_simulate, on this host) runs on the CIB collected from the cluster, then each
 * resource's new home is checked against what driftd collected from that node.
 * Exit 0 safe, 1 not safe, 2 could not tell (the message says why).
 */
import { Command } from 'commander';
import { auditClusters, loadRulesFor } from '../../audit/audit.js';
import type { NodeSnapshot } from '../../core/snapshot.js';
import type { SimulationReport } from '../../core/simulate/judge.js';
import { renderSimulation } from '../../core/simulate/render.js';
import { simulateFailover } from '../../simulate/failover.js';
import { DEFAULT_CONFIG, loadConfigOrExit, withStore } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { pickCluster } from '../select-cluster.js';

interface SimulateFlags {
  config: string;
  cluster?: string;
  fail: string;
  json?: boolean;
  stored?: boolean;
  all?: boolean;
  crmSimulate?: string;
}

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
      process.exitCode = await runSimulate(flags);
    });
}

async function snapshotsFor(flags: SimulateFlags): Promise<{ cluster: string; snapshots: NodeSnapshot[] }> {
  const loaded = loadConfigOrExit(flags.config);
  const cluster = pickCluster(loaded.config, flags.cluster);
  if (flags.stored) {
    const snapshots = withStore(loaded, (store) => store.latestSnapshots(cluster.name));
    if (snapshots.length === 0)
      throw new CliError(`nothing stored yet for cluster "${cluster.name}"; run \`driftd serve\` first, or drop --stored`, EXIT.undecided);
    return { cluster: cluster.name, snapshots };
  }
  const rules = loadRulesFor(loaded);
  const [audit] = await auditClusters({ loaded, rules: rules.rules, clusters: [cluster], now: () => new Date() });
  if (!audit) throw new CliError('internal: no audit result', EXIT.internal);
  return { cluster: cluster.name, snapshots: audit.snapshots };
}

function couldNotTell(flags: SimulateFlags, cluster: string, reason: string): never {
  if (flags.json) {
    const report: SimulationReport = {
      cluster,
      failed: flags.fail,
      verdict: 'unknown',
      reasons: [reason],
      resources: [],
      fencing: [],
      notes: [],
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  throw new CliError(`cannot tell what happens if ${flags.fail} fails: ${reason}`, EXIT.undecided);
}

export async function runSimulate(flags: SimulateFlags): Promise<ExitCode> {
  const { cluster, snapshots } = await snapshotsFor(flags);
  const simulation = await simulateFailover(
    cluster,
    snapshots,
    flags.fail,
    flags.crmSimulate !== undefined ? { crmSimulate: flags.crmSimulate } : {},
  );
  if (!simulation.ok) couldNotTell(flags, cluster, simulation.reason);
  const report = simulation.report;
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSimulation(report, { all: flags.all === true })}\n`);
  return report.verdict === 'safe' ? EXIT.ok : report.verdict === 'unsafe' ? EXIT.notReady : EXIT.undecided;
}
