/**
 * One simulated node failure, from collected snapshots to the judged report: pick the CIB,
 * check the node name, run crm_simulate (run.ts), judge (src/core/simulate/judge.ts).
 * Shared by `driftd simulate` and `driftd window plan --simulate`.
 */
import type { NodeSnapshot } from '../core/snapshot.js';
import { judgeSimulation, type SimulationReport } from '../core/simulate/judge.js';
import { cibNodeNames, mapNodes, pickCib } from '../core/simulate/pick-cib.js';
import { simulateNodeFailure } from './run.js';

export type FailoverSimulation = { ok: true; report: SimulationReport } | { ok: false; reason: string };

export interface FailoverOptions {
  /** The crm_simulate to run (else DRIFTD_CRM_SIMULATE, else the installed one). */
  crmSimulate?: string;
  /** Bound on each crm_simulate run (default 60 s). */
  timeoutMs?: number;
  /** Stops before the next node once aborted (the daemon stopping). */
  signal?: AbortSignal;
}

/** What happens if `fail` (a Pacemaker node name) dies, judged against `snapshots`. */
export async function simulateFailover(
  cluster: string,
  snapshots: readonly NodeSnapshot[],
  fail: string,
  options: FailoverOptions = {},
): Promise<FailoverSimulation> {
  const cib = pickCib(snapshots);
  if (!cib.ok) return { ok: false, reason: cib.reason };
  const known = cibNodeNames(cib.cib.xml);
  if (!known.includes(fail)) {
    return { ok: false, reason: `the CIB (from ${cib.cib.node}) has no node named "${fail}"; its nodes: ${known.join(', ') || 'none'}` };
  }
  const run = await simulateNodeFailure(cib.cib.xml, fail, {
    ...(options.crmSimulate !== undefined ? { crmSimulate: options.crmSimulate } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (!run.ok) return { ok: false, reason: run.reason };
  const names = run.outcome.before.nodes.map((n) => n.name);
  const nodes = mapNodes(names, snapshots);
  const notes = [
    `scheduler: ${run.scheduler} (crm_simulate on this host), on the CIB collected from ${cib.cib.node} (${cib.cib.source}, version ${cib.cib.version.join('.')})`,
  ];
  const unmapped = run.outcome.before.nodes.filter((n) => n.type === 'member' && !nodes.has(n.name)).map((n) => n.name);
  if (unmapped.length > 0) notes.push(`Pacemaker nodes driftd does not collect: ${unmapped.join(', ')}`);
  return { ok: true, report: judgeSimulation({ cluster, failed: fail, outcome: run.outcome, nodes, notes }) };
}

/** The simulation of one driftd node failing, or why there is none. */
export interface NodeFailover {
  /** The driftd node. */
  node: string;
  /** Its Pacemaker name, when the CIB has it. */
  pacemakerName?: string;
  simulation: FailoverSimulation;
}

/** Every configured node failing in turn (one crm_simulate run each). */
export async function simulateEveryNode(
  cluster: string,
  nodeNames: readonly string[],
  snapshots: readonly NodeSnapshot[],
  options: FailoverOptions = {},
): Promise<NodeFailover[]> {
  const cib = pickCib(snapshots);
  if (!cib.ok) return nodeNames.map((node) => ({ node, simulation: { ok: false, reason: cib.reason } }));
  const known = cibNodeNames(cib.cib.xml);
  const byPacemaker = mapNodes(known, snapshots);
  const out: NodeFailover[] = [];
  for (const node of nodeNames) {
    if (options.signal?.aborted) {
      out.push({ node, simulation: { ok: false, reason: 'not simulated: the run was aborted' } });
      continue;
    }
    const pacemakerName = [...byPacemaker.entries()].find(([, s]) => s.node === node)?.[0];
    if (pacemakerName === undefined) {
      out.push({ node, simulation: { ok: false, reason: `${node} is not a node of the CIB (its nodes: ${known.join(', ') || 'none'})` } });
      continue;
    }
    out.push({ node, pacemakerName, simulation: await simulateFailover(cluster, snapshots, pacemakerName, options) });
  }
  return out;
}
