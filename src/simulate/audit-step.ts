/**
 * Failover simulation as a step of every audit (daemon runs, `driftd check`, window runs):
 * once a cluster's nodes are collected, each configured node fails in turn in Pacemaker's
 * scheduler (crm_simulate, on this host, one run at a time, each bounded), on the CIB just
 * collected. The engine turns the result into findings and the report's `failover` list
 * (src/core/simulate/findings.ts).
 *
 * This step never throws and never fails the audit: a crm_simulate that is missing, hangs
 * or fails makes that node's failover `unknown`, with the reason, and nothing else.
 */
import type { FailoverConfig } from '../config/schema.js';
import type { FailoverScenario } from '../core/simulate/findings.js';
import type { NodeSnapshot } from '../core/snapshot.js';
import { simulateEveryNode } from './failover.js';
import { findCrmSimulate } from './run.js';

/** Simulates each of `nodes` failing on the cluster's collected CIB. */
export type FailoverStep = (
  cluster: { name: string; nodes: readonly string[] },
  snapshots: readonly NodeSnapshot[],
  signal?: AbortSignal,
) => Promise<FailoverScenario[] | undefined>;

/**
 * A cluster that does not run Pacemaker (no node has the pacemaker facet, or it is
 * unsupported everywhere) has no failover to simulate: no scenarios, so no `unknown` noise.
 */
function runsPacemaker(snapshots: readonly NodeSnapshot[]): boolean {
  return snapshots.some((s) => {
    const facet = s?.facets.pacemaker;
    return facet !== undefined && facet.status !== 'unsupported';
  });
}

/** The step for this config, or undefined when simulation is off (or `auto` and crm_simulate is not here). */
export function failoverStep(config: FailoverConfig): FailoverStep | undefined {
  if (config.simulate === false) return undefined;
  const named = config.crmSimulate ?? process.env.DRIFTD_CRM_SIMULATE;
  if (config.simulate === 'auto' && findCrmSimulate(named) === undefined) return undefined;
  const timeoutMs = config.timeoutSeconds * 1000;
  return async (cluster, snapshots, signal) => {
    const present = snapshots.filter((s): s is NodeSnapshot => s !== undefined);
    if (!runsPacemaker(present)) return undefined;
    try {
      const runs = await simulateEveryNode(cluster.name, cluster.nodes, present, {
        ...(named !== undefined ? { crmSimulate: named } : {}),
        timeoutMs,
        ...(signal ? { signal } : {}),
      });
      return runs.map((r): FailoverScenario =>
        r.simulation.ok
          ? { node: r.node, ok: true, report: r.simulation.report }
          : { node: r.node, ok: false, reason: r.simulation.reason },
      );
    } catch (err) {
      const reason = `failover simulation failed: ${err instanceof Error ? err.message : String(err)}`;
      return cluster.nodes.map((node): FailoverScenario => ({ node, ok: false, reason }));
    }
  };
}
