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
  finishRunId: number;
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
    finishRunId: input.finishRunId,
    nodes: input.evaluations.map((evaluation) => {
      const lastSafe = input.verifications
        .filter((v) => v.node === evaluation.node && v.verdict === 'safe')
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
        .at(-1);
      return {
        node: evaluation.node,
        changes: evaluation.expectedChanges.map((change) => ({ ...change, at: firstSeen(change, evaluation.node, input.history) })),
        verifiedBy: lastSafe ? { runId: lastSafe.runId, at: lastSafe.at } : null,
      };
    }),
  };
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
  const lines = [
    `window "${w.name}" on ${w.cluster} closed ${w.closedAt} (opened ${w.openedAt}${w.plannedEnd ? `, planned end ${w.plannedEnd}` : ''})`,
    `baseline run ${w.baselineRunId}, finish run ${summary.finishRunId}`,
    `expectation: ${w.expectation.length > 0 ? w.expectation.join(', ') : '(none declared)'}`,
  ];
  for (const node of summary.nodes) {
    const verified = node.verifiedBy ? `verified by run ${node.verifiedBy.runId ?? '?'} at ${node.verifiedBy.at}` : 'checked by the finish run only';
    lines.push('', `${node.node}: ${node.changes.length} change(s), ${verified}`);
    for (const c of node.changes) {
      lines.push(`  ${c.facet}/${c.key}: ${c.before ?? '(absent)'} -> ${c.after ?? '(absent)'}${c.at ? `  (seen ${c.at})` : ''}`);
    }
  }
  return lines.join('\n');
}
