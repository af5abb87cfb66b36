/** `window finish` and `window status`. */
import type { ClusterConfig } from '../config/schema.js';
import {
  buildAbortSummary,
  buildSummary,
  renderSummary as renderSummaryText,
  type TimedChange,
  type WindowSummary,
} from '../core/window/summary.js';
import { finishVerdict, type FinishVerdict, type NodeEvaluation } from '../core/window/verdict.js';
import type { Expectation } from '../core/window/expectation.js';
import { recordRun, type WindowSession } from './session.js';
import { baselineSnapshots, evaluateAgainstBaseline, openWindowOrFail } from './verify.js';
import { windowContextOf } from './views.js';
import { WindowError } from './errors.js';
import type { VerificationRecord, WindowRecord, WindowStore } from '../store/windows.js';

export interface FinishResult {
  window: WindowRecord;
  runId: number;
  verdict: FinishVerdict;
  evaluations: NodeEvaluation[];
  /** Set when the window closed. */
  summary: WindowSummary | null;
}

export async function finishWindow(session: WindowSession, cluster: ClusterConfig): Promise<FinishResult> {
  const window = await openWindowOrFail(session, cluster.name);
  const baseline = await baselineSnapshots(session, window);
  const { audit, run } = await recordRun(session, cluster, { window: { id: window.id, name: window.name, purpose: 'finish' } });
  const evaluations = window.nodes.map((node) =>
    evaluateAgainstBaseline(session, window, node, baseline, audit.snapshots, audit.report, true),
  );
  const verdict = finishVerdict(evaluations, audit.report, windowContextOf(window));
  if (!verdict.ok) return { window, runId: run.id, verdict, evaluations, summary: null };

  const closedAt = session.now().toISOString();
  const history: TimedChange[] = (await session.store.changes({ cluster: cluster.name, since: window.openedAt })).map((c) => ({
    facet: c.facet,
    key: c.key,
    change: c.change,
    before: c.before,
    after: c.after,
    node: c.node,
    at: c.at,
    runId: c.runId,
  }));
  const summary = buildSummary({
    window: summaryHeader(window),
    closedAt,
    finishRunId: run.id,
    evaluations,
    history,
    verifications: await session.windows.verifications(window.id),
  });
  const closed = await session.windows.closeWindow(window.id, closedAt, summary);
  return { window: closed, runId: run.id, verdict, evaluations, summary };
}

export function expectationTexts(expectation: Expectation): string[] {
  return [
    ...expectation.items.map((i) => `${i.facet}/${i.name} ${i.constraint.text}`),
    ...expectation.allow.map((a) => `${a.facet}/${a.key} allowed`),
  ];
}

export interface WindowStatus {
  window: WindowRecord;
  /** Node -> its latest verification in this window, if any. */
  latest: Record<string, VerificationRecord | null>;
  pendingNodes: string[];
}

export async function windowStatus(windows: WindowStore | null, cluster: ClusterConfig): Promise<WindowStatus> {
  const window = await windows?.openWindowOf(cluster.name);
  if (!windows || !window)
    throw new WindowError(
      'no-window',
      `no open window on cluster ${cluster.name}; open one with \`driftd window start --cluster ${cluster.name}\``,
    );
  const verifications = await windows.verifications(window.id);
  const latest: Record<string, VerificationRecord | null> = {};
  for (const node of window.nodes) latest[node] = verifications.filter((v) => v.node === node).at(-1) ?? null;
  return { window, latest, pendingNodes: window.nodes.filter((n) => latest[n]?.verdict !== 'safe') };
}

export function renderStatus(status: WindowStatus, now: Date): string {
  const w = status.window;
  const overrun = w.plannedEnd !== null && Date.parse(w.plannedEnd) < now.getTime();
  const lines = [
    `window "${w.name}" on ${w.cluster}: OPEN since ${w.openedAt}${w.plannedEnd ? `, planned end ${w.plannedEnd}${overrun ? ' (OVERRUN)' : ''}` : ''}`,
    `baseline run ${w.baselineRunId}; expectation: ${expectationTexts(w.expectation).join(', ') || '(none declared)'}`,
    '',
  ];
  for (const node of w.nodes) {
    const v = status.latest[node];
    lines.push(`  ${node.padEnd(20)} ${v ? `${v.verdict.padEnd(9)} verified ${v.at} (run ${v.runId ?? '?'})` : 'not verified yet'}`);
  }
  lines.push('', `${status.pendingNodes.length} node(s) pending${status.pendingNodes.length ? `: ${status.pendingNodes.join(', ')}` : ''}`);
  return lines.join('\n');
}

export function renderFinish(result: FinishResult): string {
  if (result.summary) return `window closed.\n${renderSummaryText(result.summary)}`;
  const lines = [`window "${result.window.name}" stays OPEN: not every node converged (finish run ${result.runId})`];
  if (result.verdict.pendingNodes.length > 0) lines.push(`pending nodes: ${result.verdict.pendingNodes.join(', ')}`);
  for (const r of result.verdict.reasons) lines.push(`  - ${r}`);
  return lines.join('\n');
}

/**
 * Closes an open window without the cluster converging (rolled back, postponed). Nothing
 * is collected; the summary records the reason and the nodes left half-patched, which
 * keep driftd_window_nodes_pending above 0 after the window closed.
 */
export async function abortWindow(windows: WindowStore, cluster: ClusterConfig, reason: string, now: Date): Promise<WindowSummary> {
  const window = await windows.openWindowOf(cluster.name);
  if (!window) throw new WindowError('no-window', `no open window on cluster ${cluster.name}, nothing to abort`);
  const closedAt = now.toISOString();
  const summary = buildAbortSummary({
    window: summaryHeader(window),
    closedAt,
    reason,
    nodes: window.nodes,
    verifications: (await windows.verifications(window.id)).map((v) => ({
      node: v.node,
      at: v.at,
      verdict: v.verdict,
      runId: v.runId,
      expectedChanges: v.evidence.expectedChanges,
    })),
  });
  await windows.closeWindow(window.id, closedAt, summary);
  return summary;
}

/** The window as its summaries describe it, closed by finish or by abort. */
function summaryHeader(window: WindowRecord) {
  return {
    id: window.id,
    cluster: window.cluster,
    name: window.name,
    openedAt: window.openedAt,
    plannedEnd: window.plannedEnd,
    baselineRunId: window.baselineRunId,
    expectation: expectationTexts(window.expectation),
  };
}
