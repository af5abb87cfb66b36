/**
 * The unsafe-failover finding: what the simulated failure of each node (judge.ts) means
 * for the cluster's verdict. Pure.
 *
 * One problem, one finding. A problem is a root cause, not a resource: resource-agents
 * missing on erp-c is one finding whether it breaks one resource or three, and whether
 * erp-c would take them when erp-a fails or when erp-b does. The resources (and the
 * failing nodes) are named in the message and the values.
 *
 * Who it counts against (its outliers, so whose readiness score it lowers):
 * - a target that cannot run what it would take (agent or package missing, another version
 *   of the providing package or of the cluster stack, DRBD at another version, a reboot
 *   pending): that target. The readiness score says how safe it is to fail over TO a node;
 *   this one would fail, and it is the node to fix;
 * - a resource with nowhere to go, left blocked on the failed node, or clone instances
 *   lost: there is no target to blame, so the node whose failure cannot be survived. It is
 *   the node that is not ready to be taken down.
 *
 * Severity follows what Pacemaker would do: nowhere to go, blocked, the promoted role lost,
 * an agent or the cluster stack not installed (the start fails with "not installed", a hard
 * error that bans the resource from the node) are critical; another version of a package,
 * DRBD or a pending reboot (it may well start), or a clone losing instances while keeping
 * its role, are warnings. A rule on the pacemaker facet's `failover:*` keys can change both,
 * or waive them, as for any other finding.
 *
 * A node whose failure could not be simulated, or whose moves could not all be judged,
 * yields no finding: it is `unknown` in the report's `failover` list (and in the
 * driftd_failover_* metrics), never safe and never unsafe by itself.
 */
import type { FailoverStatus } from '../check-report.js';
import type { Finding, Severity } from '../findings.js';
import { finalizeFinding, type EvalContext } from '../engine/build.js';
import { agentProvider, packageName } from '../engine/preconditions.js';
import { resolveRule } from '../engine/rules/compile.js';
import type { FailoverProblem, ProblemCause, SimulationReport } from './judge.js';

/** One driftd node failing: the judged simulation, or why there is none. */
export type FailoverScenario = { node: string; ok: true; report: SimulationReport } | { node: string; ok: false; reason: string };

/** Causes that land on the same finding. */
type Group = 'nowhere' | 'blocked' | 'degraded' | 'agent' | 'stack' | 'version' | 'drbd' | 'reboot';

const GROUP_OF: Record<ProblemCause, Group> = {
  nowhere: 'nowhere',
  'promotion-lost': 'nowhere',
  blocked: 'blocked',
  'instance-lost': 'degraded',
  'fewer-promoted': 'degraded',
  'agent-missing': 'agent',
  'stack-missing': 'stack',
  'package-version': 'version',
  'stack-version': 'version',
  'drbd-version': 'drbd',
  reboot: 'reboot',
};

const SEVERITY_OF: Record<Group, Severity> = {
  nowhere: 'critical',
  blocked: 'critical',
  agent: 'critical',
  stack: 'critical',
  degraded: 'warning',
  version: 'warning',
  drbd: 'warning',
  reboot: 'warning',
};

/** Groups whose problem is the failing node's (no target to blame). */
const ON_FAILING_NODE = new Set<Group>(['nowhere', 'blocked', 'degraded']);

/** Worst first: a resource blocked on the failed node, then one with nowhere to go, then one losing instances. */
const FAILING_NODE_ORDER: readonly Group[] = ['blocked', 'nowhere', 'degraded'];

const NODE_OWN = new Set<Group>(['agent', 'stack', 'reboot']);

interface Hit {
  /** The driftd node that fails in the scenario. */
  failing: string;
  resource: string;
  agent: string;
  problem: FailoverProblem;
}

interface Problem {
  group: Group;
  /** The driftd node it counts against. */
  node: string;
  subject: string;
  hits: Hit[];
}

function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

function list(values: readonly string[], conjunction = 'and'): string {
  return values.length <= 1 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} ${conjunction} ${values[values.length - 1] ?? ''}`;
}

function collect(scenarios: readonly FailoverScenario[]): Problem[] {
  const byKey = new Map<string, Problem>();
  for (const scenario of scenarios) {
    if (!scenario.ok) continue;
    const report = scenario.report;
    const driftdName = (pacemaker: string): string => report.nodeNames[pacemaker] ?? pacemaker;
    for (const resource of report.resources) {
      // With no target to blame, what one resource suffers (its promoted role lost, its
      // other instances stopped) is one problem of the failing node, under the worst group.
      const own = resource.problems.map((p) => GROUP_OF[p.cause]).filter((g) => ON_FAILING_NODE.has(g));
      const worst = FAILING_NODE_ORDER.find((g) => own.includes(g));
      for (const problem of resource.problems) {
        const cause = GROUP_OF[problem.cause];
        const group = ON_FAILING_NODE.has(cause) && worst !== undefined ? worst : cause;
        const node = ON_FAILING_NODE.has(group) ? scenario.node : driftdName(problem.node);
        const key = `${group}\0${node}\0${problem.subject}`;
        let entry = byKey.get(key);
        if (!entry) {
          entry = { group, node, subject: problem.subject, hits: [] };
          byKey.set(key, entry);
        }
        entry.hits.push({ failing: scenario.node, resource: resource.resource, agent: resource.agent, problem });
      }
    }
  }
  return [...byKey.values()];
}

/** What to do, aimed at the node that is wrong. */
function fixFor(p: Problem, resources: readonly string[]): string {
  const them = resources.length === 1 ? 'it' : 'them';
  switch (p.group) {
    case 'agent':
      return agentProvider(p.subject) === undefined && p.subject.includes(':')
        ? `install the agent ${p.subject} on ${p.node}`
        : `install ${p.subject} on ${p.node}`;
    case 'stack':
      return `install ${p.subject} on ${p.node}`;
    case 'version':
      return `bring ${p.subject} on ${p.node} to the version the resources run with now`;
    case 'drbd':
      return `bring DRBD's ${p.subject} on ${p.node} to the version of its peers`;
    case 'reboot':
      return `reboot ${p.node} (moving its resources away first) so it runs what it would boot`;
    case 'nowhere':
      return `find out why no other node may run ${them} (\`crm_resource --why --resource ${resources[0] ?? ''}\`: location constraints, bans, standby nodes, stopped dependencies) and allow one, or accept that ${p.node} cannot be taken down`;
    case 'blocked':
      return `make sure ${p.node} can be fenced (a working stonith device, stonith-enabled=true) and that ${them} ${resources.length === 1 ? 'is' : 'are'} managed`;
    case 'degraded':
      return `check the clone's constraints and its clone-max/promoted-max against the nodes left when ${p.node} fails`;
  }
}

function messageFor(p: Problem, resources: readonly string[], failing: readonly string[], texts: readonly string[]): string {
  // Each failing node is its own scenario: any one of them is enough.
  const fails = `if ${list(failing, 'or')} fails`;
  const reasons = unique(texts).join('; ');
  switch (p.group) {
    case 'nowhere':
      return `${fails}, ${list(resources)} would have nowhere to go: ${reasons}`;
    case 'blocked':
      return `${fails}, Pacemaker could not recover ${list(resources)}: ${reasons}`;
    case 'degraded':
      return `${fails}, ${list(resources)} would lose instances: ${reasons}`;
    default:
      return `${fails}, ${list(resources)} would move to ${p.node}, which cannot run ${resources.length === 1 ? 'it' : 'them'}: ${reasons}`;
  }
}

/** A finding's key: `failover:<group>:<node>[:<subject>]`, stable across runs. */
function keyFor(p: Problem): string {
  return `failover:${p.group}:${p.node}${p.subject !== '' ? `:${p.subject}` : ''}`;
}

/** A failover finding and the headlines it is the consequence of (see attachFailoverCauses). */
export interface FailoverFinding {
  finding: Finding;
  /** True for a headline that says the same root cause on the same node (the missing package...). */
  sameCause: (headline: Finding) => boolean;
  /** What the failure would do, without the fix: what such a headline adds to its message. */
  consequence: string;
}

function causeMatcher(p: Problem): (h: Finding) => boolean {
  const agents = unique(p.hits.map((h) => h.agent).filter((a) => a !== ''));
  // A missing agent, stack or pending reboot is the target's own; a version difference is
  // the package's drift, whichever node the majority says is off.
  const onNode = (h: Finding): boolean => !NODE_OWN.has(p.group) || h.outliers.includes(p.node);
  const says = (f: Pick<Finding, 'facet' | 'key' | 'kind'>): boolean => {
    switch (p.group) {
      case 'agent':
        return (
          (f.facet === 'pacemaker' && agents.some((a) => f.key === `agent:${a}`)) ||
          (f.facet === 'packages' && agents.some((a) => agentProvider(a)?.isProvidingPackage(packageName(f.key)) === true))
        );
      case 'stack':
      case 'version':
        return f.facet === 'packages' && packageName(f.key) === p.subject;
      case 'drbd':
        return f.facet === 'drbd' && f.key === `version.${p.subject}`;
      case 'reboot':
        return f.facet === 'kernel' && f.key === 'reboot_required';
      default:
        return false;
    }
  };
  // A waived headline would hide an unwaived consequence: the failover finding then stands alone.
  return (h) => h.kind !== 'failover' && !h.waived && onNode(h) && (says(h) || (h.evidence ?? []).some(says));
}

/** The failover findings of a cluster's simulated node failures. */
export function failoverFindings(ctx: EvalContext, scenarios: readonly FailoverScenario[]): FailoverFinding[] {
  const out: FailoverFinding[] = [];
  for (const p of collect(scenarios)) {
    const resources = unique(p.hits.map((h) => h.resource));
    const failing = unique(p.hits.map((h) => h.failing));
    const texts = p.hits.map((h) => h.problem.text);
    const values: Record<string, string | null> = {};
    for (const node of failing) {
      const mine = unique(p.hits.filter((h) => h.failing === node).map((h) => h.resource));
      values[node] = ON_FAILING_NODE.has(p.group) ? `fails: ${mine.join(', ')} not recovered` : `fails: ${mine.join(', ')} -> ${p.node}`;
    }
    if (!ON_FAILING_NODE.has(p.group)) values[p.node] = unique(texts).join('; ');
    const key = keyFor(p);
    const fix = fixFor(p, resources);
    const consequence = messageFor(p, resources, failing, texts);
    const finding = finalizeFinding(ctx, {
      kind: 'failover',
      facet: 'pacemaker',
      key,
      values,
      majority: null,
      outliers: [p.node],
      message: `${consequence}: ${fix}`,
      defaultSeverity: SEVERITY_OF[p.group],
      effective: resolveRule(ctx.rules, 'pacemaker', key),
    });
    if (!finding) continue;
    finding.remediation ??= fix;
    out.push({ finding, sameCause: causeMatcher(p), consequence });
  }
  return out;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * One problem, one finding, here too: a failover finding whose root cause another headline
 * already names on the same node (the missing package, the pending reboot, the package at
 * another version) becomes that headline's evidence; the headline says what it would
 * break and takes the worse severity. The drift finding keeps the headline because it
 * exists whether or not the simulation could run: its id (and its alert) do not flap
 * with crm_simulate. A failover finding with no such headline stands alone.
 */
export function attachFailoverCauses(headlines: readonly Finding[], failover: readonly FailoverFinding[]): Finding[] {
  const out = [...headlines];
  const gone = new Set<string>();
  for (const { finding, sameCause, consequence } of failover) {
    const head = out.find((h) => !gone.has(h.id) && sameCause(h));
    const mine = out.find((h) => h.id === finding.id);
    if (!head || !mine) continue;
    const { evidence: carried, ...plain } = mine;
    head.evidence = [...(head.evidence ?? []), plain, ...(carried ?? [])];
    head.message += `; failover: ${consequence}`;
    if (!plain.waived && RANK[plain.severity] > RANK[head.severity]) {
      head.severity = plain.severity;
      head.rule = plain.rule;
    }
    gone.add(mine.id);
  }
  return out.filter((f) => !gone.has(f.id));
}

/** Per configured node: would its failure be survived, as far as driftd can tell. */
export function failoverStatuses(nodes: readonly string[], scenarios: readonly FailoverScenario[]): FailoverStatus[] {
  const byNode = new Map(scenarios.map((s) => [s.node, s]));
  return nodes.map((node): FailoverStatus => {
    const s = byNode.get(node);
    if (!s) return { node, verdict: 'unknown', reasons: ['not simulated'] };
    if (!s.ok) return { node, verdict: 'unknown', reasons: [s.reason] };
    return { node, verdict: s.report.verdict, reasons: s.report.reasons };
  });
}
