/**
 * The closing report of a window: what changed on which node, when, and which run
 * verified it. Stored as evidence with the window and printed by `window finish`. Pure.
 */
import type { Change } from '../changes.js';
import type { NodeEvaluation, NodeVerdict } from './verdict.js';

/** A change as the history recorded it, with the time of the snapshot that first showed it. */
export interface TimedChange extends Change {
  node: string;
  at: string;
  runId: number;
}

export interface VerificationInfo {
  node: string;
  at: string;
  verdict: NodeVerdict;
  runId: number | null;
  /** The declared changes that verify saw on the node, when known. */
  expectedChanges?: readonly Change[];
}

export interface SummaryChange extends Change {
  /** When the history first saw the final value; null when it was never recorded between runs. */
  at: string | null;
}

export interface WindowSummary {
  window: {
    id: number;
    cluster: string;
    name: string;
    openedAt: string;
    closedAt: string;
    plannedEnd: string | null;
    baselineRunId: number;
    expectation: string[];
  };
  /** converged: `window finish` closed it; aborted: `window abort`, nodes may be left half-patched. */
  outcome: 'converged' | 'aborted';
  /** Why it was aborted; null when it converged. */
  reason: string | null;
  /** The run of `window finish`; null for an aborted window (nothing collected). */
  finishRunId: number | null;
  /** Nodes whose latest verify was not safe when the window closed (always empty when converged). */
  pendingNodes: string[];
  nodes: {
    node: string;
    changes: SummaryChange[];
    /** The last verify that said safe; null when the node was only checked by finish. */
    verifiedBy: { runId: number | null; at: string } | null;
  }[];
}

export interface BuildSummaryInput {
  window: Omit<WindowSummary['window'], 'closedAt'>;
  closedAt: string;
  finishRunId: number;
  evaluations: readonly NodeEvaluation[];
  history: readonly TimedChange[];
  verifications: readonly VerificationInfo[];
}

export function buildSummary(input: BuildSummaryInput): WindowSummary {
  return {
    window: { ...input.window, closedAt: input.closedAt },
    outcome: 'converged',
    reason: null,
    finishRunId: input.finishRunId,
    pendingNodes: [],
    nodes: input.evaluations.map((evaluation) => ({
      node: evaluation.node,
      changes: evaluation.expectedChanges.map((change) => ({ ...change, at: firstSeen(change, evaluation.node, input.history) })),
      verifiedBy: lastSafeVerify(input.verifications, evaluation.node),
    })),
  };
}

export interface BuildAbortSummaryInput {
  window: Omit<WindowSummary['window'], 'closedAt'>;
  closedAt: string;
  reason: string;
  /** The window's nodes, in plan order. */
  nodes: readonly string[];
  verifications: readonly VerificationInfo[];
}

/**
 * An abandoned window: nothing is collected, so the record says what the verifies
 * said. A node whose latest verify was not safe (or that was never verified) is left
 * pending, which keeps DriftdNodesLeftHalfPatched firing until a later window fixes it.
 */
export function buildAbortSummary(input: BuildAbortSummaryInput): WindowSummary {
  const latest = (node: string) => sortedByTime(input.verifications.filter((v) => v.node === node)).at(-1);
  return {
    window: { ...input.window, closedAt: input.closedAt },
    outcome: 'aborted',
    reason: input.reason,
    finishRunId: null,
    pendingNodes: input.nodes.filter((node) => latest(node)?.verdict !== 'safe'),
    nodes: input.nodes.map((node) => ({
      node,
      changes: (latest(node)?.expectedChanges ?? []).map((change) => ({ ...change, at: null })),
      verifiedBy: lastSafeVerify(input.verifications, node),
    })),
  };
}

function sortedByTime<T extends { at: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function lastSafeVerify(verifications: readonly VerificationInfo[], node: string): { runId: number | null; at: string } | null {
  const last = sortedByTime(verifications.filter((v) => v.node === node && v.verdict === 'safe')).at(-1);
  return last ? { runId: last.runId, at: last.at } : null;
}

/** The earliest recorded change of this node and key that arrived at the final value. */
function firstSeen(change: Change, node: string, history: readonly TimedChange[]): string | null {
  const hits = history
    .filter((h) => h.node === node && h.facet === change.facet && h.key === change.key && h.after === change.after)
    .map((h) => h.at)
    .sort();
  return hits[0] ?? null;
}

export function renderSummary(summary: WindowSummary): string {
  const w = summary.window;
  const how = summary.outcome === 'aborted' ? `ABORTED (${summary.reason ?? 'no reason given'})` : 'closed';
  const lines = [
    `window "${w.name}" on ${w.cluster} ${how} ${w.closedAt} (opened ${w.openedAt}${w.plannedEnd ? `, planned end ${w.plannedEnd}` : ''})`,
    `baseline run ${w.baselineRunId}, ${summary.finishRunId === null ? 'no finish run' : `finish run ${summary.finishRunId}`}`,
    `expectation: ${w.expectation.length > 0 ? w.expectation.join(', ') : '(none declared)'}`,
  ];
  if (summary.pendingNodes.length > 0) lines.push(`LEFT HALF-PATCHED (latest verify not safe): ${summary.pendingNodes.join(', ')}`);
  for (const node of summary.nodes) {
    const verified = node.verifiedBy
      ? `verified by run ${node.verifiedBy.runId ?? '?'} at ${node.verifiedBy.at}`
      : summary.outcome === 'aborted'
        ? 'never verified safe'
        : 'checked by the finish run only';
    lines.push('', `${node.node}: ${node.changes.length} change(s), ${verified}`);
    for (const c of node.changes) {
      lines.push(`  ${c.facet}/${c.key}: ${c.before ?? '(absent)'} -> ${c.after ?? '(absent)'}${c.at ? `  (seen ${c.at})` : ''}`);
    }
  }
  return lines.join('\n');
}
