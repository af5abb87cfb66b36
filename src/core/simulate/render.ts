/** The text of a failover simulation (`driftd simulate`, `window plan`). Pure. */
import { escapeControl } from '../text/terminal.js';
import type { FailoverStatus } from '../check-report.js';
import type { ResourceVerdict, SimulationReport } from './judge.js';

const MARK: Record<ResourceVerdict['judgement'], string> = { ok: 'ok', fails: 'FAILS', unknown: '??' };

function placement(list: readonly string[]): string {
  return list.length === 0 ? 'stopped' : list.join(', ');
}

/** One resource: mark, id, agent, where now -> where after, and the reasons under it. */
export function renderResource(r: ResourceVerdict, indent = '  '): string[] {
  const e = escapeControl;
  const move = r.outcome === 'stays' ? `${placement(r.now)} (stays)` : `${placement(r.now)} -> ${placement(r.after)}`;
  const lines = [`${indent}${MARK[r.judgement].padEnd(5)} ${e(r.resource)} (${e(r.agent || 'agent unknown')}): ${e(move)}`];
  for (const reason of r.reasons) lines.push(`${indent}      - ${e(reason)}`);
  return lines;
}

const VERDICT_TEXT: Record<SimulationReport['verdict'], string> = {
  safe: 'SAFE: every resource would fail over to a node that can run it',
  unsafe: 'NOT SAFE',
  unknown: 'COULD NOT TELL',
};

export function renderSimulation(report: SimulationReport, options: { all?: boolean } = {}): string {
  const e = escapeControl;
  const lines: string[] = [`Failover simulation: cluster ${e(report.cluster)}, node ${e(report.failed)} fails`];
  for (const note of report.notes) lines.push(`  ${e(note)}`);
  lines.push(`Fencing: ${report.fencing.length > 0 ? e(report.fencing.join('; ')) : 'none in the transition'}`);
  const shown = options.all
    ? report.resources
    : report.resources.filter((r) => r.outcome !== 'not-running' && (r.outcome !== 'stays' || r.judgement !== 'ok'));
  const hidden = report.resources.length - shown.length;
  lines.push('Resources:');
  if (shown.length === 0) lines.push('  none would move');
  for (const r of shown) lines.push(...renderResource(r));
  if (hidden > 0) lines.push(`  (${hidden} more stay where they are or were not running; --all lists them)`);
  const failing = report.resources.filter((r) => r.judgement === 'fails').length;
  const unknown = report.resources.filter((r) => r.judgement === 'unknown').length;
  let verdict = VERDICT_TEXT[report.verdict];
  if (report.verdict === 'unsafe')
    verdict += `: ${failing} resource(s) would not fail over${unknown > 0 ? `, ${unknown} could not be judged` : ''}`;
  if (report.verdict === 'unknown') verdict += `: ${unknown} resource(s) could not be judged`;
  lines.push(`Verdict: ${verdict}`);
  return lines.join('\n');
}

/**
 * The report's `failover` list in `driftd check` text: one line per node. An unsafe node's
 * reasons are in its findings; an unknown one says why here (it has no finding). When no
 * node could be simulated for the same reasons (no crm_simulate here, no CIB with a
 * status), the reasons are said once. `reasonLines` lays out one reason (the caller wraps
 * it to its width).
 */
export function renderFailoverStatuses(
  statuses: readonly FailoverStatus[],
  reasonLines: (reason: string) => string[] = (reason) => [`      - ${reason}`],
): string[] {
  const e = escapeControl;
  if (statuses.length === 0) return [];
  const lines = ['', "If a node fails now (Pacemaker's scheduler on the collected CIB):"];
  const first = statuses[0];
  const allAlike =
    statuses.length > 1 &&
    first !== undefined &&
    statuses.every(
      (s) => s.verdict === 'unknown' && s.reasons.length === first.reasons.length && s.reasons.every((r, i) => r === first.reasons[i]),
    );
  if (allAlike) {
    lines.push(`  cannot tell for any node (${statuses.map((s) => e(s.node)).join(', ')}):`);
    for (const reason of first.reasons) lines.push(...reasonLines(e(reason)));
    return lines;
  }
  const nameWidth = Math.max(...statuses.map((s) => s.node.length), 4);
  for (const s of statuses) {
    const state = s.verdict === 'safe' ? 'safe' : s.verdict === 'unsafe' ? 'NOT SAFE (see the failover findings)' : 'cannot tell';
    lines.push(`  ${e(s.node).padEnd(nameWidth)}  ${state}`);
    if (s.verdict === 'unknown') for (const reason of s.reasons) lines.push(...reasonLines(e(reason)));
  }
  return lines;
}
