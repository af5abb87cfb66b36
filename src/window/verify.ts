/** `window verify --node N`: is this patched node safe to take the workload? Recorded as evidence. */
import type { ClusterConfig } from '../config/schema.js';
import { diffSnapshots } from '../core/changes.js';
import type { CheckReport } from '../core/check-report.js';
import type { NodeSnapshot } from '../core/snapshot.js';
import { describeChange, evaluateNode, type NodeEvaluation } from '../core/window/verdict.js';
import { WindowError } from './errors.js';
import { recordRun, type WindowSession } from './session.js';
import { windowContextOf } from './views.js';
import type { WindowRecord } from '../store/windows.js';

export interface VerifyResult {
  window: WindowRecord;
  runId: number;
  at: string;
  evaluation: NodeEvaluation;
}

export function clusterOfNode(session: WindowSession, node: string): ClusterConfig {
  const cluster = session.loaded.config.clusters.find((c) => c.nodes.some((n) => n.name === node));
  if (!cluster) {
    const all = session.loaded.config.clusters.flatMap((c) => c.nodes.map((n) => n.name)).join(', ');
    throw new WindowError('unknown-node', `no node named "${node}" in the config (nodes: ${all})`);
  }
  return cluster;
}

export async function openWindowOrFail(session: WindowSession, cluster: string): Promise<WindowRecord> {
  const window = await session.windows.openWindowOf(cluster);
  if (!window)
    throw new WindowError('no-window', `no open window on cluster ${cluster}; open one with \`driftd window start --cluster ${cluster}\``);
  return window;
}

export async function baselineSnapshots(session: WindowSession, window: WindowRecord): Promise<NodeSnapshot[]> {
  const snapshots = await session.store.snapshotsOfRun(window.baselineRunId);
  if (snapshots.length === 0) {
    throw new WindowError(
      'no-baseline',
      `the baseline run ${window.baselineRunId} of window "${window.name}" has no snapshots in the store (pruned?)`,
    );
  }
  return snapshots;
}

export function evaluateAgainstBaseline(
  session: WindowSession,
  window: WindowRecord,
  node: string,
  baseline: readonly NodeSnapshot[],
  now: readonly NodeSnapshot[],
  report: CheckReport,
  strict = false,
): NodeEvaluation {
  return evaluateNode({
    strict,
    node,
    baseline: baseline.find((s) => s.node === node) ?? null,
    now: now.find((s) => s.node === node) ?? null,
    report,
    window: windowContextOf(window),
    rules: session.rules,
    diff: (before, after) => diffSnapshots(before, after),
  });
}

export async function verifyNode(session: WindowSession, node: string): Promise<VerifyResult> {
  const cluster = clusterOfNode(session, node);
  const window = await openWindowOrFail(session, cluster.name);
  const baseline = await baselineSnapshots(session, window);
  // The whole cluster: "agrees with its peers" needs the peers as they are now.
  const { audit, run } = await recordRun(session, cluster, { window: { id: window.id, name: window.name, purpose: 'verify', node } });
  const evaluation = evaluateAgainstBaseline(session, window, node, baseline, audit.snapshots, audit.report);
  const at = session.now().toISOString();
  await session.windows.recordVerification({
    windowId: window.id,
    node,
    at,
    verdict: evaluation.verdict,
    runId: run.id,
    evidence: evaluation,
  });
  return { window, runId: run.id, at, evaluation };
}

export function renderVerify(result: VerifyResult): string {
  const e = result.evaluation;
  const head = {
    safe: `${e.node}: SAFE to take the workload`,
    'not-safe': `${e.node}: NOT SAFE to take the workload`,
    undecided: `${e.node}: UNDECIDED`,
  }[e.verdict];
  const lines = [`${head} (window "${result.window.name}", run ${result.runId}, ${result.at})`];
  if (e.expectation.length > 0) {
    lines.push('', 'Expectation:');
    for (const c of e.expectation) {
      const actual =
        Object.entries(c.actual)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || '(absent)';
      lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.facet}/${c.name} ${c.constraint}: ${actual}`);
    }
  }
  if (e.expectedChanges.length > 0) {
    lines.push('', 'Declared changes since the baseline:');
    for (const c of e.expectedChanges) lines.push(`  ${describeChange(c)}`);
  }
  if (e.operationalChanges.length > 0) {
    lines.push('', 'Left by the failover (fine for now; clear before `window finish`):');
    for (const c of e.operationalChanges) lines.push(`  ${describeChange(c)}`);
  }
  if (e.reasons.length > 0) {
    lines.push('', 'Why not:');
    for (const r of e.reasons) lines.push(`  - ${r}`);
  }
  return lines.join('\n');
}
