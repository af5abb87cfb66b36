/**
 * Compiled rules and how they resolve for one (facet, key): every rule whose match
 * covers the key applies in load order, and a later rule overrides an earlier one field
 * by field (a rule that does not mention `severity` leaves the earlier severity alone).
 * Waivers are the one exception: they accumulate, so a rule written later to change a
 * severity cannot silently drop a waiver someone granted earlier.
 */
import type { RuleSeverity } from '../../findings.js';
import type { FacetName } from '../../snapshot.js';
import { compileKeyPattern, type KeyMatcher } from './match.js';
import type { SkewTolerance } from '../../versions/index.js';
import { parseRegexLiteral, type Expectation, type Rule, type RulePack, type RuleWaiver } from './schema.js';

export interface CompiledNormalize {
  re: RegExp;
  replace: string;
}

export interface CompiledWaiver extends RuleWaiver {
  rule: string;
  matches: KeyMatcher;
  /** Instant after which the waiver no longer applies (ms since the epoch). */
  expiresAtMs: number;
}

export interface CompiledRule {
  name: string;
  pack: string;
  file?: string;
  facets: readonly FacetName[];
  key: string;
  matches: KeyMatcher;
  source: Rule;
  normalize?: CompiledNormalize[];
  waivers: CompiledWaiver[];
  /** The key's /regex/ when it names an `owner` group, for `unique` rules. */
  ownerPattern?: RegExp;
}

/**
 * A `unique: true` rule in force for a key: the identity's class is the rule; the
 * owner of a value is the node, or the `owner` group of the rule's /regex/ key.
 */
export interface UniqueDeclaration {
  rule: string;
  ownerPattern?: RegExp;
}

export interface CompiledRules {
  rules: readonly CompiledRule[];
  byFacet: ReadonlyMap<FacetName, readonly CompiledRule[]>;
}

/** What applies to one key after every matching rule had its say. */
export interface EffectiveRule {
  severity?: RuleSeverity;
  /** Rule that set the severity; null when none did. */
  severityRule: string | null;
  normalize: CompiledNormalize[];
  nodeSpecific: boolean;
  /** From the last matching rule that says `unique`: false turns a collector's mark off. */
  unique?: UniqueDeclaration | false;
  allowSkew: SkewTolerance;
  expect?: Expectation;
  expectRule: string | null;
  waivers: CompiledWaiver[];
  /** From the last matching rule that names a source / a remediation. */
  source?: string;
  remediation?: string;
}

export const NO_RULES: CompiledRules = { rules: [], byFacet: new Map() };

export function compileRules(packs: readonly RulePack[]): CompiledRules {
  const rules: CompiledRule[] = [];
  for (const pack of packs) {
    for (const rule of pack.rules) rules.push(compileRule(rule, pack));
  }
  const byFacet = new Map<FacetName, CompiledRule[]>();
  for (const rule of rules) {
    for (const facet of rule.facets) {
      const list = byFacet.get(facet) ?? [];
      list.push(rule);
      byFacet.set(facet, list);
    }
  }
  return { rules, byFacet };
}

function compileRule(rule: Rule, pack: RulePack): CompiledRule {
  const facets = Array.isArray(rule.match.facet) ? rule.match.facet : [rule.match.facet];
  const compiled: CompiledRule = {
    name: rule.name,
    pack: pack.pack,
    facets,
    key: rule.match.key,
    matches: compileKeyPattern(rule.match.key),
    source: rule,
    waivers: (rule.waivers ?? []).map((w) => ({
      ...w,
      rule: rule.name,
      matches: w.key === undefined ? () => true : compileKeyPattern(w.key),
      expiresAtMs: waiverEndMs(w.expires),
    })),
  };
  if (pack.file !== undefined) compiled.file = pack.file;
  if (rule.normalize) compiled.normalize = rule.normalize.map((n) => ({ re: new RegExp(n.pattern, 'g'), replace: n.replace }));
  const literal = parseRegexLiteral(rule.match.key);
  if (literal && /\(\?<owner>/.test(literal.source)) compiled.ownerPattern = new RegExp(literal.source, literal.flags);
  return compiled;
}

/** A date-only expiry covers that whole day in UTC; a date-time is taken as written. */
export function waiverEndMs(expires: string): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(expires);
  const start = Date.parse(dateOnly ? `${expires}T00:00:00Z` : expires);
  return dateOnly ? start + 24 * 3600 * 1000 : start;
}

export function matchingRules(rules: CompiledRules, facet: string, key: string): CompiledRule[] {
  const candidates = rules.byFacet.get(facet as FacetName) ?? [];
  return candidates.filter((r) => r.matches(key));
}

export function resolveRule(rules: CompiledRules, facet: FacetName, key: string): EffectiveRule {
  const effective: EffectiveRule = {
    severityRule: null,
    normalize: [],
    nodeSpecific: false,
    allowSkew: 'none',
    expectRule: null,
    waivers: [],
  };
  for (const rule of matchingRules(rules, facet, key)) {
    const r = rule.source;
    if (r.severity !== undefined) {
      effective.severity = r.severity;
      effective.severityRule = rule.name;
    }
    if (rule.normalize) effective.normalize = rule.normalize;
    if (r.nodeSpecific) effective.nodeSpecific = true;
    if (r.unique === false) effective.unique = false;
    else if (r.unique === true) {
      effective.unique = rule.ownerPattern ? { rule: rule.name, ownerPattern: rule.ownerPattern } : { rule: rule.name };
    }
    if (r.allowSkew !== undefined) effective.allowSkew = r.allowSkew;
    if (r.expect !== undefined) {
      effective.expect = r.expect;
      effective.expectRule = rule.name;
    }
    if (r.source !== undefined) effective.source = r.source;
    if (r.remediation !== undefined) effective.remediation = r.remediation;
    for (const waiver of rule.waivers) if (waiver.matches(key)) effective.waivers.push(waiver);
  }
  return effective;
}

export function normalizeValue(value: string, steps: readonly CompiledNormalize[]): string {
  let out = value;
  for (const step of steps) out = out.replace(step.re, step.replace);
  return out;
}

/** The first waiver still in force at `now`, if any. */
export function activeWaiver(waivers: readonly CompiledWaiver[], now: Date): CompiledWaiver | undefined {
  const nowMs = now.getTime();
  return waivers.find((w) => nowMs < w.expiresAtMs);
}

export interface RuleExplanation {
  rule: string;
  pack: string;
  file?: string;
  match: { facet: FacetName | FacetName[]; key: string };
  /** Only the fields this rule sets (waivers: only those that cover the key). */
  sets: Partial<
    Pick<Rule, 'severity' | 'normalize' | 'nodeSpecific' | 'unique' | 'allowSkew' | 'expect' | 'waivers' | 'source' | 'remediation'>
  >;
}

/** `driftd rules explain`: the rules that touch a finding, in the order they apply. */
export function explainFinding(rules: CompiledRules, target: { facet: string; key: string }): RuleExplanation[] {
  return matchingRules(rules, target.facet, target.key).map((rule) => {
    const r = rule.source;
    const sets: RuleExplanation['sets'] = {};
    if (r.severity !== undefined) sets.severity = r.severity;
    if (r.normalize !== undefined) sets.normalize = r.normalize;
    if (r.nodeSpecific !== undefined) sets.nodeSpecific = r.nodeSpecific;
    if (r.unique !== undefined) sets.unique = r.unique;
    if (r.allowSkew !== undefined) sets.allowSkew = r.allowSkew;
    if (r.expect !== undefined) sets.expect = r.expect;
    if (r.source !== undefined) sets.source = r.source;
    if (r.remediation !== undefined) sets.remediation = r.remediation;
    const waivers = rule.waivers
      .filter((w) => w.matches(target.key))
      .map(({ justification, author, expires, key }) =>
        key === undefined ? { justification, author, expires } : { justification, author, expires, key },
      );
    if (waivers.length > 0) sets.waivers = waivers;
    const explanation: RuleExplanation = { rule: rule.name, pack: rule.pack, match: r.match, sets };
    if (rule.file !== undefined) explanation.file = rule.file;
    return explanation;
  });
}
