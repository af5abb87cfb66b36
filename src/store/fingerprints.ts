/**
 * An in-process shortcut for "is this node's content the same as last run": the
 * sha256 of its facets as JSON.stringify writes them (native, insertion order, no
 * sorting, about half the cost of the canonical text), remembered with the content
 * hash the canonical path computed for that same text. Equal fingerprints mean equal
 * data, hence the same content hash, so an unchanged node skips the canonical
 * serialisation. A collector that emits keys in another order only misses the memo.
 *
 * Kept in memory on purpose, never in the file: a value in the database that decides
 * whether new content is recorded could be edited to hide a change. The memo is
 * empty after a restart; the first run of a process takes the canonical path.
 */
import { FACET_NAMES, facetContent, sha256Hex, type NodeSnapshot } from '../core/snapshot.js';
import type { Db } from './types.js';

interface Memo {
  fingerprint: string;
  contentHash: string;
}

const memos = new WeakMap<Db, Map<number, Memo>>();

/** Facet data only (no durations); snapshots are plain data (strings, records). */
export function snapshotFingerprint(snapshot: NodeSnapshot): string {
  const facets = FACET_NAMES.map((name) => {
    const facet = snapshot.facets[name];
    return facet ? facetContent(facet) : null;
  });
  return sha256Hex(JSON.stringify([snapshot.error ?? null, facets]));
}

/** The content hash remembered for this node and fingerprint, if any. */
export function rememberedContentHash(db: Db, nodeId: number, fingerprint: string): string | undefined {
  const memo = memos.get(db)?.get(nodeId);
  return memo?.fingerprint === fingerprint ? memo.contentHash : undefined;
}

export function remember(db: Db, nodeId: number, fingerprint: string, contentHash: string): void {
  let byNode = memos.get(db);
  if (!byNode) {
    byNode = new Map();
    memos.set(db, byNode);
  }
  byNode.set(nodeId, { fingerprint, contentHash });
}
