/**
 * `driftd diff A B`: two nodes side by side, item by item, with unified diffs for files.
 * The same rules apply as in a check (normalisation, ignore, nodeSpecific), so what it
 * shows is what a check would call drift.
 */
import type { RuleSeverity } from '../findings.js';
import { FACET_NAMES, type FacetName, type FacetStatus, type NodeSnapshot } from '../snapshot.js';
import { unifiedFileDiff } from './file-diff.js';
import { NO_RULES, normalizeValue, resolveRule, type CompiledRules } from './rules/compile.js';

export interface NodeDiffItem {
  key: string;
  a: string | null;
  b: string | null;
  severity: RuleSeverity;
  diff?: string;
}

export interface NodeDiffFacet {
  facet: FacetName;
  statusA: FacetStatus | 'not collected';
  statusB: FacetStatus | 'not collected';
  items: NodeDiffItem[];
}

export interface NodeDiff {
  a: { node: string; takenAt: string; error?: string };
  b: { node: string; takenAt: string; error?: string };
  facets: NodeDiffFacet[];
}

export interface DiffNodesOptions {
  facet?: FacetName;
  rules?: CompiledRules;
  /** Also show items the collector or a rule marks node-specific (hostname and the like). */
  includeNodeSpecific?: boolean;
}

export function diffNodes(a: NodeSnapshot, b: NodeSnapshot, opts: DiffNodesOptions = {}): NodeDiff {
  const rules = opts.rules ?? NO_RULES;
  const facets: NodeDiffFacet[] = [];
  for (const name of opts.facet ? [opts.facet] : FACET_NAMES) {
    const fa = a.facets[name];
    const fb = b.facets[name];
    if (!fa && !fb) continue;
    const entry: NodeDiffFacet = {
      facet: name,
      statusA: fa?.status ?? 'not collected',
      statusB: fb?.status ?? 'not collected',
      items: [],
    };
    if (fa?.status === 'ok' && fb?.status === 'ok') {
      const keys = [...new Set([...Object.keys(fa.items), ...Object.keys(fb.items)])].sort();
      for (const key of keys) {
        const ia = fa.items[key];
        const ib = fb.items[key];
        const effective = resolveRule(rules, name, key);
        if (effective.severity === 'ignore') continue;
        if (!opts.includeNodeSpecific && (effective.nodeSpecific || ia?.nodeSpecific !== undefined || ib?.nodeSpecific !== undefined))
          continue;
        const va = ia ? normalizeValue(ia.value, effective.normalize) : null;
        const vb = ib ? normalizeValue(ib.value, effective.normalize) : null;
        if (va === vb) continue;
        const item: NodeDiffItem = { key, a: ia?.value ?? null, b: ib?.value ?? null, severity: effective.severity ?? 'warning' };
        if (name === 'files') {
          const diff = unifiedFileDiff(key, { node: a.node, content: ia ? ia.content : null }, [
            { node: b.node, content: ib ? ib.content : null },
          ]);
          if (diff) item.diff = diff;
        }
        entry.items.push(item);
      }
    }
    const unreadable = (st: NodeDiffFacet['statusA']): boolean => st === 'error' || st === 'truncated';
    if (entry.items.length > 0 || entry.statusA !== entry.statusB || unreadable(entry.statusA)) facets.push(entry);
  }
  return { a: side(a), b: side(b), facets };
}

function side(s: NodeSnapshot): NodeDiff['a'] {
  return s.error === undefined ? { node: s.node, takenAt: s.takenAt } : { node: s.node, takenAt: s.takenAt, error: s.error };
}

export function renderNodeDiff(d: NodeDiff): string {
  const lines: string[] = [`${d.a.node} (${d.a.takenAt})  vs  ${d.b.node} (${d.b.takenAt})`];
  for (const s of [d.a, d.b]) if (s.error) lines.push(`${s.node} was unreachable: ${s.error}`);
  if (d.facets.length === 0) {
    lines.push('', 'No differences.');
    return `${lines.join('\n')}\n`;
  }
  for (const facet of d.facets) {
    lines.push('', `== ${facet.facet} ==`);
    if (facet.statusA !== 'ok' || facet.statusB !== 'ok') {
      lines.push(
        `  facet status: ${d.a.node}=${facet.statusA}, ${d.b.node}=${facet.statusB}${facet.statusA === facet.statusB ? '' : ' (items not compared)'}`,
      );
    }
    const width = Math.min(48, Math.max(...facet.items.map((i) => i.key.length), 0));
    for (const item of facet.items) {
      lines.push(`  [${item.severity}] ${item.key.padEnd(width)}  ${d.a.node}: ${shown(item.a)}`);
      lines.push(`  ${' '.repeat(item.severity.length + 2)} ${' '.repeat(width)}  ${d.b.node}: ${shown(item.b)}`);
      if (item.diff)
        lines.push(
          ...item.diff
            .trimEnd()
            .split('\n')
            .map((l) => `      ${l}`),
        );
    }
  }
  return `${lines.join('\n')}\n`;
}

function shown(value: string | null): string {
  return value === null ? '(absent)' : value;
}
