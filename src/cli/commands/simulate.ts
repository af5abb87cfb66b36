/**
 * `driftd simulate --fail NODE`: what happens if NODE dies. Pacemaker's scheduler
 * (crm_simulate, on this host) runs on the CIB collected from the cluster, then each
 * resource's new home is checked against what driftd collected from that node.
 * Exit 0 safe, 1 not safe, 2 could not tell (the message says why).
 */
import { auditClusters, loadRulesFor } from '../../audit/audit.js';
import type { NodeSnapshot } from '../../core/snapshot.js';
import type { SimulationReport } from '../../core/simulate/judge.js';
import { renderSimulation } from '../../core/simulate/render.js';
import { simulateFailover } from '../../simulate/failover.js';
import { loadConfigOrExit } from '../context.js';
import { withStore } from '../with-store.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { pickCluster } from '../select-cluster.js';

export interface SimulateFlags {
  config: string;
  cluster?: string;
  fail: string;
  json?: boolean;
  stored?: boolean;
  all?: boolean;
  crmSimulate?: string;
}

async function snapshotsFor(flags: SimulateFlags): Promise<{ cluster: string; snapshots: NodeSnapshot[] }> {
  const loaded = loadConfigOrExit(flags.config);
  const cluster = pickCluster(loaded.config, flags.cluster);
  if (flags.stored) {
    const snapshots = await withStore(loaded, (store) => store.latestSnapshots(cluster.name));
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
