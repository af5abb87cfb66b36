/**
 * One cluster's check: the latest snapshot of each configured node in, a CheckReport out.
 * Pure: the clock is `now`, the rules are compiled already.
 */
import type { ScoringConfig } from './score.js';
import { appendAll } from '../append.js';
import type { CheckReport } from '../check-report.js';
import { SEVERITIES, type Finding } from '../findings.js';
import { FACET_NAMES, type FacetName, type NodeSnapshot } from '../snapshot.js';
import { finalizeFinding, presenceSplitFinding, type EvalContext } from './build.js';
import { corosyncFacetFindings } from './corosync-view.js';
import { diffFacet, type Participant } from './peer-diff.js';
import { agentPreconditions, packageStatePreconditions, rebootPreconditions, rpmDuplicatePreconditions } from './preconditions.js';
import type { CompiledRules } from './rules/compile.js';
import { practiceFindings } from './practice.js';
import { groupRootCauses } from './root-cause.js';
import { runtimeFindings } from './runtime.js';
import { clusterScore, scoreNodes } from './score.js';
import { directByWindow, type WindowDirection } from './window-direction.js';
import { directByCibVersion } from './cib-direction.js';
import { attachFailoverCauses, failoverFindings, failoverStatuses, type FailoverScenario } from '../simulate/findings.js';

export interface EvaluateInput {
  cluster: string;
  /** Configured nodes, in config order; one without a snapshot counts as unreachable. */
  nodes: readonly string[];
  baseline?: string;
  snapshots: readonly NodeSnapshot[];
  rules: CompiledRules;
  scoring: ScoringConfig;
  now: Date;
  /**
   * The cluster's open maintenance window, if any: for the items it declares, the nodes
   * that do not meet its expectation are the ones to fix, whatever the majority.
   */
  window?: WindowDirection;
  /** Each node failing, as simulated (src/simulate); absent when failover simulation is off. */
  failover?: readonly FailoverScenario[];
}

export function evaluateCluster(input: EvaluateInput): CheckReport {
  const ctx: EvalContext = { cluster: input.cluster, rules: input.rules, now: input.now };
  if (input.baseline !== undefined) ctx.baseline = input.baseline;
  const latest = latestByNode(input.nodes, input.snapshots);
  const reachable = input.nodes.map((n) => latest.get(n)).filter((s): s is NodeSnapshot => s !== undefined && s.error === undefined);

  const all: Finding[] = nodeFindings(ctx, input, latest);
  for (const facetName of FACET_NAMES) appendAll(all, facetFindings(ctx, facetName, reachable));
  appendAll(all, agentPreconditions(ctx, reachable));
  appendAll(all, rebootPreconditions(ctx, reachable));
  appendAll(all, packageStatePreconditions(ctx, reachable));
  appendAll(all, rpmDuplicatePreconditions(ctx, reachable));
  appendAll(all, runtimeFindings(ctx, reachable));
  appendAll(all, practiceFindings(ctx, reachable));
  const failover = input.failover ? failoverFindings(ctx, input.failover) : [];
  appendAll(
    all,
    failover.map((f) => f.finding),
  );
  // One headline per problem; what follows from it becomes its evidence. Everything
  // below (score, summary) and after (store, metrics, alerts) counts headlines only.
  // Who is to fix: CIB items by CIB version (Pacemaker keeps the newest), then an open
  // window's declared items by its expectation.
  const byCib = directByCibVersion(all, reachable);
  const directed = input.window ? directByWindow(byCib, input.window) : byCib;
  const findings = attachFailoverCauses(groupRootCauses(directed, reachable), failover);
  findings.sort(bySeverityThenPlace);
  for (const f of findings) f.evidence?.sort(bySeverityThenPlace);

  const nodes = scoreNodes({ nodes: input.nodes, snapshots: latest, findings, scoring: input.scoring });
  const { score, ready } = clusterScore(nodes);
  const summary = { critical: 0, warning: 0, info: 0, waived: 0 };
  for (const f of findings) {
    if (f.waived) summary.waived++;
    else summary[f.severity]++;
  }
  return {
    cluster: input.cluster,
    ready,
    score,
    checkedAt: input.now.toISOString(),
    baseline: input.baseline ?? null,
    nodes,
    findings,
    summary,
    ...(input.failover ? { failover: failoverStatuses(input.nodes, input.failover) } : {}),
  };
}

function latestByNode(nodes: readonly string[], snapshots: readonly NodeSnapshot[]): Map<string, NodeSnapshot> {
  const wanted = new Set(nodes);
  const latest = new Map<string, NodeSnapshot>();
  for (const s of snapshots) {
    if (!wanted.has(s.node)) continue;
    const seen = latest.get(s.node);
    if (!seen || Date.parse(s.takenAt) > Date.parse(seen.takenAt)) latest.set(s.node, s);
  }
  return latest;
}

function nodeFindings(ctx: EvalContext, input: EvaluateInput, latest: ReadonlyMap<string, NodeSnapshot>): Finding[] {
  const out: Finding[] = [];
  const staleMs = input.scoring.staleAfterSeconds * 1000;
  for (const node of input.nodes) {
    const snapshot = latest.get(node);
    if (!snapshot || snapshot.error !== undefined) {
      const reason = snapshot ? snapshot.error : 'no snapshot collected yet';
      const f = finalizeFinding(ctx, {
        kind: 'unreachable',
        facet: 'node',
        key: node,
        values: { [node]: null },
        majority: null,
        outliers: [node],
        message: `${node} is unreachable: ${reason}`,
        defaultSeverity: 'critical',
      });
      if (f) out.push(f);
      continue;
    }
    const ageMs = input.now.getTime() - Date.parse(snapshot.takenAt);
    if (!(ageMs <= staleMs)) {
      const f = finalizeFinding(ctx, {
        kind: 'stale',
        facet: 'node',
        key: node,
        values: { [node]: snapshot.takenAt },
        majority: null,
        outliers: [node],
        message: `${node}'s latest snapshot is from ${snapshot.takenAt}, older than ${input.scoring.staleAfterSeconds}s: its state is unknown`,
        defaultSeverity: 'critical',
      });
      if (f) out.push(f);
    }
  }
  return out;
}

/**
 * A facet unsupported everywhere is nothing to report; unsupported on some nodes but
 * collected on others is itself a difference (corosync missing on one node). Nodes where
 * the facet errored or was truncated sit this facet out: their partial items must not be
 * read as "absent" (the score accounts for them).
 */
function facetFindings(ctx: EvalContext, facetName: FacetName, reachable: readonly NodeSnapshot[]): Finding[] {
  const participants: Participant[] = [];
  const unsupported: string[] = [];
  for (const snapshot of reachable) {
    const facet = snapshot.facets[facetName];
    if (facet?.status === 'ok') {
      const p: Participant = { node: snapshot.node, facet };
      if (snapshot.facets.packages) p.packages = snapshot.facets.packages;
      participants.push(p);
    } else if (facet?.status === 'unsupported') {
      unsupported.push(snapshot.node);
    }
  }
  if (participants.length === 0) return [];
  const findings = facetName === 'corosync' ? corosyncFacetFindings(ctx, participants) : diffFacet(ctx, facetName, participants);
  if (unsupported.length > 0) {
    const unsupportedSet = new Set(unsupported);
    const collected = new Set(participants.map((p) => p.node));
    const voters = reachable.map((s) => s.node).filter((n) => unsupportedSet.has(n) || collected.has(n));
    const f = presenceSplitFinding(ctx, {
      facet: facetName,
      key: '*',
      voters,
      present: collected,
      value: 'ok',
      message: `${facetName} is unsupported on ${unsupported.join(', ')} but collected on ${participants.map((p) => p.node).join(', ')}`,
      defaultSeverity: 'warning',
    });
    if (f) findings.push(f);
  }
  return findings;
}

const SEVERITY_RANK = new Map(SEVERITIES.map((s, i) => [s, i]));

function bySeverityThenPlace(a: Finding, b: Finding): number {
  return (
    Number(a.waived) - Number(b.waived) ||
    (SEVERITY_RANK.get(a.severity) ?? 0) - (SEVERITY_RANK.get(b.severity) ?? 0) ||
    compareText(a.facet, b.facet) ||
    compareText(a.key, b.key) ||
    compareText(a.kind, b.kind)
  );
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
