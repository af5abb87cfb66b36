/**
 * Identities that must differ: the inverse of peer drift. A machine-id, an SSH host key, a
 * MAC address or a corosync nodeid is right when it is *not* shared; two nodes holding the
 * same one (a cloned VM, a copied corosync.conf entry) is the problem, whatever the
 * majority says (with three nodes, two clones outvote the healthy one).
 *
 * An item takes part when its collector marks it (`Item.unique`, the identity's class) or a
 * rule says `unique: true` (the rule is the class); a later rule's `unique: false` turns
 * either off. Each value has an owner: the node that reports it, or, for a rule whose
 * /regex/ key has a group named `owner`, what that group captures (an entry of a shared
 * configuration that names its node: corosync's nodelist, DRBD's `on <host>`); a group
 * named `scope` splits the class (DRBD node-ids are unique per resource). One value held
 * by two owners of a class is one critical `identity` finding naming the owners that
 * share it. Node-owned identities are never peer drift (each node has its own by design);
 * entry-owned ones still are, since every node should carry the same shared configuration.
 */
import type { Finding } from '../findings.js';
import type { FacetName, Item } from '../snapshot.js';
import { finalizeFinding, type EvalContext } from './build.js';
import { normalizeValue, resolveRule, type EffectiveRule } from './rules/compile.js';

/** Where a key's uniqueness comes from, once per key. */
export interface UniqueMark {
  /** The class label: the collector's (`machine-id`) or the declaring rule's name. */
  identity: string;
  /** Set when a rule declared it; its severity, waivers and remedy apply to the finding. */
  rule?: string;
  ownerPattern?: RegExp;
}

interface Holder {
  /** Owners are nodes, or entries named in a shared configuration. */
  nodes: Set<string>;
}

interface IdentityClass {
  identity: string;
  scope?: string;
  /** Owners taken from the key (entries) rather than the reporting node. */
  entryOwned: boolean;
  effective?: EffectiveRule;
  /** value -> owner -> the nodes that reported it */
  values: Map<string, Map<string, Holder>>;
}

/** The item stored under the key itself, never one inherited from Object.prototype. */
function ownItem(items: Record<string, Item>, key: string): Item | undefined {
  return Object.hasOwn(items, key) ? items[key] : undefined;
}

/**
 * The key's unique mark, if any. `varying` says the items differ between nodes; when
 * they do not, the first node's item speaks for all.
 */
export function uniqueMark(
  effective: EffectiveRule,
  itemsByNode: readonly Record<string, Item>[],
  key: string,
  varying: boolean,
): UniqueMark | undefined {
  if (effective.unique === false) return undefined;
  if (effective.unique) {
    const mark: UniqueMark = { identity: effective.unique.rule, rule: effective.unique.rule };
    if (effective.unique.ownerPattern) mark.ownerPattern = effective.unique.ownerPattern;
    return mark;
  }
  const candidates = varying ? itemsByNode : itemsByNode.slice(0, 1);
  for (const items of candidates) {
    const label = ownItem(items, key)?.unique;
    if (label !== undefined) return { identity: label };
  }
  return undefined;
}

/** Collects the claims of one facet, then says which values are shared. */
export class IdentityClaims {
  private readonly classes = new Map<string, IdentityClass>();

  claim(
    key: string,
    mark: UniqueMark,
    effective: EffectiveRule,
    participants: readonly { node: string; items: Record<string, Item> }[],
  ): void {
    let owner: string | undefined;
    let scope: string | undefined;
    if (mark.ownerPattern) {
      const groups = mark.ownerPattern.exec(key)?.groups;
      owner = groups?.owner;
      scope = groups?.scope;
      if (owner === undefined || owner === '') return;
    }
    const classKey = scope === undefined ? mark.identity : `${mark.identity}\u0000${scope}`;
    let cls = this.classes.get(classKey);
    if (!cls) {
      cls = { identity: mark.identity, entryOwned: owner !== undefined, values: new Map() };
      if (scope !== undefined) cls.scope = scope;
      if (mark.rule !== undefined) cls.effective = effective;
      this.classes.set(classKey, cls);
    }
    for (const p of participants) {
      const item = ownItem(p.items, key);
      if (!item) continue;
      const value = effective.normalize.length === 0 ? item.value : normalizeValue(item.value, effective.normalize);
      if (value.trim() === '') continue;
      let owners = cls.values.get(value);
      if (!owners) {
        owners = new Map();
        cls.values.set(value, owners);
      }
      const who = owner ?? p.node;
      let holder = owners.get(who);
      if (!holder) {
        holder = { nodes: new Set() };
        owners.set(who, holder);
      }
      holder.nodes.add(p.node);
    }
  }

  findings(ctx: EvalContext, facet: FacetName): Finding[] {
    const out: Finding[] = [];
    for (const cls of this.classes.values()) {
      const f = classFinding(ctx, facet, cls);
      if (f) out.push(f);
    }
    return out;
  }
}

/** The finding's key: `unique:<class>` (`:<scope>` when the rule scopes it). */
export function identityKey(identity: string, scope?: string): string {
  return scope === undefined ? `unique:${identity}` : `unique:${identity}:${scope}`;
}

function classFinding(ctx: EvalContext, facet: FacetName, cls: IdentityClass): Finding | undefined {
  const shared: { value: string; owners: string[]; reporters: string[] }[] = [];
  for (const [value, owners] of cls.values) {
    if (owners.size < 2) continue;
    const reporters = new Set<string>();
    for (const holder of owners.values()) for (const n of holder.nodes) reporters.add(n);
    shared.push({ value, owners: [...owners.keys()].sort(), reporters: [...reporters].sort() });
  }
  if (shared.length === 0) return undefined;
  shared.sort((a, b) => compareText(a.owners[0] ?? '', b.owners[0] ?? '') || compareText(a.value, b.value));
  const key = identityKey(cls.identity, cls.scope);
  const label = cls.scope === undefined ? cls.identity : `${cls.identity} (${cls.scope})`;
  // Outliers are the nodes to fix: the sharing nodes themselves, or for an entry of a
  // shared configuration, every node whose copy of it gives two entries one value.
  const values: Record<string, string | null> = {};
  const outliers = new Set<string>();
  for (const s of shared) {
    const nodes = cls.entryOwned ? s.reporters : s.owners;
    for (const node of nodes) {
      outliers.add(node);
      values[node] = values[node] === undefined ? s.value : `${values[node]}, ${s.value}`;
    }
  }
  // The nodes that keep their own identity are shown too, with one of their values:
  // they are the healthy side (and what `driftd diff` compares a clone against).
  if (!cls.entryOwned) {
    for (const [value, owners] of cls.values) {
      for (const owner of owners.keys()) if (!outliers.has(owner) && values[owner] === undefined) values[owner] = value;
    }
  }
  const parts = shared.map((s) => {
    const value = short(s.value);
    if (!cls.entryOwned) return `${andList(s.owners)} share ${value}`;
    return `${andList(s.owners)} are given the same ${value} in the configuration of ${s.reporters.join(', ')}`;
  });
  const advice = cls.entryOwned
    ? 'give each entry its own value, on every node'
    : 'each node needs its own (a cloned machine?); regenerate it on all but one of them';
  return finalizeFinding(ctx, {
    kind: 'identity',
    facet,
    key,
    values,
    majority: null,
    outliers: [...outliers].sort(),
    message: `identity ${label} must differ between nodes: ${shownParts(parts)}: ${advice}`,
    defaultSeverity: 'critical',
    effective: findingRule(ctx, facet, key, cls.effective),
  });
}

const MAX_PARTS = 5;

/** The first few shared values; a clone of a node with many addresses is still one line. */
function shownParts(parts: readonly string[]): string {
  if (parts.length <= MAX_PARTS) return parts.join('; ');
  return `${parts.slice(0, MAX_PARTS).join('; ')}; and ${parts.length - MAX_PARTS} more`;
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Severity and waivers from the rules on the finding's own key (`unique:<class>`); where
 * those say no source or remedy, the declaring rule's.
 */
function findingRule(ctx: EvalContext, facet: FacetName, key: string, declaring: EffectiveRule | undefined): EffectiveRule {
  const own = resolveRule(ctx.rules, facet, key);
  if (!declaring) return own;
  const merged: EffectiveRule = { ...own };
  if (merged.source === undefined && declaring.source !== undefined) merged.source = declaring.source;
  if (merged.remediation === undefined && declaring.remediation !== undefined) merged.remediation = declaring.remediation;
  return merged;
}

function andList(names: readonly string[]): string {
  if (names.length <= 2) return names.join(' and ');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

const MAX_SHOWN = 60;

function short(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ');
  return oneLine.length > MAX_SHOWN ? `${oneLine.slice(0, MAX_SHOWN - 1)}…` : oneLine;
}
