/**
 * The change log between two snapshots of the same node: which items were added,
 * removed or changed. Pure; the store records the result per node at save time so
 * "what changed on erp-b since Tuesday 22:00" is one indexed query.
 *
 * Items are only compared between two `ok` facets: an errored or truncated facet has
 * partial or no items, and reading that as "everything removed" would flood the log
 * with changes that never happened on the node. Such transitions are logged once as a
 * facet status change (key `@status`).
 */
import { appendAll } from './append.js';
import { isRuntimeMeta } from './simulate/cib-meta.js';
import { canonicalJson, FACET_NAMES, type FacetName, type FacetSnapshot, type Item, type NodeSnapshot } from './snapshot.js';

export const CHANGE_KINDS = ['added', 'removed', 'changed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Key of the facet-level status transition, never a real item key (those have no `@`). */
export const STATUS_KEY = '@status';
/** Prefix of facet-wide meta keys (e.g. `@meta:format`). */
export const META_KEY_PREFIX = '@meta:';
/** Key of the node-level reachability change (facet `node`): the node's error text. */
export const NODE_ERROR_KEY = 'error';

export interface Change {
  facet: FacetName | 'node';
  key: string;
  change: ChangeKind;
  /** The item's value (or status / meta / error text) before; null when absent. */
  before: string | null;
  after: string | null;
}

export interface DiffOptions {
  /**
   * The last `ok` version of each facet, for facets that were not `ok` in `prev`
   * (errored, truncated, absent, or the node was unreachable). Items of a facet that
   * comes back `ok` are compared against it, so a change made while the node was
   * unreachable still shows up once it is reachable again.
   */
  lastOk?: Partial<Record<FacetName, FacetSnapshot>>;
}

/**
 * Changes from `prev` to `next`, facets in FACET_NAMES order, keys sorted. `prev` null
 * means the node is seen for the first time: nothing is logged (a full package list as
 * "added" says nothing about drift).
 */
export function diffSnapshots(prev: NodeSnapshot | null, next: NodeSnapshot, options: DiffOptions = {}): Change[] {
  if (prev === null) return [];
  const changes: Change[] = [];
  const errorChange = diffValue('node', NODE_ERROR_KEY, prev.error ?? null, next.error ?? null);
  if (errorChange) changes.push(errorChange);
  // An unreachable node has no facets: absence here is not observation of absence.
  if (next.error !== undefined) return changes;

  for (const facet of FACET_NAMES) {
    const before = prev.error === undefined ? prev.facets[facet] : undefined;
    const after = next.facets[facet];
    if (!before && !after) continue;
    const statusChange = diffValue(facet, STATUS_KEY, before?.status ?? null, after?.status ?? null);
    // Status "disappearing" because the node was unreachable before is not news.
    if (statusChange && !(prev.error !== undefined && statusChange.change === 'added')) {
      changes.push(statusChange);
    }
    if (after?.status !== 'ok') continue;
    const baseline = before?.status === 'ok' ? before : options.lastOk?.[facet];
    if (baseline?.status !== 'ok') continue;
    appendAll(changes, diffFacetContent(facet, baseline, after));
  }
  return changes;
}

/** Item and meta changes between two versions of one facet; both assumed `ok`. */
export function diffFacetContent(facet: FacetName, before: FacetSnapshot, after: FacetSnapshot): Change[] {
  const changes: Change[] = [];
  for (const key of unionKeys(before.meta ?? {}, after.meta ?? {})) {
    // Runtime state kept for simulation (the CIB's status) moves with every resource action: no change to log.
    if (isRuntimeMeta(facet, key)) continue;
    const change = diffValue(facet, `${META_KEY_PREFIX}${key}`, before.meta?.[key] ?? null, after.meta?.[key] ?? null);
    if (change) changes.push(change);
  }
  for (const key of unionKeys(before.items, after.items)) {
    const change = diffItem(facet, key, before.items[key], after.items[key]);
    if (change) changes.push(change);
  }
  return changes;
}

function diffItem(facet: FacetName, key: string, before: Item | undefined, after: Item | undefined): Change | null {
  if (!before && !after) return null;
  if (!before) return { facet, key, change: 'added', before: null, after: after?.value ?? null };
  if (!after) return { facet, key, change: 'removed', before: before.value, after: null };
  // Content or node-specific notes can change under an equal value (a file's text
  // behind the same summary): still a change on the node.
  if (canonicalJson(before) === canonicalJson(after)) return null;
  return { facet, key, change: 'changed', before: before.value, after: after.value };
}

function diffValue(facet: FacetName | 'node', key: string, before: string | null, after: string | null): Change | null {
  if (before === after) return null;
  if (before === null) return { facet, key, change: 'added', before, after };
  if (after === null) return { facet, key, change: 'removed', before, after };
  return { facet, key, change: 'changed', before, after };
}

function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}
