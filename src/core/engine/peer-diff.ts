/**
 * Peer diff of one facet across the nodes that collected it successfully: drift
 * (mismatch, missing) per key, and `expect:` checks. One pass over nodes x items; the
 * work per key is linear in the number of nodes.
 */
import type { Finding, FindingDetail, FindingKind, Severity } from '../findings.js';
import { facetDigest } from '../facet-digest.js';
import type { FacetName, FacetSnapshot, Item } from '../snapshot.js';
import { finalizeFinding, type EvalContext } from './build.js';
import { expectationViolation } from './expectations.js';
import { unifiedFileDiff } from './file-diff.js';
import { IdentityClaims, uniqueMark } from './identities.js';
import { judge, type Verdict } from './majority.js';
import { isHandledAsPrecondition, preconditionKindFor } from './preconditions.js';
import { normalizeValue, resolveRule, type EffectiveRule } from './rules/compile.js';
import { isLiteralKey } from './rules/match.js';
import {
  describeVersions,
  isVersionItem,
  sharedVersionFormat,
  withinTolerance,
  type VersionDetail,
  type VersionFormat,
} from './versions.js';

export interface Participant {
  node: string;
  facet: FacetSnapshot;
  /** The node's packages facet, whose `meta.format` orders kernel releases too. */
  packages?: FacetSnapshot;
}

export function diffFacet(ctx: EvalContext, facetName: FacetName, participants: readonly Participant[]): Finding[] {
  const findings: Finding[] = [];
  const push = (f: Finding | undefined): void => {
    if (f) findings.push(f);
  };
  const format = facetName === 'packages' || facetName === 'kernel' ? sharedVersionFormat(participants) : undefined;
  // Most items are the same on every node of a cluster. One pass compares each node with
  // the first; only the keys found to vary (and keys under an `expect:`) are then read
  // on every node. This keeps the cost near one comparison per node-item, however many
  // nodes differ and wherever they differ.
  const { keys, varying } = surveyKeys(participants);
  // Identities (unique items) are judged inversely: a value two owners share is the
  // finding, a value that differs is no drift (identities.ts).
  const identities = new IdentityClaims();
  const itemsByNode = participants.map((p) => p.facet.items);
  const claimants = participants.map((p) => ({ node: p.node, items: p.facet.items }));
  for (const key of keys) {
    if (isHandledAsPrecondition(facetName, key)) continue;
    const effective = resolveRule(ctx.rules, facetName, key);
    const unique = uniqueMark(effective, itemsByNode, key, varying.has(key));
    if (unique) identities.claim(key, unique, effective, claimants);
    if (!effective.expect && !varying.has(key)) continue;
    const keyFormat = format && isVersionItem(facetName, key) ? format : undefined;
    const items = participants.map((p) => ownItem(p.facet.items, key));
    const raw = items.map((item) => item?.value ?? null);
    const normalized =
      effective.normalize.length === 0 ? raw : raw.map((v) => (v === null ? null : normalizeValue(v, effective.normalize)));
    push(checkExpectation(ctx, facetName, key, participants, raw, normalized, effective, keyFormat));
    const ownIdentity = unique !== undefined && unique.ownerPattern === undefined;
    if (participants.length < 2 || effective.nodeSpecific || ownIdentity || items.some((item) => item?.nodeSpecific !== undefined))
      continue;
    if (normalized.every((v) => v === normalized[0])) continue;
    if (keyFormat && withinTolerance(keyFormat, normalized, effective.allowSkew)) continue;
    push(driftFinding(ctx, facetName, key, participants, items, raw, normalized, effective, keyFormat));
  }
  for (const f of presenceExpectations(ctx, facetName, participants)) findings.push(f);
  for (const f of identities.findings(ctx, facetName)) findings.push(f);
  return findings;
}

/** The item stored under the key itself, never one inherited from Object.prototype. */
function ownItem(items: Record<string, Item>, key: string): Item | undefined {
  return Object.hasOwn(items, key) ? items[key] : undefined;
}

/**
 * Two nodes' items are the same when their value, content and node-specific mark agree;
 * node-specific values themselves may differ (they are never compared).
 */
function sameItem(a: Item, b: Item): boolean {
  if (a.content !== b.content) return false;
  if ((a.nodeSpecific === undefined) !== (b.nodeSpecific === undefined)) return false;
  if (a.unique !== b.unique) return false;
  return a.nodeSpecific !== undefined || a.value === b.value;
}

/**
 * Every key of the facet (the first participant's in order, then the others' extra
 * keys), and the keys whose item is not the same on every participant: changed,
 * missing somewhere or extra somewhere.
 *
 * A facet's items object is large enough to be a hash table inside V8, so each node's
 * keys are enumerated once (Object.keys) and compared position by position with the
 * first node's; a key lookup is only needed where the order departs from it. Nodes whose
 * facet has the digest of one already surveyed (facet-digest.ts) are skipped whole.
 */
function surveyKeys(participants: readonly Participant[]): { keys: string[]; varying: Set<string> } {
  const varying = new Set<string>();
  const [first, ...rest] = participants;
  if (!first) return { keys: [], varying };
  const reference = first.facet.items;
  const referenceKeys = Object.keys(reference);
  const referenceItems = referenceKeys.map((key) => reference[key] as Item);
  const extraKeys: string[] = [];
  // A facet identical to one already surveyed (the reference itself, or another node's
  // with the same collection digest) adds no varying key: each distinct answer is read once.
  const surveyed = new Set<string>();
  const referenceDigest = facetDigest(first.facet);
  if (referenceDigest !== undefined) surveyed.add(referenceDigest);
  for (const participant of rest) {
    const items = participant.facet.items;
    if (items === reference) continue;
    const digest = facetDigest(participant.facet);
    if (digest !== undefined) {
      if (surveyed.has(digest)) continue;
      surveyed.add(digest);
    }
    const keys = Object.keys(items);
    let inReference = 0;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      const expected = key === referenceKeys[index] ? referenceItems[index] : ownItem(reference, key);
      if (expected === undefined) {
        if (!varying.has(key)) extraKeys.push(key);
        varying.add(key);
        continue;
      }
      inReference++;
      if (!sameItem(expected, items[key] as Item)) varying.add(key);
    }
    if (inReference < referenceKeys.length) {
      for (const key of referenceKeys) if (!Object.hasOwn(items, key)) varying.add(key);
    }
  }
  return { keys: extraKeys.length === 0 ? referenceKeys : [...referenceKeys, ...extraKeys], varying };
}

function driftFinding(
  ctx: EvalContext,
  facetName: FacetName,
  key: string,
  participants: readonly Participant[],
  items: readonly (Item | undefined)[],
  raw: readonly (string | null)[],
  normalized: readonly (string | null)[],
  effective: EffectiveRule,
  format: VersionFormat | undefined,
): Finding | undefined {
  const nodes = participants.map((p) => p.node);
  const verdict = judge(
    nodes.map((node, i) => ({ node, value: normalized[i] ?? null })),
    ctx.baseline,
  );
  const referenceIndex = verdict.referenceNode === undefined ? -1 : nodes.indexOf(verdict.referenceNode);
  const majority = verdict.decided && referenceIndex >= 0 ? (raw[referenceIndex] ?? null) : null;
  const values = Object.fromEntries(nodes.map((node, i) => [node, raw[i] ?? null]));
  const detail: FindingDetail = {};
  let message = describeDrift(ctx, facetName, key, verdict, majority, values);
  if (format) {
    const versions = describeVersions(
      format,
      nodes.map((node, i) => ({ node, value: normalized[i] ?? null })),
    );
    if (versions && versions.behind.length > 0) {
      detail.newest = versions.newest;
      detail.behind = versions.behind.map((b) => b.node);
      if (versions.skew) detail.skew = versions.skew;
      message = describeBehind(itemLabel(facetName, key), versions, values);
      const behind = new Set(detail.behind);
      const ahead = verdict.decided ? verdict.outliers.filter((n) => !behind.has(n) && values[n] !== null) : [];
      if (ahead.length > 0) message += `; ${ahead.join(', ')} newer than the rest (${referenceText(ctx, verdict, majority)})`;
    }
  }
  if (facetName === 'files' && referenceIndex >= 0) {
    const sideOf = (i: number) => ({ node: nodes[i] ?? '', content: raw[i] === null ? null : items[i]?.content });
    const others = verdict.outliers.map((node) => sideOf(nodes.indexOf(node)));
    const diff = unifiedFileDiff(key, sideOf(referenceIndex), others);
    if (diff) detail.diff = diff;
  }
  const precondition = preconditionKindFor(facetName, key);
  const kind: FindingKind = precondition ? 'precondition' : raw.includes(null) ? 'missing' : 'mismatch';
  const defaultSeverity: Severity = precondition ? 'critical' : 'warning';
  return finalizeFinding(ctx, {
    kind,
    facet: facetName,
    key,
    values,
    majority,
    outliers: verdict.outliers,
    message: precondition ? `${precondition}: ${message}` : message,
    detail,
    defaultSeverity,
    effective,
  });
}

export function itemLabel(facet: string, key: string): string {
  return facet === 'packages' ? key : `${facet} ${key}`;
}

/**
 * The finding without its unified diff: the peer diff writes it from the majority's
 * content, so a finding whose nodes to fix were chosen otherwise (an open window, the CIB
 * version) drops it rather than point the wrong way.
 */
export function withoutDiff(f: Finding): Finding {
  if (f.detail?.diff === undefined) return f;
  const { diff: _dropped, ...rest } = f.detail;
  return { ...f, detail: rest };
}

const MAX_SHOWN_VALUE = 80;

export function showValue(value: string | null | undefined): string {
  if (value === null || value === undefined) return '(absent)';
  const oneLine = value.replace(/\s+/g, ' ');
  return oneLine.length > MAX_SHOWN_VALUE ? `${oneLine.slice(0, MAX_SHOWN_VALUE - 1)}…` : oneLine;
}

function describeDrift(
  ctx: EvalContext,
  facet: string,
  key: string,
  verdict: Verdict,
  majority: string | null,
  values: Record<string, string | null>,
): string {
  const label = itemLabel(facet, key);
  if (!verdict.decided) {
    const list = Object.entries(values)
      .map(([node, v]) => `${node}=${showValue(v)}`)
      .join(', ');
    return `${label} differs with no majority: ${list}`;
  }
  const who = verdict.outliers
    .map((node) => (values[node] === null ? `missing on ${node}` : `${node} has ${showValue(values[node])}`))
    .join(', ');
  return `${label}: ${who} (${referenceText(ctx, verdict, majority)})`;
}

function referenceText(ctx: EvalContext, verdict: Verdict, majority: string | null): string {
  if (ctx.baseline !== undefined && verdict.referenceNode === ctx.baseline) return `baseline ${ctx.baseline} has ${showValue(majority)}`;
  return majority === null ? 'absent on the majority' : `majority has ${showValue(majority)}`;
}

function describeBehind(label: string, versions: VersionDetail, values: Record<string, string | null>): string {
  const { behind, newest: newestValue, skew } = versions;
  const nodes = behind.map((b) => b.node).join(', ');
  const olds = [...new Set(behind.map((b) => b.value))].join(', ');
  const skewText = skew ? `, ${skew} skew` : '';
  let message = `${label}: ${nodes} ${behind.length === 1 ? 'is' : 'are'} behind (${olds} < ${newestValue}${skewText})`;
  const missing = Object.entries(values)
    .filter(([, v]) => v === null)
    .map(([node]) => node);
  if (missing.length > 0) message += `; missing on ${missing.join(', ')}`;
  return message;
}

function checkExpectation(
  ctx: EvalContext,
  facetName: FacetName,
  key: string,
  participants: readonly Participant[],
  raw: readonly (string | null)[],
  normalized: readonly (string | null)[],
  effective: EffectiveRule,
  format: VersionFormat | undefined,
): Finding | undefined {
  const expect = effective.expect;
  if (!expect) return undefined;
  const violations: { node: string; reason: string }[] = [];
  participants.forEach((p, i) => {
    const reason = expectationViolation(expect, normalized[i] ?? null, format);
    if (reason) violations.push({ node: p.node, reason });
  });
  if (violations.length === 0) return undefined;
  const values = Object.fromEntries(participants.map((p, i) => [p.node, raw[i] ?? null]));
  const who = violations.map((v) => `${v.node} has ${showValue(values[v.node])}`).join(', ');
  return finalizeFinding(ctx, {
    kind: 'expectation',
    facet: facetName,
    key,
    values,
    majority: null,
    outliers: violations.map((v) => v.node),
    message: `${itemLabel(facetName, key)}: ${violations[0]?.reason ?? ''} (rule ${effective.expectRule}); ${who}`,
    defaultSeverity: 'warning',
    effective: forExpectation(effective),
  });
}

/**
 * `present: true` asks about keys that may exist nowhere, so it runs per rule rather
 * than per key. A rule later overridden for the same pattern does not ask any more.
 */
function presenceExpectations(ctx: EvalContext, facetName: FacetName, participants: readonly Participant[]): Finding[] {
  const out: Finding[] = [];
  for (const rule of ctx.rules.byFacet.get(facetName) ?? []) {
    if (!rule.source.expect?.present) continue;
    const effective = resolveRule(ctx.rules, facetName, rule.key);
    if (!effective.expect?.present || effective.expectRule !== rule.name) continue;
    const literal = isLiteralKey(rule.key);
    const values: Record<string, string | null> = {};
    const missing: string[] = [];
    for (const p of participants) {
      const matched = literal ? p.facet.items[rule.key] : Object.entries(p.facet.items).find(([k]) => rule.matches(k))?.[1];
      values[p.node] = matched ? (literal ? matched.value : 'present') : null;
      if (!matched) missing.push(p.node);
    }
    if (missing.length === 0) continue;
    const f = finalizeFinding(ctx, {
      kind: 'expectation',
      facet: facetName,
      key: rule.key,
      values,
      majority: null,
      outliers: missing,
      message: `${itemLabel(facetName, rule.key)}: expected present (rule ${rule.name}); missing on ${missing.join(', ')}`,
      defaultSeverity: 'warning',
      effective: forExpectation(effective),
    });
    if (f) out.push(f);
  }
  return out;
}

/** An `expect.severity` applies to the expectation finding only, set by the expecting rule. */
function forExpectation(effective: EffectiveRule): EffectiveRule {
  const severity = effective.expect?.severity;
  return severity === undefined ? effective : { ...effective, severity, severityRule: effective.expectRule };
}
