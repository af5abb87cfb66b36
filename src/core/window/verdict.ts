/**
 * The two verdicts of a window. Pure.
 * - verify (one node): safe to take the workload?
 * - finish (the cluster): every node converged and back at parity, so the window may close?
 */
import type { Change } from '../changes.js';
import type { CheckReport } from '../check-report.js';
import type { Finding } from '../findings.js';
import type { NodeSnapshot } from '../snapshot.js';
import { classifyChanges, classifyWindowFindings, findingsOf, type WindowContext } from './classify.js';
import { checkExpectation, type ItemCheck } from './expectation.js';
import type { CompiledRules } from '../engine/index.js';

export type NodeVerdict = 'safe' | 'not-safe' | 'undecided';

export interface NodeEvaluation {
  node: string;
  verdict: NodeVerdict;
  /** Why it is not safe (or undecided); empty when safe. */
  reasons: string[];
  expectation: ItemCheck[];
  expectedChanges: Change[];
  /** Left by moving the workload (constraints, standby): allowed by verify, refused by finish. */
  operationalChanges: Change[];
  unexpectedChanges: Change[];
  /** Unwaived critical findings about this node that the window does not explain. */
  peerFindings: Finding[];
  /** null when the kernel facet could not tell. */
  rebootRequired: boolean | null;
}

export interface EvaluateNodeInput {
  node: string;
  baseline: NodeSnapshot | null;
  now: NodeSnapshot | null;
  report: CheckReport;
  window: WindowContext;
  rules: CompiledRules;
  diff: (before: NodeSnapshot, after: NodeSnapshot) => Change[];
  /** finish: changes left by the failover procedure must be gone too. */
  strict?: boolean;
}

export function evaluateNode(input: EvaluateNodeInput): NodeEvaluation {
  const empty: NodeEvaluation = {
    node: input.node,
    verdict: 'undecided',
    reasons: [],
    expectation: [],
    expectedChanges: [],
    operationalChanges: [],
    unexpectedChanges: [],
    peerFindings: [],
    rebootRequired: null,
  };
  if (!input.now) return { ...empty, reasons: [`no snapshot of ${input.node} now`] };
  if (input.now.error !== undefined) return { ...empty, reasons: [`${input.node} is unreachable: ${input.now.error}`] };
  if (!input.baseline) return { ...empty, reasons: [`no baseline snapshot of ${input.node} in the window's baseline run`] };

  const expectation = checkExpectation(input.now, input.window.expectation);
  const classified = classifyChanges({
    changes: input.diff(input.baseline, input.now),
    expectation: input.window.expectation,
    rules: input.rules,
    before: input.baseline,
    after: input.now,
  });
  const baselineIds = new Set(input.window.baselineFindingIds);
  const peerFindings = classifyWindowFindings(input.report, input.window).unexpected.filter(
    (f) => !f.waived && f.severity === 'critical' && !baselineIds.has(f.id) && involves(f, input.node),
  );
  const rebootRequired = rebootPending(input.now);

  const undecided: string[] = [];
  const notSafe: string[] = [];
  for (const check of expectation) {
    if (check.ok) continue;
    (check.reason?.startsWith('cannot tell') ? undecided : notSafe).push(
      `expectation ${check.facet}/${check.name}: ${check.reason ?? 'not met'}`,
    );
  }
  for (const change of classified.unexpected) notSafe.push(`unexpected change ${describeChange(change)}`);
  if (input.strict) {
    for (const change of classified.operational) notSafe.push(`left over from the failover, clear it: ${describeChange(change)}`);
  }
  for (const finding of peerFindings) notSafe.push(`${findingLabel(finding)}: ${finding.facet}/${finding.key}: ${finding.message}`);
  if (rebootRequired === true) notSafe.push('reboot pending: a newer kernel is installed than the one running');
  if (rebootRequired === null) undecided.push('reboot state unknown: the kernel facet was not collected');

  const verdict: NodeVerdict = notSafe.length > 0 ? 'not-safe' : undecided.length > 0 ? 'undecided' : 'safe';
  return {
    node: input.node,
    verdict,
    reasons: [...notSafe, ...undecided],
    expectation,
    expectedChanges: classified.expected,
    operationalChanges: classified.operational,
    unexpectedChanges: classified.unexpected,
    peerFindings,
    rebootRequired,
  };
}

function involves(finding: Finding, node: string): boolean {
  return finding.outliers.includes(node) || finding.key === node || (finding.outliers.length === 0 && node in finding.values);
}

function rebootPending(snapshot: NodeSnapshot): boolean | null {
  const kernel = snapshot.facets.kernel;
  if (kernel?.status !== 'ok') return null;
  const value = kernel.items['reboot_required']?.value;
  // No installed-kernel list (a container, an odd /boot): nothing says a reboot is due.
  return value === 'true';
}

export function describeChange(change: Change): string {
  const show = (v: string | null): string => (v === null ? '(absent)' : v.length > 80 ? `${v.slice(0, 77)}...` : v);
  return `${change.facet}/${change.key}: ${change.change} ${show(change.before)} -> ${show(change.after)}`;
}

export interface FinishVerdict {
  ok: boolean;
  reasons: string[];
  /** Nodes that did not converge, in plan order. */
  pendingNodes: string[];
}

/**
 * The window may close when every node is safe and the cluster is back at parity: no
 * unwaived critical or warning finding that was not already open at the baseline (the
 * declared change included: half the nodes patched is drift, whatever the expectation).
 */
export function finishVerdict(nodes: readonly NodeEvaluation[], report: CheckReport, window: WindowContext): FinishVerdict {
  const reasons: string[] = [];
  const pendingNodes: string[] = [];
  for (const node of nodes) {
    if (node.verdict === 'safe') continue;
    pendingNodes.push(node.node);
    for (const reason of node.reasons) reasons.push(`${node.node}: ${reason}`);
  }
  const baselineIds = new Set(window.baselineFindingIds);
  for (const finding of findingsOf(report)) {
    if (finding.waived || finding.severity === 'info' || baselineIds.has(finding.id)) continue;
    reasons.push(`not at parity: ${finding.severity} ${finding.facet}/${finding.key}: ${finding.message}`);
  }
  return { ok: reasons.length === 0, reasons, pendingNodes };
}

/** Peer disagreement reads differently from a node that is wrong on its own. */
function findingLabel(finding: Finding): string {
  switch (finding.kind) {
    case 'mismatch':
    case 'missing':
      return 'disagrees with peers';
    case 'runtime':
      return 'running state differs from its files';
    case 'practice':
      return 'breaks a best practice';
    case 'identity':
      return 'shares an identity that must differ';
    default:
      return finding.kind;
  }
}
