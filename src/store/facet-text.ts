/**
 * The canonical text of a facet's content, `canonicalJson(facetContent(facet))`, written
 * out for the facet shape (status, items of strings, optional error and meta). Every
 * run hashes every facet of every node to learn whether it changed, and the generic
 * canonicalJson (entries, filter, sort and join per item) was most of that cost. Any
 * value outside the shape takes the generic path, so the text is the same either way
 * (a property test pins the equality).
 */
import { canonicalJson, facetContent, sha256Hex, type FacetSnapshot } from '../core/snapshot.js';

const FACET_KEYS = new Set(['status', 'items', 'error', 'meta', 'durationMs']);

export function facetText(facet: FacetSnapshot): string {
  return shapedText(facet) ?? canonicalJson(facetContent(facet));
}

export function facetTextHash(facet: FacetSnapshot): { text: string; hash: string } {
  const text = facetText(facet);
  return { text, hash: sha256Hex(text) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapedText(facet: FacetSnapshot): string | undefined {
  const loose: Record<string, unknown> = facet as unknown as Record<string, unknown>;
  for (const key of Object.keys(loose)) if (!FACET_KEYS.has(key)) return undefined;
  const { status, items, error, meta } = loose;
  if (typeof status !== 'string' || !isRecord(items)) return undefined;
  if (error !== undefined && typeof error !== 'string') return undefined;
  const parts: string[] = [];
  if (error !== undefined) parts.push(`"error":${JSON.stringify(error)}`);
  const itemsText = itemsJson(items);
  if (itemsText === undefined) return undefined;
  parts.push(`"items":${itemsText}`);
  if (meta !== undefined) {
    if (!isRecord(meta)) return undefined;
    const metaText = stringsJson(meta);
    if (metaText === undefined) return undefined;
    parts.push(`"meta":${metaText}`);
  }
  parts.push(`"status":${JSON.stringify(status)}`);
  return `{${parts.join(',')}}`;
}

function itemsJson(items: Record<string, unknown>): string | undefined {
  // Default sort compares UTF-16 code units, as canonicalJson's `<` does.
  const keys = Object.keys(items).sort();
  const parts: string[] = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    const item = items[key];
    if (!isRecord(item)) return undefined;
    for (const field of Object.keys(item)) {
      if (field !== 'value' && field !== 'content' && field !== 'nodeSpecific') return undefined;
    }
    const { content, nodeSpecific, value } = item;
    if (content !== undefined && typeof content !== 'string') return undefined;
    if (nodeSpecific !== undefined && typeof nodeSpecific !== 'string') return undefined;
    if (value !== undefined && typeof value !== 'string') return undefined;
    let text = '';
    if (content !== undefined) text = `"content":${JSON.stringify(content)}`;
    if (nodeSpecific !== undefined) text += `${text ? ',' : ''}"nodeSpecific":${JSON.stringify(nodeSpecific)}`;
    if (value !== undefined) text += `${text ? ',' : ''}"value":${JSON.stringify(value)}`;
    parts[i] = `${JSON.stringify(key)}:{${text}}`;
  }
  return `{${parts.join(',')}}`;
}

function stringsJson(record: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}
