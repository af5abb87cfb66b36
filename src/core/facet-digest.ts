/**
 * A facet's content identity as the edge knows it: two facets parsed by the same collector
 * from byte-identical command outputs (same commands, same context) are the same facet,
 * so the engine need not compare their items one by one. In a cluster of near-copies most
 * nodes answer exactly alike, and this lets the engine survey each distinct answer once.
 *
 * Kept beside the facet, not in it: a digest is not content (never hashed, stored or
 * printed), and a facet that is copied, built by hand or read back from the store simply
 * has none and is compared item by item. Pure: nothing here computes a digest; the
 * collection does (src/collect/collect-node.ts), from the raw outputs it already holds,
 * on complete (`ok`) facets only.
 *
 * Contract: equal digests imply equal status, error, meta and items (value, content,
 * nodeSpecific, unique) of the facets they are set on.
 */
import type { FacetSnapshot } from './snapshot.js';

const digests = new WeakMap<FacetSnapshot, string>();

export function setFacetDigest(facet: FacetSnapshot, digest: string): void {
  digests.set(facet, digest);
}

export function facetDigest(facet: FacetSnapshot): string | undefined {
  return digests.get(facet);
}
