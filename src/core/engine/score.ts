/**
 * Failover readiness: how safe is it to fail over TO each node.
 *
 * - Unreachable: score 0, not ready.
 * - Stale snapshot: not ready (we do not know what it looks like now); score unchanged.
 * - Each unwaived finding where the node is an outlier deducts its severity's weight;
 *   a critical one also makes the node not ready. With no majority every node involved
 *   is an outlier, so a critical tie makes every node involved not ready.
 * - A facet that errored or was truncated (timed out, cut off, never started, output
 *   over a cap) makes the node not ready and deducts the warning weight: readiness is
 *   judged on the facets the cluster lists (every facet in the snapshot is one the
 *   cluster's config asked for), and we cannot vouch for what we could not read. A
 *   node that answered nothing is never ready. An `unsupported` facet (the node has no
 *   such thing: no DRBD, no module support) is not a failure.
 * - score = max(0, 1 - sum of weights).
 *
 * The cluster's score is the minimum over its nodes (a failover is only as safe as the
 * node it lands on, and we do not know which one that will be); it is ready when every
 * node is.
 */
import type { NodeReport, ScoreContribution } from '../check-report.js';
import type { Finding, Severity } from '../findings.js';
import { FACET_NAMES, type FacetStatus, type NodeSnapshot } from '../snapshot.js';

/**
 * How findings weigh on a node's score. The config's `scoring:` section (validated in
 * src/config/schema.ts) has exactly this shape; the core owns the type, the config the defaults.
 */
export interface ScoringConfig {
  /** Deducted per unwaived finding where the node is an outlier, by severity. */
  weights: Record<Severity, number>;
  /** A snapshot older than this is stale and its node is not ready. */
  staleAfterSeconds: number;
}

export interface ScoreInput {
  nodes: readonly string[];
  snapshots: ReadonlyMap<string, NodeSnapshot>;
  findings: readonly Finding[];
  scoring: ScoringConfig;
}

export function scoreNodes(input: ScoreInput): NodeReport[] {
  const byNode = new Map<string, Finding[]>();
  for (const finding of input.findings) {
    if (finding.waived) continue;
    for (const node of finding.outliers) {
      const list = byNode.get(node) ?? [];
      list.push(finding);
      byNode.set(node, list);
    }
  }
  return input.nodes.map((node) => scoreNode(node, input.snapshots.get(node), byNode.get(node) ?? [], input.scoring));
}

function scoreNode(node: string, snapshot: NodeSnapshot | undefined, findings: readonly Finding[], scoring: ScoringConfig): NodeReport {
  const facets: Record<string, FacetStatus> = {};
  for (const name of FACET_NAMES) {
    const facet = snapshot?.facets[name];
    if (facet) facets[name] = facet.status;
  }
  const report: NodeReport = {
    name: node,
    reachable: snapshot !== undefined && snapshot.error === undefined,
    ready: true,
    score: 1,
    snapshotAt: snapshot?.takenAt ?? null,
    facets,
    error: snapshot === undefined ? 'no snapshot' : (snapshot.error ?? null),
    contributions: [],
  };
  const unreachable = findings.find((f) => f.kind === 'unreachable');
  if (!report.reachable) {
    report.ready = false;
    report.score = 0;
    report.contributions.push({
      finding: unreachable?.id ?? 'unreachable',
      weight: 1,
      effect: 'zero',
      message: unreachable?.message ?? `${node} is unreachable`,
    });
    return report;
  }
  let deducted = 0;
  const add = (c: ScoreContribution): void => {
    report.contributions.push(c);
    deducted += c.weight;
  };
  for (const name of FACET_NAMES) {
    const facet = snapshot?.facets[name];
    if (facet?.status === 'error' || facet?.status === 'truncated') {
      report.ready = false;
      add({
        finding: `facet:${name}:${facet.status}`,
        weight: scoring.weights.warning,
        effect: 'not-ready',
        message:
          `${name} facet ${facet.status === 'error' ? 'failed' : 'was truncated'}${facet.error ? `: ${facet.error}` : ''}` +
          `; not ready: driftd cannot vouch for what it could not read`,
      });
    }
  }
  for (const finding of findings) {
    if (finding.kind === 'stale') {
      report.ready = false;
      report.contributions.push({ finding: finding.id, weight: 0, effect: 'not-ready', message: finding.message });
      continue;
    }
    const weight = scoring.weights[finding.severity];
    if (finding.severity === 'critical') {
      report.ready = false;
      add({ finding: finding.id, weight, effect: 'not-ready', message: finding.message });
    } else if (weight > 0) {
      add({ finding: finding.id, weight, effect: `-${weight}`, message: finding.message });
    }
  }
  report.score = Math.max(0, roundScore(1 - deducted));
  return report;
}

/** Sums of float weights (0.05 x 3) should not print as 0.8500000000000001. */
function roundScore(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export function clusterScore(nodes: readonly NodeReport[]): { score: number; ready: boolean } {
  if (nodes.length === 0) return { score: 0, ready: false };
  return { score: Math.min(...nodes.map((n) => n.score)), ready: nodes.every((n) => n.ready) };
}
