/**
 * Hand-made snapshots for engine tests: not captured from any system. Each test builds
 * exactly the difference it is about, so a failure points at one behaviour.
 */
import { ScoringConfig } from '../../../src/config/schema.js';
import type { FacetName, FacetSnapshot, FacetStatus, Item, NodeSnapshot } from '../../../src/core/snapshot.js';

export const NOW = new Date('2026-11-26T08:00:00Z');
export const FRESH = '2026-11-26T07:55:00Z';
export const SCORING = ScoringConfig.parse({});

export type ItemSpec = string | Item;

export function facet(items: Record<string, ItemSpec>, extra: Partial<FacetSnapshot> = {}): FacetSnapshot {
  const out: Record<string, Item> = {};
  for (const [k, v] of Object.entries(items)) out[k] = typeof v === 'string' ? { value: v } : v;
  return { status: 'ok', items: out, ...extra };
}

export function statusFacet(status: FacetStatus, error?: string): FacetSnapshot {
  return error === undefined ? { status, items: {} } : { status, items: {}, error };
}

export function snap(
  node: string,
  facets: Partial<Record<FacetName, FacetSnapshot | Record<string, ItemSpec>>>,
  takenAt = FRESH,
): NodeSnapshot {
  const out: Partial<Record<FacetName, FacetSnapshot>> = {};
  for (const [name, f] of Object.entries(facets) as [FacetName, FacetSnapshot | Record<string, ItemSpec>][]) {
    out[name] = isFacet(f) ? f : facet(f);
  }
  return { cluster: 'erp', node, takenAt, facets: out };
}

function isFacet(value: FacetSnapshot | Record<string, ItemSpec>): value is FacetSnapshot {
  return typeof (value as FacetSnapshot).status === 'string' && typeof (value as FacetSnapshot).items === 'object';
}

export function unreachable(node: string, error = 'connect ECONNREFUSED 127.0.0.2:22'): NodeSnapshot {
  return { cluster: 'erp', node, takenAt: FRESH, error, facets: {} };
}

export function debPackages(items: Record<string, string>): FacetSnapshot {
  return facet(items, { meta: { format: 'deb' } });
}
