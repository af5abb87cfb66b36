/**
 * The patch plan: which node goes first, what to do on each, and how to check it. Pure.
 *
 * Standby first: the node that runs nothing is patched and verified before the workload
 * moves onto it; the node that held the workload is patched last. Where resources run
 * comes from the config `role` (or a runtime source the edge may add); without either,
 * the baseline node goes last (it is the reference the others are measured against) and
 * the rest keep their config order.
 */
import type { CheckReport } from '../check-report.js';
import { findingsOf } from './classify.js';

export type NodeRole = 'primary' | 'standby';

export interface PlanNode {
  name: string;
  role?: NodeRole;
}

export interface PlanOrderInput {
  nodes: readonly PlanNode[];
  baseline?: string;
  /** Nodes where resources run right now, when a runtime source told us; wins over roles. */
  runningResources?: readonly string[];
}

export interface OrderedNode {
  name: string;
  /** Why the node is at this place, for the operator. */
  because: string;
  /** The workload has to leave this node before it is patched. */
  hostsWorkload: boolean;
}

export function planOrder(input: PlanOrderInput): OrderedNode[] {
  const running = input.runningResources ? new Set(input.runningResources) : undefined;
  const ranked = input.nodes.map((node, index) => ({ node, index, ...rankOf(node, input.baseline, running) }));
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.map(({ node, because, rank }) => ({ name: node.name, because, hostsWorkload: rank >= 3 }));
}

function rankOf(node: PlanNode, baseline: string | undefined, running: ReadonlySet<string> | undefined): { rank: number; because: string } {
  if (running) {
    return running.has(node.name)
      ? { rank: 3, because: 'resources run here now (runtime)' }
      : { rank: 0, because: 'no resources run here now (runtime)' };
  }
  if (node.role === 'standby') return { rank: 0, because: 'role: standby (config)' };
  if (node.role === 'primary') return { rank: 3, because: 'role: primary (config)' };
  if (node.name === baseline) return { rank: 2, because: 'baseline node, patched last among the unassigned' };
  return { rank: 1, because: 'no role in config: config order' };
}

export type StepAction = 'start' | 'move-workload' | 'patch' | 'verify' | 'clear-constraints' | 'finish';

export interface PlanStep {
  action: StepAction;
  node?: string;
  text: string;
  /** The driftd command that checks or records this step. */
  command?: string;
  /** Cluster-tool commands to do it by hand; driftd never runs them (it never writes to nodes). */
  hints?: string[];
}

export interface PlanStepsInput {
  cluster: string;
  configFile: string;
  order: readonly OrderedNode[];
}

export function planSteps(input: PlanStepsInput): PlanStep[] {
  const config = shellWord(input.configFile);
  const steps: PlanStep[] = [
    {
      action: 'start',
      text: `record the baseline and open the window on ${input.cluster}`,
      command: `driftd window start --config ${config} --cluster ${input.cluster} --expect EXPECT.yaml --planned-end TIME`,
    },
  ];
  const names = input.order.map((n) => n.name);
  let moved = false;
  input.order.forEach((node, i) => {
    if (node.hostsWorkload) {
      // Take the workload to a node already patched and verified, else to any other.
      const target = names.slice(0, i).at(-1) ?? names.find((n) => n !== node.name) ?? 'TARGET';
      steps.push({
        action: 'move-workload',
        node: node.name,
        text: `move the workload off ${node.name} to ${target} (verified) and wait until it runs there`,
        hints: [
          `crm resource move RESOURCE ${target}`,
          `pcs resource move RESOURCE ${target}`,
          `crm node standby ${node.name}   # or: pcs node standby ${node.name}`,
        ],
      });
      moved = true;
    }
    steps.push({ action: 'patch', node: node.name, text: `patch ${node.name} (the declared change only), reboot if the change needs it` });
    steps.push({
      action: 'verify',
      node: node.name,
      text: `verify ${node.name}: matches the expectation, nothing else changed, agrees with its peers, no reboot pending`,
      command: `driftd window verify --config ${config} --node ${node.name}`,
    });
  });
  if (moved) {
    steps.push({
      action: 'clear-constraints',
      text: 'clear the location constraints the moves left behind (and take nodes out of standby), or verify/finish will report the CIB change',
      hints: ['crm resource clear RESOURCE', 'pcs resource clear RESOURCE', 'crm node online NODE   # or: pcs node unstandby NODE'],
    });
  }
  steps.push({
    action: 'finish',
    text: 'close the window once every node converged and the cluster is back at parity',
    command: `driftd window finish --config ${config} --cluster ${input.cluster}`,
  });
  return steps;
}

/** What blocks opening a window: the cluster must be at parity first. */
export interface Readiness {
  ready: boolean;
  blockers: string[];
  /** Unwaived warnings: allowed, but the operator should know. */
  notes: string[];
}

export function windowReadiness(report: CheckReport): Readiness {
  const findings = findingsOf(report);
  const blockers: string[] = [];
  for (const node of report.nodes) {
    if (!node.reachable) blockers.push(`${node.name} is unreachable: ${node.error ?? 'no snapshot'}`);
  }
  for (const f of findings) {
    if (!f.waived && f.severity === 'critical' && f.kind !== 'unreachable') blockers.push(`critical ${f.facet}/${f.key}: ${f.message}`);
  }
  const notes = findings.filter((f) => !f.waived && f.severity === 'warning').map((f) => `warning ${f.facet}/${f.key}: ${f.message}`);
  return {
    ready: blockers.length === 0 && report.ready,
    blockers: blockers.length === 0 && !report.ready ? ['the cluster report says not ready'] : blockers,
    notes,
  };
}

function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
