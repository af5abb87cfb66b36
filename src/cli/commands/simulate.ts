/**
 * `driftd simulate --fail NODE`: what happens if NODE dies. Pacemaker's scheduler
 * (crm_simulate, on this host) runs on the CIB collected from the cluster, then each
 * resource's new home is checked against what driftd collected from that node.
 * Exit 0 safe, 1 not safe, 2 could not tell (the message says why).
 */
import { Command } from 'commander';
import { auditClusters, loadRulesFor } from '../../audit/audit.js';
import type { NodeSnapshot } from '../../core/snapshot.js';
import { judgeSimulation, type SimulationReport } from '../../core/simulate/judge.js';
import { cibNodeNames, mapNodes, pickCib } from '../../core/simulate/pick-cib.js';
import { renderSimulation } from '../../core/simulate/render.js';
import { simulateNodeFailure } from '../../simulate/run.js';
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
  const cib = pickCib(snapshots);
  if (!cib.ok) couldNotTell(flags, cluster, cib.reason);
  const known = cibNodeNames(cib.cib.xml);
  if (!known.includes(flags.fail)) {
    couldNotTell(
      flags,
      cluster,
      `the CIB (from ${cib.cib.node}) has no node named "${flags.fail}"; its nodes: ${known.join(', ') || 'none'}`,
    );
  }
  const run = await simulateNodeFailure(cib.cib.xml, flags.fail, flags.crmSimulate !== undefined ? { crmSimulate: flags.crmSimulate } : {});
  if (!run.ok) couldNotTell(flags, cluster, run.reason);
  const names = run.outcome.before.nodes.map((n) => n.name);
  const nodes = mapNodes(names, snapshots);
  const notes = [
    `scheduler: ${run.scheduler} (crm_simulate on this host), on the CIB collected from ${cib.cib.node} (${cib.cib.source}, version ${cib.cib.version.join('.')})`,
  ];
  const unmapped = run.outcome.before.nodes.filter((n) => n.type === 'member' && !nodes.has(n.name)).map((n) => n.name);
  if (unmapped.length > 0) notes.push(`Pacemaker nodes driftd does not collect: ${unmapped.join(', ')}`);
  const report = judgeSimulation({ cluster, failed: flags.fail, outcome: run.outcome, nodes, notes });
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSimulation(report, { all: flags.all === true })}\n`);
  return report.verdict === 'safe' ? EXIT.ok : report.verdict === 'unsafe' ? EXIT.notReady : EXIT.undecided;
}
