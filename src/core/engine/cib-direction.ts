/**
 * Which node's CIB is right is not a majority vote. Pacemaker keeps one CIB per cluster:
 * when a node joins, the cluster "asks the node with the highest (admin_epoch, epoch,
 * num_updates) tuple to replace the configuration on all the nodes" (Pacemaker Explained,
 * "Cluster-Wide Configuration", admin_epoch; controld_join_dc.c keeps the join offer with
 * the highest generation and syncs from it). So when nodes hold different CIBs:
 *
 * - the nodes with an older CIB are out of the cluster (a node in the partition has the
 *   cluster's copy); they take the newest when they join: editing them is pointless, and
 *   the finding says so;
 * - a node that holds a NEWER CIB than the running cluster (its copy on disk, edited while
 *   it was out) is the dangerous one: when it joins, its configuration replaces the
 *   cluster's. It is the node to fix, however many nodes agree with each other.
 *
 * The CIB version comes from the pacemaker facet's meta (CIB_VERSION_META_KEY, runtime
 * meta: never compared, never logged as a change), the source from `meta.source`
 * (`cibadmin` for the live CIB, else the file read). Items that are not the CIB's (SBD's
 * `sbd.*` settings, read from each node's files) keep the peer diff's direction.
 */
import type { Finding } from '../findings.js';
import { CIB_VERSION_META_KEY } from '../simulate/cib-meta.js';
import type { NodeSnapshot } from '../snapshot.js';
import { itemLabel, showValue, withoutDiff } from './peer-diff.js';

type Version = readonly [number, number, number];

/** `admin_epoch.epoch.num_updates` as the collector records it; undefined when absent or malformed. */
export function parseCibVersion(text: string | undefined): Version | undefined {
  const m = /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/.exec(text ?? '');
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

const show = (v: Version): string => v.join('.');
const list = (nodes: readonly string[]): string => nodes.join(', ');
const verb = (nodes: readonly string[], one: string, many: string): string => (nodes.length === 1 ? one : many);

interface NodeCib {
  version: Version;
  live: boolean;
  source: string;
}

/** The drift findings on CIB items, directed by CIB version as Pacemaker resolves them. */
export function directByCibVersion(findings: readonly Finding[], snapshots: readonly NodeSnapshot[]): Finding[] {
  const cibs = new Map<string, NodeCib>();
  for (const s of snapshots) {
    const meta = s.facets.pacemaker?.meta;
    const version = parseCibVersion(meta?.[CIB_VERSION_META_KEY]);
    if (version) cibs.set(s.node, { version, live: meta?.['source'] === 'cibadmin', source: meta?.['source'] ?? 'unknown source' });
  }
  if (cibs.size < 2) return [...findings];
  return findings.map((f) => redirect(f, cibs) ?? f);
}

function redirect(f: Finding, cibs: ReadonlyMap<string, NodeCib>): Finding | undefined {
  if (f.facet !== 'pacemaker' || (f.kind !== 'mismatch' && f.kind !== 'missing') || f.key.startsWith('sbd.')) return undefined;
  const nodes = Object.keys(f.values);
  const known = nodes.map((n) => cibs.get(n));
  if (known.some((c) => c === undefined)) return undefined;
  const of = (n: string): NodeCib => cibs.get(n) as NodeCib;
  const newest = nodes.map((n) => of(n).version).reduce((a, b) => (compare(a, b) >= 0 ? a : b));
  const winners = nodes.filter((n) => compare(of(n).version, newest) === 0);
  // Equal versions with different content: the copies diverged in separate partitions;
  // nothing says which one Pacemaker keeps, so the peer diff stands.
  if (winners.length === nodes.length) return undefined;
  const kept = new Set(winners.map((n) => f.values[n] ?? null));
  if (kept.size !== 1) return undefined;
  const target = f.values[winners[0] as string] ?? null;
  const older = nodes.filter((n) => !winners.includes(n));
  const differing = nodes.filter((n) => (f.values[n] ?? null) !== target);
  const label = itemLabel(f.facet, f.key);
  const versions = (group: readonly string[]): string => group.map((n) => `${n} ${show(of(n).version)} from ${of(n).source}`).join(', ');

  const liveOlder = older.filter((n) => of(n).live);
  if (!winners.some((n) => of(n).live) && liveOlder.length > 0) {
    // The newest copy is not the running cluster's: when its node joins, it wins.
    const running = [...new Set(liveOlder.map((n) => f.values[n] ?? null))];
    const now = running.length === 1 ? showValue(running[0]) : running.map(showValue).join(' / ');
    const message =
      `${label}: ${list(winners)} ${verb(winners, 'holds', 'hold')} a CIB newer (${show(newest)}, from ${of(winners[0] as string).source}) than the running cluster's (${versions(liveOlder)}), with ${showValue(target)} where the cluster has ${now}: ` +
      `when ${list(winners)} ${verb(winners, 'joins', 'join')}, Pacemaker replaces every node's CIB with the newest, so ${label} becomes ${showValue(target)} cluster-wide: fix ${list(winners)}`;
    return {
      ...withoutDiff(f),
      severity: 'critical',
      outliers: winners,
      majority: running.length === 1 ? (running[0] ?? null) : null,
      message,
      remediation: `Before starting the cluster stack on ${list(winners)}, move its CIB copy away (/var/lib/pacemaker/cib/cib*; keep it for reference) so it takes the running cluster's CIB when it joins; or, if its configuration is the one you want, apply the change on the running cluster with crm/pcs.`,
    };
  }

  if (differing.length === 0) return undefined;
  const stale = differing.filter((n) => older.includes(n));
  if (stale.length !== differing.length) return undefined;
  const who = stale.map((n) => `${n} has ${showValue(f.values[n])}`).join(', ');
  const them = verb(stale, 'it', 'them');
  const partitions = stale.some((n) => of(n).live) && winners.some((n) => of(n).live);
  const message = partitions
    ? `${label}: ${who} in an older CIB (${versions(stale)}) although ${verb(stale, 'it answers', 'they answer')} cibadmin: not in the same partition as ${list(winners)} (newest CIB ${show(newest)}, with ${showValue(target)}); Pacemaker keeps the newest when the partitions merge: check the membership`
    : `${label}: ${who} in an older CIB (${versions(stale)}): out of the cluster; the newest CIB (${show(newest)} on ${list(winners)}) has ${showValue(target)}, and Pacemaker gives it to ${list(stale)} on joining: bring ${them} into the cluster rather than editing ${them}`;
  const remediation = partitions
    ? `Find why ${list(stale)} and ${list(winners)} are in separate partitions (\`crm_mon -1\`, \`corosync-cfgtool -s\`, the ring network between them); when the partitions merge, the newest CIB is kept on every node.`
    : `Start the cluster stack on ${list(stale)} and let ${them} join: ${verb(stale, 'it takes', 'they take')} the cluster's CIB. Do not edit ${verb(stale, 'its', 'their')} CIB by hand.`;
  return {
    ...f,
    outliers: stale,
    majority: target,
    message,
    remediation,
  };
}
