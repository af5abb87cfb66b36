/**
 * Which collected CIB to simulate on, and which driftd node each Pacemaker node is.
 *
 * Every node of a healthy cluster holds the same CIB; the freshest one wins (highest
 * admin_epoch, epoch, num_updates, as Pacemaker orders CIB versions), a live one
 * (`cibadmin`) before one read from disk. Only a CIB with a status section can be simulated
 * (src/collectors/pacemaker-cib-state.ts keeps no other).
 */
import type { NodeSnapshot } from '../snapshot.js';
import { CIB_META_KEY } from './cib-meta.js';

export interface PickedCib {
  /** The driftd node the CIB was collected from. */
  node: string;
  /** Where that node read it (`cibadmin`, or a file). */
  source: string;
  xml: string;
  version: [number, number, number];
}

export type CibPick = { ok: true; cib: PickedCib } | { ok: false; reason: string };

function cibVersion(xml: string): [number, number, number] {
  const tag = /^\s*<cib\b[^>]*>/.exec(xml)?.[0] ?? '';
  const read = (name: string): number => {
    const m = new RegExp(`\\s${name}="(\\d{1,15})"`).exec(tag);
    return m ? Number(m[1]) : 0;
  };
  return [read('admin_epoch'), read('epoch'), read('num_updates')];
}

function newer(a: PickedCib, b: PickedCib): boolean {
  const live = (c: PickedCib): number => (c.source === 'cibadmin' ? 1 : 0);
  if (live(a) !== live(b)) return live(a) > live(b);
  for (let i = 0; i < 3; i++) if (a.version[i] !== b.version[i]) return (a.version[i] ?? 0) > (b.version[i] ?? 0);
  return false;
}

/** The freshest CIB with status among the snapshots, or why there is none. */
export function pickCib(snapshots: readonly NodeSnapshot[]): CibPick {
  let best: PickedCib | undefined;
  const why: string[] = [];
  for (const snapshot of snapshots) {
    if (snapshot.error !== undefined) {
      why.push(`${snapshot.node}: not reachable (${snapshot.error})`);
      continue;
    }
    const facet = snapshot.facets.pacemaker;
    if (!facet) {
      why.push(`${snapshot.node}: the pacemaker facet was not collected`);
      continue;
    }
    if (facet.status !== 'ok') {
      why.push(`${snapshot.node}: pacemaker facet ${facet.status}${facet.error ? ` (${facet.error})` : ''}`);
      continue;
    }
    const xml = facet.meta?.[CIB_META_KEY];
    if (xml === undefined) {
      why.push(
        `${snapshot.node}: its CIB (${facet.meta?.source ?? 'unknown source'}) has no status section, so it does not say where resources run`,
      );
      continue;
    }
    const candidate: PickedCib = { node: snapshot.node, source: facet.meta?.source ?? 'unknown', xml, version: cibVersion(xml) };
    if (!best || newer(candidate, best)) best = candidate;
  }
  if (best) return { ok: true, cib: best };
  return { ok: false, reason: why.length > 0 ? `no CIB with a status section was collected: ${why.join('; ')}` : 'no node was collected' };
}

/** The hostname items of the os facet that may name a node as Pacemaker does. */
function hostnamesOf(snapshot: NodeSnapshot): string[] {
  const items = snapshot.facets.os?.items ?? {};
  const names = new Set<string>();
  for (const key of ['hostname', 'fqdn']) {
    const value = items[key]?.value;
    if (value) {
      names.add(value);
      names.add(value.split('.')[0] ?? value);
    }
  }
  return [...names];
}

/**
 * The driftd node for each Pacemaker node name: the node of that name in the config, else
 * the one whose collected hostname (or its short form) is that name. Names no snapshot
 * matches are left out.
 */
export function mapNodes(pacemakerNames: readonly string[], snapshots: readonly NodeSnapshot[]): Map<string, NodeSnapshot> {
  const out = new Map<string, NodeSnapshot>();
  for (const name of pacemakerNames) {
    const byConfig = snapshots.find((s) => s.node === name);
    const byHost = byConfig ?? snapshots.find((s) => hostnamesOf(s).includes(name)) ?? snapshots.find((s) => s.node.split('.')[0] === name);
    if (byHost) out.set(name, byHost);
  }
  return out;
}

/**
 * The node names (`uname`) of the CIB's configuration, as crm_simulate knows them: it stops
 * on a failed assertion when asked to fail a node it does not have, so the name is checked
 * first. `xml` is the CIB as the collector keeps it (one element per tag, attributes quoted).
 */
export function cibNodeNames(xml: string): string[] {
  const names: string[] = [];
  for (const m of xml.matchAll(/<node\s[^>]*>/g)) {
    const uname = /\suname="([^"]*)"/.exec(m[0])?.[1] ?? /\sid="([^"]*)"/.exec(m[0])?.[1];
    if (uname !== undefined)
      names.push(
        uname
          .replace(/&quot;/g, '"')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
      );
  }
  return [...new Set(names)];
}
