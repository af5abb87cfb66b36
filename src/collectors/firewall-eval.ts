/**
 * Is a port open to a cluster peer? A small, conservative walk of a firewall's input
 * hook for one question: a NEW IPv4 connection to <port>/<protocol>, arriving on a
 * network interface (not lo) from a peer address we do not know.
 *
 * Each rule is first reduced (by the nft or iptables reader in security.ts) to whether
 * it applies to that packet (`yes`, `no`, or `maybe` when it depends on the source
 * address, the interface or a match not modelled) and its verdict. Base chains on the
 * input hook are walked in priority order; a packet must be accepted by every one.
 *
 * Answer: `open` (accepted whatever the source), `closed` (dropped or rejected whatever
 * the source), `restricted` (depends on the source address, interface or a match not
 * modelled: typically "only from the cluster's peers"). No input chain at all is `open`.
 * Not modelled: prerouting/raw drops, ingress (netdev) hooks, IPv6-only tables.
 */

export type Applies = 'yes' | 'no' | 'maybe';

export interface EvalRule {
  applies: Applies;
  verdict: 'accept' | 'drop' | 'return' | 'jump' | 'goto' | 'none';
  /** Chain id for jump/goto, in the same id space as the chains map. */
  target?: string;
}

export interface EvalChain {
  rules: EvalRule[];
  /** Set on base chains only. */
  hook?: string;
  family?: string;
  priority?: number;
  policy?: 'accept' | 'drop';
}

export interface PortQuery {
  port: number;
  protocol: 'tcp' | 'udp';
  name: string;
}

/** corosync (knet/udpu), pcsd, pacemaker remote. */
export const CLUSTER_PORTS: readonly PortQuery[] = [
  { port: 5405, protocol: 'udp', name: 'corosync' },
  { port: 2224, protocol: 'tcp', name: 'pcsd' },
  { port: 3121, protocol: 'tcp', name: 'pacemaker-remote' },
];

export type PortState = 'open' | 'closed' | 'restricted';

interface Walk {
  verdict: 'accept' | 'drop' | 'fallthrough';
  someAccepted: boolean;
  someDropped: boolean;
}

const MAX_DEPTH = 16;

/**
 * A chain's walk for the one packet of the question does not depend on who jumped to it,
 * so each jump target is walked once (memo): a chain jumped to from n rules costs n, not n².
 */
function walkChain(
  chains: ReadonlyMap<string, EvalChain>,
  id: string,
  depth: number,
  flags: Omit<Walk, 'verdict'>,
  memo: Map<string, Walk>,
): Walk {
  const chain = chains.get(id);
  if (!chain || depth > MAX_DEPTH) return { verdict: 'fallthrough', ...flags, someAccepted: true, someDropped: true };
  let { someAccepted, someDropped } = flags;
  rules: for (const rule of chain.rules) {
    if (rule.applies === 'no' || rule.verdict === 'none') continue;
    let verdict: 'accept' | 'drop' | 'return' | 'fallthrough' | 'partial';
    if (rule.verdict === 'jump' || rule.verdict === 'goto') {
      const target = rule.target ?? '';
      let sub = memo.get(target);
      if (!sub) {
        sub = walkChain(chains, target, depth + 1, { someAccepted: false, someDropped: false }, memo);
        memo.set(target, sub);
      }
      if (sub.verdict === 'fallthrough') {
        if (sub.someAccepted || sub.someDropped) {
          someAccepted ||= sub.someAccepted;
          someDropped ||= sub.someDropped;
        }
        if (rule.verdict === 'goto' && rule.applies === 'yes') verdict = 'return';
        else continue;
      } else if (sub.someAccepted && sub.someDropped) verdict = 'partial';
      else verdict = sub.verdict;
    } else verdict = rule.verdict;
    if (verdict === 'partial') {
      someAccepted = true;
      someDropped = true;
      continue;
    }
    if (rule.applies === 'maybe') {
      if (verdict === 'accept') someAccepted = true;
      else if (verdict === 'drop') someDropped = true;
      continue;
    }
    if (verdict === 'accept') return { verdict: 'accept', someAccepted, someDropped };
    if (verdict === 'drop') return { verdict: 'drop', someAccepted, someDropped };
    if (verdict === 'return') break rules;
  }
  if (chain.hook !== undefined) return { verdict: chain.policy === 'drop' ? 'drop' : 'accept', someAccepted, someDropped };
  return { verdict: 'fallthrough', someAccepted, someDropped };
}

/** The port's state over every base chain on the input hook of the given families. */
export function evaluatePort(chains: ReadonlyMap<string, EvalChain>, families: readonly string[]): PortState {
  const bases = [...chains.entries()]
    .filter(([, c]) => c.hook === 'input' && c.family !== undefined && families.includes(c.family))
    .sort(([, a], [, b]) => (a.priority ?? 0) - (b.priority ?? 0));
  let restricted = false;
  const memo = new Map<string, Walk>();
  for (const [id] of bases) {
    const walk = walkChain(chains, id, 0, { someAccepted: false, someDropped: false }, memo);
    if (walk.verdict === 'drop') {
      if (!walk.someAccepted) return 'closed';
      restricted = true;
    } else if (walk.someDropped) restricted = true;
  }
  return restricted ? 'restricted' : 'open';
}
