/**
 * The snapshot model: what one node looked like at one moment, facet by facet.
 *
 * Pure data. Everything downstream (diff, rules, score, store, metrics) reads this
 * shape and nothing else, so it stays small and generic: items are keyed strings,
 * compared by value, hashed through one canonical JSON form.
 */
import { createHash } from 'node:crypto';

export const FACET_NAMES = [
  'os',
  'kernel',
  'packages',
  'modules',
  'sysctl',
  'services',
  'files',
  'corosync',
  'pacemaker',
  'drbd',
  'users',
  'mounts',
  'time',
  'security',
  'identity',
  'network',
  'drivers',
  'multipath',
] as const;
export type FacetName = (typeof FACET_NAMES)[number];

export function isFacetName(value: string): value is FacetName {
  return (FACET_NAMES as readonly string[]).includes(value);
}

/**
 * ok: collected and parsed. unsupported: the node has no such thing (no rpm, no
 * /proc/modules, no corosync): not a failure. error: the command or the parser failed.
 * truncated: output hit the per-command cap; the items are partial and must not be
 * read as "absent".
 */
export type FacetStatus = 'ok' | 'unsupported' | 'error' | 'truncated';

export interface Item {
  /** The comparable value. Rules may normalise it before comparison. */
  value: string;
  /**
   * Legitimately different on every node (hostname, a node's own ring address, DRBD
   * `on <host>` sections). Never compared as drift; the collector says why.
   */
  nodeSpecific?: string;
  /**
   * An identity that must differ between nodes (machine-id, an SSH host key, a MAC
   * address): the identity's class, values compared across every key of the class. Equal
   * values on two nodes are a critical `identity` finding naming both; differing values
   * are never drift. See src/core/engine/identities.ts.
   */
  unique?: string;
  /** Text kept for unified diffs (file content, a CIB fragment). Not compared itself. */
  content?: string;
  /** Where a configured value is set (`/etc/sysctl.d/90-x.conf:3`): shown, not compared. */
  source?: string;
}

export interface FacetSnapshot {
  status: FacetStatus;
  items: Record<string, Item>;
  /** Why the facet is unsupported, errored or truncated: the command, file or line. */
  error?: string;
  /** Facet-wide facts, e.g. packages `format: deb|rpm` for version ordering. */
  meta?: Record<string, string>;
  /** Wall time spent on this facet's commands; not part of the content hash. */
  durationMs?: number;
}

export interface NodeSnapshot {
  cluster: string;
  node: string;
  /** ISO 8601, UTC. Passed in by the edge that owns the clock. */
  takenAt: string;
  /** Set when the node could not be reached at all; facets is then empty. */
  error?: string;
  facets: Partial<Record<FacetName, FacetSnapshot>>;
}

/** JSON with sorted object keys and no whitespace: the one form we hash and store. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    if (value === undefined) return 'null';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The part of a facet that is content: what we hash, store once and compare. */
export function facetContent(facet: FacetSnapshot): Omit<FacetSnapshot, 'durationMs'> {
  const { durationMs: _ignored, ...content } = facet;
  return content;
}

export function facetHash(facet: FacetSnapshot): string {
  return sha256Hex(canonicalJson(facetContent(facet)));
}

export function facetHashes(snapshot: NodeSnapshot): Partial<Record<FacetName, string>> {
  const out: Partial<Record<FacetName, string>> = {};
  for (const name of FACET_NAMES) {
    const facet = snapshot.facets[name];
    if (facet) out[name] = facetHash(facet);
  }
  return out;
}

/** Hash of the whole snapshot's content (node, cluster, error and facet hashes; not the time). */
export function snapshotContentHash(snapshot: NodeSnapshot): string {
  return sha256Hex(
    canonicalJson({
      cluster: snapshot.cluster,
      node: snapshot.node,
      error: snapshot.error ?? null,
      facets: facetHashes(snapshot),
    }),
  );
}

export function isReachable(snapshot: NodeSnapshot): boolean {
  return snapshot.error === undefined;
}
