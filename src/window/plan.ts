/** `window plan`: collect now, say whether the cluster may enter a window, and in which order. */
import type { ClusterConfig } from '../config/schema.js';
import type { CheckReport } from '../core/check-report.js';
import { planOrder, planSteps, windowReadiness, type OrderedNode, type PlanStep, type Readiness } from '../core/window/plan.js';
import { auditCluster, type AuditContext } from './session.js';
import type { ResourceLocation } from './resources.js';
import type { WindowRecord } from '../store/windows.js';
import { simulateEveryNode, type FailoverOptions, type NodeFailover } from '../simulate/failover.js';
import { renderResource } from '../core/simulate/render.js';

export interface WindowPlan {
  cluster: string;
  checkedAt: string;
  readiness: Readiness;
  /** A window already open on the cluster blocks a new one. */
  openWindow: { id: number; name: string; openedAt: string } | null;
  order: OrderedNode[];
  steps: PlanStep[];
  /** Where resources ran when asked (`--locate`); null when not asked. */
  location: ResourceLocation | null;
  /** Each node failing now, as Pacemaker's scheduler plays it (`--simulate`); null when not asked. */
  failover: NodeFailover[] | null;
  report: CheckReport;
}

/** `openWindow`: the cluster's open window, if any (plan only reads the window tables). */
export async function planWindow(
  context: AuditContext,
  cluster: ClusterConfig,
  openWindow: WindowRecord | null,
  location: ResourceLocation | null = null,
  simulate: FailoverOptions | null = null,
): Promise<WindowPlan> {
  const audit = await auditCluster(context, cluster);
  const readiness = windowReadiness(audit.report);
  const open = openWindow;
  if (open) readiness.blockers.push(`a window is already open: "${open.name}" (id ${open.id}, opened ${open.openedAt})`);
  // The audit simulated every node already (config failover.simulate): the same runs the
  // report's findings come from, unless another crm_simulate is asked for.
  const simulated =
    simulate && audit.failover && simulate.crmSimulate === undefined
      ? audit.failover.map((f): NodeFailover => ({
          node: f.node,
          simulation: f.ok ? { ok: true, report: f.report } : { ok: false, reason: f.reason },
        }))
      : undefined;
  const failover = simulate
    ? (simulated ??
      (await simulateEveryNode(
        cluster.name,
        cluster.nodes.map((n) => n.name),
        audit.snapshots,
        simulate,
      )))
    : null;
  for (const f of failover ?? []) {
    // Taking a node down in the window is that failover: one that would not work blocks the window.
    if (f.simulation.ok && f.simulation.report.verdict === 'unsafe') {
      readiness.blockers.push(`if ${f.node} fails now, the failover does not work: ${f.simulation.report.reasons.join('; ')}`);
    } else if (f.simulation.ok && f.simulation.report.verdict === 'unknown') {
      readiness.notes.push(
        `if ${f.node} fails now, driftd cannot tell whether the failover works: ${f.simulation.report.reasons.join('; ')}`,
      );
    } else if (!f.simulation.ok) {
      readiness.notes.push(`failover of ${f.node} not simulated: ${f.simulation.reason}`);
    }
  }
  const order = orderFor(cluster, location);
  return {
    cluster: cluster.name,
    checkedAt: audit.report.checkedAt,
    readiness: { ...readiness, ready: readiness.ready && !open },
    openWindow: open ? { id: open.id, name: open.name, openedAt: open.openedAt } : null,
    order,
    steps: planSteps({ cluster: cluster.name, configFile: context.loaded.file, order }),
    location,
    failover,
    report: audit.report,
  };
}

/**
 * Runtime locations win over config roles, but only when they name a node of this
 * cluster: nothing running anywhere says nothing about which node is the standby.
 */
export function orderFor(cluster: ClusterConfig, location: ResourceLocation | null = null): OrderedNode[] {
  const running = location?.kind === 'located' ? location.nodes.filter((n) => cluster.nodes.some((c) => c.name === n)) : [];
  return planOrder({
    nodes: cluster.nodes.map((n) => (n.role ? { name: n.name, role: n.role } : { name: n.name })),
    ...(cluster.baseline ? { baseline: cluster.baseline } : {}),
    ...(running.length > 0 ? { runningResources: running } : {}),
  });
}

export function renderPlan(plan: WindowPlan): string {
  const lines = [
    `${plan.cluster}: ${plan.readiness.ready ? 'READY for a maintenance window' : 'NOT READY for a maintenance window'} (checked ${plan.checkedAt})`,
  ];
  for (const b of plan.readiness.blockers) lines.push(`  BLOCKS: ${b}`);
  for (const n of plan.readiness.notes) lines.push(`  note:   ${n}`);
  if (plan.location?.kind === 'located') {
    const where = plan.location.resources.map((r) => `${r.id}@${r.node}${r.role && r.role !== 'Started' ? ` (${r.role})` : ''}`).join(', ');
    lines.push(`  resources now (crm_mon on ${plan.location.from}): ${where || 'none running'}`);
  } else if (plan.location) {
    lines.push(`  resources now: unknown (${plan.location.reason}); order from the config`);
  }
  if (plan.failover) {
    lines.push('', "If a node fails now (Pacemaker's scheduler on the collected CIB):");
    for (const f of plan.failover) {
      if (!f.simulation.ok) {
        lines.push(`  ${f.node}: not simulated (${f.simulation.reason})`);
        continue;
      }
      const r = f.simulation.report;
      const moving = r.resources.filter((x) => x.outcome !== 'not-running' && (x.outcome !== 'stays' || x.judgement !== 'ok'));
      lines.push(
        `  ${f.node}: ${r.verdict === 'safe' ? 'safe' : r.verdict === 'unsafe' ? 'NOT SAFE' : 'cannot tell'}${moving.length === 0 ? ' (nothing moves)' : ''}`,
      );
      for (const x of moving) lines.push(...renderResource(x, '    '));
    }
  }
  lines.push('', 'Order (standby first):');
  plan.order.forEach((n, i) => lines.push(`  ${i + 1}. ${n.name}  (${n.because})`));
  lines.push('', 'Steps:');
  plan.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.text}`);
    if (s.command) lines.push(`       $ ${s.command}`);
    for (const h of s.hints ?? []) lines.push(`       hint (by hand, driftd never runs it): ${h}`);
  });
  return lines.join('\n');
}
