/**
 * Would the failover work? Pacemaker's scheduler (src/simulate) says where each resource
 * goes when a node fails; this judges each move against what driftd collected from the
 * target node. Pure.
 *
 * Per resource:
 * - stays where it is, or was not running: nothing to judge;
 * - still placed on the failed node after the transition: blocked (the node is not fenced,
 *   or the resource is unmanaged), so Pacemaker would not recover it: fails;
 * - running before and nowhere after ("nowhere to go"): fails; for a clone or bundle, an
 *   instance that stops on another node than the failed one, or the last promoted instance
 *   lost, fails likewise (the instance of the failed node simply goes with it);
 * - moved, started or promoted on a node: that node is judged. It fails when the agent is
 *   not installed there, when the providing package, Pacemaker or Corosync is at another
 *   version there than where the resource runs now (or than most nodes, for a resource that
 *   was not running), when DRBD's versions differ for a DRBD resource or a file system on
 *   /dev/drbd*, and when the node waits for a reboot. A node whose facets cannot tell is
 *   `unknown`, never claimed to fail.
 * The verdict is `unsafe` when any resource fails, else `unknown` when any cannot be
 * judged, else `safe`.
 */
import { agentListing, agentPresence } from '../agent-presence.js';
import { agentProvider, packageName } from '../engine/preconditions.js';
import type { NodeSnapshot } from '../snapshot.js';
import type { ClusterState, Placement, SimResource, SimulationOutcome } from './model.js';

export type ResourceOutcome = 'stays' | 'moves' | 'starts' | 'promotes' | 'stops' | 'shrinks' | 'blocked' | 'not-running';
export type Judgement = 'ok' | 'fails' | 'unknown';

/**
 * Why a move fails, as data: what the failover finding (findings.ts) groups by. One root
 * cause (resource-agents missing on erp-c) breaks every resource it would take there.
 */
export type ProblemCause =
  /** Running before, nowhere after: no surviving node may run it. */
  | 'nowhere'
  /** Left on the failed node: not fenced, or unmanaged. */
  | 'blocked'
  /** A clone instance on another node than the failed one stops too. */
  | 'instance-lost'
  /** No instance would be promoted any more. */
  | 'promotion-lost'
  /** Fewer promoted instances than before, but some. */
  | 'fewer-promoted'
  /** The target does not have the agent (or the package that ships it). */
  | 'agent-missing'
  /** The target runs another version of the package providing the agent. */
  | 'package-version'
  /** Pacemaker or Corosync is not installed on the target. */
  | 'stack-missing'
  /** Pacemaker or Corosync at another version on the target. */
  | 'stack-version'
  /** DRBD kernel module or utilities at another version on the target. */
  | 'drbd-version'
  /** The target waits for a reboot. */
  | 'reboot';

export interface FailoverProblem {
  cause: ProblemCause;
  /**
   * The node the problem is counted against: the target that cannot run the resource, or,
   * when there is no target (nowhere to go, blocked, instances lost), the failing node.
   */
  node: string;
  /** What ties resources to one root cause: the package, the agent when no package is known, the DRBD part; '' for none. */
  subject: string;
  /** The reason, as in `reasons`. */
  text: string;
}
export type SimulationVerdict = 'safe' | 'unsafe' | 'unknown';

export interface ResourceVerdict {
  /** `erp-ip`, or `<clone>/<primitive>` for the instances of a clone or bundle member. */
  resource: string;
  agent: string;
  group?: string;
  /** Where it runs now and after the failure: `node` or `node (Promoted)`. */
  now: string[];
  after: string[];
  outcome: ResourceOutcome;
  /** Nodes that would take it (start or promote it) and were judged. */
  targets: string[];
  judgement: Judgement;
  reasons: string[];
  /** The failing reasons as data (the `fails` part of `reasons`). */
  problems: FailoverProblem[];
}

export interface SimulationReport {
  cluster: string;
  /** The Pacemaker node simulated as failing. */
  failed: string;
  verdict: SimulationVerdict;
  /** One line per reason the verdict is not `safe`. */
  reasons: string[];
  resources: ResourceVerdict[];
  /** Fencing the scheduler would do (`Fence (reboot) erp-a`). */
  fencing: string[];
  /** Context worth knowing: where the CIB came from, the scheduler's version, unmapped nodes. */
  notes: string[];
  /** The driftd node of each Pacemaker node name that has one (they differ when the config names nodes by address). */
  nodeNames: Record<string, string>;
}

export interface JudgeInput {
  cluster: string;
  failed: string;
  outcome: SimulationOutcome;
  /** The driftd snapshot of each Pacemaker node name that has one (see mapNodes). */
  nodes: ReadonlyMap<string, NodeSnapshot>;
  notes?: string[];
}

const STACK_PACKAGES = ['pacemaker', 'corosync'];

function describe(p: Placement): string {
  return p.role === 'Started' ? p.node : `${p.node} (${p.role})`;
}

function promoted(placements: readonly Placement[]): string[] {
  return placements.filter((p) => p.role === 'Promoted').map((p) => p.node);
}

function nodesOf(placements: readonly Placement[]): string[] {
  return [...new Set(placements.map((p) => p.node))];
}

/** The installed version of the first package matching `isWanted`, null when none, undefined when unknown. */
function packageVersion(snapshot: NodeSnapshot, isWanted: (name: string) => boolean): { name: string; version: string } | null | undefined {
  const packages = snapshot.facets.packages;
  if (snapshot.error !== undefined || packages?.status !== 'ok') return undefined;
  for (const [key, item] of Object.entries(packages.items)) {
    if (isWanted(packageName(key))) return { name: key, version: item.value };
  }
  return null;
}

function mostCommon(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount) {
      best = v;
      bestCount = n;
    }
  }
  return bestCount * 2 > values.length ? best : undefined;
}

interface Reference {
  /** Where the comparison value comes from, for the message. */
  label: string;
  snapshots: NodeSnapshot[];
}

/** The value on the reference: the one node's, or the value most reference nodes share. */
function referenceValue(ref: Reference, read: (s: NodeSnapshot) => string | undefined): string | undefined {
  const values = ref.snapshots.map(read).filter((v): v is string => v !== undefined);
  if (values.length === 0) return undefined;
  return ref.snapshots.length === 1 ? values[0] : mostCommon(values);
}

function isDrbdBacked(resource: SimResource, snapshots: Iterable<NodeSnapshot>): boolean {
  if (resource.agent === 'ocf:linbit:drbd') return true;
  for (const s of snapshots) {
    const device = s.facets.pacemaker?.items[`resource.${resource.primitive}.param.device`]?.value;
    if (device?.startsWith('/dev/drbd')) return true;
  }
  return false;
}

/** Why `target` cannot take `resource` (fails), or cannot be judged (unknown). */
function judgeTarget(
  resource: SimResource,
  target: string,
  input: JudgeInput,
  ref: Reference,
  state: ClusterState,
): { fails: FailoverProblem[]; unknown: string[] } {
  const fails: FailoverProblem[] = [];
  const unknown: string[] = [];
  const fail = (cause: ProblemCause, subject: string, text: string): void => {
    fails.push({ cause, node: target, subject, text });
  };
  const snapshot = input.nodes.get(target);
  if (!snapshot) {
    const type = state.nodes.find((n) => n.name === target)?.type ?? 'member';
    if (type !== 'member') return { fails, unknown }; // a guest or remote node: its host is judged through the container resource
    unknown.push(`${target} is not a node driftd collects for this cluster`);
    return { fails, unknown };
  }
  if (snapshot.error !== undefined) {
    unknown.push(`${target} could not be read (${snapshot.error})`);
    return { fails, unknown };
  }
  const where = snapshot.node === target ? target : `${target} (${snapshot.node})`;
  // The agent itself.
  if (resource.agent !== '') {
    const listing = agentListing(snapshot.facets.pacemaker?.meta);
    const provider = agentProvider(resource.agent);
    const onNode = listing ? agentPresence(resource.agent, listing) : undefined;
    const installed = onNode !== undefined ? onNode : provider ? packageVersion(snapshot, provider.isProvidingPackage) : undefined;
    if (installed === null)
      fail(
        'agent-missing',
        provider ? provider.packagesText : resource.agent,
        `${resource.agent} is not installed on ${where}${provider ? ` (needs ${provider.packagesText})` : ''}`,
      );
    else if (installed === undefined && provider !== undefined)
      unknown.push(`cannot tell whether ${resource.agent} is installed on ${where} (no agent listing, no package list)`);
    // The providing package at the version it runs with now.
    if (provider) {
      const mine = packageVersion(snapshot, provider.isProvidingPackage);
      const theirs = referenceValue(ref, (s) => packageVersion(s, provider.isProvidingPackage)?.version);
      if (mine && theirs !== undefined && mine.version !== theirs) {
        fail('package-version', packageName(mine.name), `${mine.name} is ${mine.version} on ${where}, ${theirs} ${ref.label}`);
      }
    }
  }
  // The cluster stack.
  for (const name of STACK_PACKAGES) {
    const mine = packageVersion(snapshot, (n) => n === name);
    const theirs = referenceValue(ref, (s) => packageVersion(s, (n) => n === name)?.version);
    if (theirs === undefined) continue;
    if (mine === null) fail('stack-missing', name, `${name} is not installed on ${where}`);
    else if (mine && mine.version !== theirs) fail('stack-version', name, `${name} is ${mine.version} on ${where}, ${theirs} ${ref.label}`);
  }
  // DRBD, for what sits on it.
  if (isDrbdBacked(resource, input.nodes.values())) {
    const drbd = snapshot.facets.drbd;
    if (drbd?.status !== 'ok') unknown.push(`DRBD on ${where} was not collected (${drbd ? drbd.status : 'no drbd facet'})`);
    else
      for (const key of ['version.kernel', 'version.userland']) {
        const mine = drbd.items[key]?.value;
        const theirs = referenceValue(ref, (s) => (s.facets.drbd?.status === 'ok' ? s.facets.drbd.items[key]?.value : undefined));
        const part = key.slice('version.'.length);
        if (mine !== undefined && theirs !== undefined && mine !== theirs)
          fail('drbd-version', part, `DRBD ${part} is ${mine} on ${where}, ${theirs} ${ref.label}`);
      }
  }
  // A reboot waiting.
  const kernel = snapshot.facets.kernel;
  if (kernel?.status === 'ok' && kernel.items['reboot_required']?.value === 'true') {
    const newest = kernel.items['newest_installed']?.value;
    fail(
      'reboot',
      '',
      `${where} waits for a reboot${newest ? ` (runs ${kernel.items['release']?.value ?? '?'}, would boot ${newest})` : ''}`,
    );
  }
  return { fails, unknown };
}

function referenceFor(input: JudgeInput, before: readonly Placement[], targets: readonly string[]): Reference {
  // A node that takes an instance is judged, not a reference for itself.
  const sources = nodesOf(before)
    .filter((n) => !targets.includes(n))
    .map((n) => input.nodes.get(n))
    .filter((s): s is NodeSnapshot => s !== undefined && s.error === undefined);
  if (sources.length > 0) {
    const names = sources.map((s) => s.node);
    return { label: `where it runs now (${names.join(', ')})`, snapshots: sources };
  }
  const others = [...input.nodes.entries()].filter(([name, s]) => s.error === undefined && !targets.includes(name)).map(([, s]) => s);
  return { label: 'on most other nodes', snapshots: others };
}

function judgeResource(input: JudgeInput, before: SimResource | undefined, after: SimResource | undefined): ResourceVerdict {
  const any = (after ?? before) as SimResource;
  const b = before?.placements ?? [];
  const a = after?.placements ?? [];
  const failed = input.failed;
  const problems: FailoverProblem[] = [];
  const unknown: string[] = [];
  const lose = (cause: ProblemCause, text: string): void => {
    problems.push({ cause, node: failed, subject: '', text });
  };
  const bNodes = nodesOf(b);
  const aNodes = nodesOf(a);
  const targets = new Set(aNodes.filter((n) => !bNodes.includes(n)));
  const bPromoted = promoted(b);
  const aPromoted = promoted(a);
  for (const n of aPromoted) if (!bPromoted.includes(n)) targets.add(n);
  let outcome: ResourceOutcome;
  if (aNodes.includes(failed) && bNodes.includes(failed)) {
    outcome = 'blocked';
    lose(
      'blocked',
      after?.managed === false
        ? `unmanaged: Pacemaker would leave it on ${failed} and not recover it`
        : `would stay on ${failed}, which is down: Pacemaker cannot recover it (is ${failed} fenced?)`,
    );
  } else if (any.collection === undefined) {
    if (bNodes.length > 0 && aNodes.length === 0) {
      outcome = 'stops';
      lose('nowhere', `would stop: no node can take it (nowhere to go)`);
    } else if (bNodes.length === 0 && aNodes.length === 0) outcome = 'not-running';
    else if (bNodes.length === 0) outcome = 'starts';
    else if (targets.size > 0) outcome = bNodes.some((n) => aNodes.includes(n)) ? 'promotes' : 'moves';
    else outcome = 'stays';
  } else {
    const lostElsewhere = bNodes.filter((n) => n !== failed && !aNodes.includes(n));
    for (const n of lostElsewhere) lose('instance-lost', `its instance on ${n} would stop too`);
    if (bPromoted.length > 0 && aPromoted.length < bPromoted.length) {
      lose(
        aPromoted.length === 0 ? 'promotion-lost' : 'fewer-promoted',
        aPromoted.length === 0
          ? `no instance would be promoted (was on ${bPromoted.join(', ')})`
          : `${bPromoted.length - aPromoted.length} fewer promoted instance(s) (was on ${bPromoted.join(', ')}, would be on ${aPromoted.join(', ')})`,
      );
    }
    if (bNodes.length > 0 && aNodes.length === 0 && lostElsewhere.length === 0) lose('nowhere', 'would stop on every node (nowhere to go)');
    if (targets.size > 0)
      outcome = [...targets].some((n) => bNodes.includes(n)) && [...targets].every((n) => bNodes.includes(n)) ? 'promotes' : 'moves';
    else if (bNodes.length === 0 && aNodes.length === 0) outcome = 'not-running';
    else if (aNodes.length === 0 || lostElsewhere.length > 0) outcome = 'stops';
    else if (bNodes.includes(failed)) outcome = 'shrinks';
    else outcome = 'stays';
  }
  const judged = [...targets].filter((n) => n !== failed);
  if (judged.length > 0) {
    const ref = referenceFor(input, b, judged);
    for (const target of judged) {
      const result = judgeTarget(any, target, input, ref, input.outcome.after);
      problems.push(...result.fails);
      unknown.push(...result.unknown);
    }
  }
  const judgement: Judgement = problems.length > 0 ? 'fails' : unknown.length > 0 ? 'unknown' : 'ok';
  return {
    resource: any.key,
    agent: any.agent,
    ...(any.group !== undefined ? { group: any.group } : {}),
    now: b.map(describe),
    after: a.map(describe),
    outcome,
    targets: judged,
    judgement,
    reasons: [...problems.map((p) => p.text), ...unknown],
    problems,
  };
}

/** Judges one simulated failure: per resource, then the whole. */
export function judgeSimulation(input: JudgeInput): SimulationReport {
  const before = new Map(input.outcome.before.resources.map((r) => [r.key, r]));
  const after = new Map(input.outcome.after.resources.map((r) => [r.key, r]));
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  const resources = keys.map((key) => judgeResource(input, before.get(key), after.get(key)));
  const reasons: string[] = [];
  for (const r of resources) for (const reason of r.reasons) reasons.push(`${r.resource}: ${reason}`);
  const verdict: SimulationVerdict = resources.some((r) => r.judgement === 'fails')
    ? 'unsafe'
    : resources.some((r) => r.judgement === 'unknown')
      ? 'unknown'
      : 'safe';
  return {
    cluster: input.cluster,
    failed: input.failed,
    verdict,
    reasons,
    resources,
    fencing: input.outcome.fencing.map((f) => `${f.task} ${f.node}`),
    notes: input.notes ?? [],
    nodeNames: Object.fromEntries([...input.nodes].map(([name, snapshot]) => [name, snapshot.node])),
  };
}
