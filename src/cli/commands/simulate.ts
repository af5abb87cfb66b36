/**
 * `driftd simulate --fail NODE`: what happens if NODE dies. Pacemaker's scheduler
 * (crm_simulate, on this host) runs on the CIB collected from the cluster, then each
 * resource's new home is checked against what driftd collected from that node.
 * Exit 0 safe, 1 not safe, 2 could not tell (the message says why).
 */
import { auditClusters, loadRulesFor } from '../../audit/audit.js';
import type { FailoverConfig } from '../../config/schema.js';
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

async function snapshotsFor(flags: SimulateFlags): Promise<{ cluster: string; snapshots: NodeSnapshot[]; failover: FailoverConfig }> {
  const loaded = loadConfigOrExit(flags.config);
  const cluster = pickCluster(loaded.config, flags.cluster);
  if (flags.stored) {
    const snapshots = await withStore(loaded, (store) => store.latestSnapshots(cluster.name));
    if (snapshots.length === 0)
      throw new CliError(`nothing stored yet for cluster "${cluster.name}"; run \`driftd serve\` first, or drop --stored`, EXIT.undecided);
    return { cluster: cluster.name, snapshots, failover: loaded.config.failover };
  }
  const rules = loadRulesFor(loaded);
  // The simulation below is this command's own: the audit does not run one per node.
  const [audit] = await auditClusters({ loaded, rules: rules.rules, clusters: [cluster], now: () => new Date(), simulate: false });
  if (!audit) throw new CliError('internal: no audit result', EXIT.internal);
  return { cluster: cluster.name, snapshots: audit.snapshots, failover: loaded.config.failover };
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
      nodeNames: {},
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  throw new CliError(`cannot tell what happens if ${flags.fail} fails: ${reason}`, EXIT.undecided);
}

export async function runSimulate(flags: SimulateFlags): Promise<ExitCode> {
  const { cluster, snapshots, failover } = await snapshotsFor(flags);
  // --crm-simulate, else the config's failover.crmSimulate, else DRIFTD_CRM_SIMULATE or the installed one.
  const crmSimulate = flags.crmSimulate ?? failover.crmSimulate;
  const simulation = await simulateFailover(cluster, snapshots, flags.fail, {
    ...(crmSimulate !== undefined ? { crmSimulate } : {}),
    timeoutMs: failover.timeoutSeconds * 1000,
  });
  if (!simulation.ok) couldNotTell(flags, cluster, simulation.reason);
  const report = simulation.report;
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSimulation(report, { all: flags.all === true })}\n`);
  return report.verdict === 'safe' ? EXIT.ok : report.verdict === 'unsafe' ? EXIT.notReady : EXIT.undecided;
}
