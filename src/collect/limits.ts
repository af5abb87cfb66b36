/**
 * Fixed memory caps on what one node may put in a snapshot, whatever it prints (issue #22:
 * a 20 MB os-release value was kept as an item; 26 hostile nodes drove the daemon to 2 GB).
 * Documented in README "Facets". Over a cap, the item (or the rest of the facet) is not
 * kept and its facet is marked `truncated` (by output.ts markTruncated, the one place a
 * facet becomes truncated) with a message naming the cap; a truncated
 * facet makes the node not ready (score.ts), so nothing partial passes as parity.
 *
 * The raw output is bounded before parsing by the per-command caps: `ssh.maxOutputBytes`
 * (config), or the fixed cap a collector sets on its command (`maxBytes` in
 * src/collectors/<facet>.ts).
 */
import { markTruncated } from '../collectors/output.js';
import type { FacetSnapshot, Item, NodeSnapshot } from '../core/snapshot.js';

/** An item's key, in UTF-16 code units (a path is at most 4096 bytes on Linux). */
export const MAX_ITEM_KEY_CHARS = 4096;
/** An item's value (the compared string). */
export const MAX_ITEM_VALUE_CHARS = 64 * 1024;
/** Items per node, over all facets (a large node has ~10k; 5000 packages is typical). */
export const MAX_ITEMS_PER_NODE = 50_000;
/** Characters of keys, values and kept content per node, over all facets. */
export const MAX_ITEM_CHARS_PER_NODE = 64 * 1024 * 1024;

const WHERE = 'fixed in driftd: src/collect/limits.ts, see README "Facets"';

function itemChars(key: string, item: Item): number {
  let n = key.length + item.value.length;
  if (item.content !== undefined) n += item.content.length;
  if (item.nodeSpecific !== undefined) n += item.nodeSpecific.length;
  if (item.unique !== undefined) n += item.unique.length;
  return n;
}

/** One facet's items weighed against the caps, from the node's running totals. */
interface FacetScan {
  items: number;
  chars: number;
  dropped: number;
  nodeCapHit: boolean;
  problems: string[];
  /** The items kept; built only when asked (a facet with nothing over a cap is kept as it is). */
  kept: Record<string, Item>;
}

function scanFacet(facet: FacetSnapshot, startItems: number, startChars: number, build: boolean): FacetScan {
  const scan: FacetScan = { items: startItems, chars: startChars, dropped: 0, nodeCapHit: false, problems: [], kept: {} };
  for (const key in facet.items) {
    const item = facet.items[key] as Item;
    if (scan.nodeCapHit) {
      scan.dropped++;
      continue;
    }
    if (key.length > MAX_ITEM_KEY_CHARS) {
      scan.dropped++;
      if (scan.problems.length < 3)
        scan.problems.push(
          `an item key of ${key.length} characters (${JSON.stringify(key.slice(0, 40))}...) is over the ${MAX_ITEM_KEY_CHARS}-character cap per key`,
        );
      continue;
    }
    if (item.value.length > MAX_ITEM_VALUE_CHARS) {
      scan.dropped++;
      if (scan.problems.length < 3)
        scan.problems.push(
          `the value of ${JSON.stringify(key.slice(0, 80))} is ${item.value.length} characters, over the ${MAX_ITEM_VALUE_CHARS}-character cap per item value; it was not kept`,
        );
      continue;
    }
    const size = itemChars(key, item);
    if (scan.items + 1 > MAX_ITEMS_PER_NODE || scan.chars + size > MAX_ITEM_CHARS_PER_NODE) {
      scan.nodeCapHit = true;
      scan.dropped++;
      scan.problems.push(
        scan.items + 1 > MAX_ITEMS_PER_NODE
          ? `the node has more than ${MAX_ITEMS_PER_NODE} items (cap per node); the rest were not kept`
          : `the node's items exceed ${MAX_ITEM_CHARS_PER_NODE} characters (cap per node); the rest were not kept`,
      );
      continue;
    }
    scan.items++;
    scan.chars += size;
    if (build) scan.kept[key] = item;
  }
  return scan;
}

/**
 * Applies the caps to a freshly assembled snapshot. Linear in its items; returns the same
 * snapshot object when nothing was over a cap. A facet is first weighed without copying
 * its items (a node's thousands of packages): only a facet with something over a cap is
 * weighed again, building what is kept.
 */
export function capSnapshot(snapshot: NodeSnapshot): NodeSnapshot {
  let items = 0;
  let chars = 0;
  let changed = false;
  const facets: NodeSnapshot['facets'] = {};
  for (const [name, facet] of Object.entries(snapshot.facets) as [keyof NodeSnapshot['facets'], FacetSnapshot][]) {
    let scan = scanFacet(facet, items, chars, false);
    if (scan.dropped > 0) scan = scanFacet(facet, items, chars, true);
    items = scan.items;
    chars = scan.chars;
    if (scan.dropped === 0) {
      facets[name] = facet;
      continue;
    }
    changed = true;
    const kept = scan.kept;
    if (scan.nodeCapHit) {
      // A facet cut by the node cap is partial: it sits out of every comparison anyway,
      // so none of its items are kept (nor stored, nor carried back from the parser).
      items -= Object.keys(kept).length;
      for (const key of Object.keys(kept)) delete kept[key];
    }
    const message = `${scan.dropped} item(s) not kept: ${scan.problems.join('; ')} (${WHERE})`;
    facets[name] = markTruncated(facet, message, kept);
  }
  return changed ? { ...snapshot, facets } : snapshot;
}
