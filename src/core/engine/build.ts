/** Turns what a check found into a Finding: severity from the rules, waivers, the stable id. */
import type { Finding, FindingDetail, FindingKind, Severity } from '../findings.js';
import type { FacetName } from '../snapshot.js';
import { findingId } from './finding-id.js';
import { judge } from './majority.js';
import { activeWaiver, resolveRule, type CompiledRules, type EffectiveRule } from './rules/compile.js';

export interface EvalContext {
  cluster: string;
  rules: CompiledRules;
  now: Date;
  baseline?: string;
}

export interface FindingDraft {
  kind: FindingKind;
  facet: FacetName | 'node' | 'cluster';
  key: string;
  values: Record<string, string | null>;
  majority: string | null;
  outliers: string[];
  message: string;
  detail?: FindingDetail;
  /** Used when no rule sets a severity. */
  defaultSeverity: Severity;
  /** Absent for findings no rule can reach (unreachable, stale). */
  effective?: EffectiveRule;
}

/** Undefined when a rule says `ignore`. */
export function finalizeFinding(ctx: EvalContext, draft: FindingDraft): Finding | undefined {
  const severity = draft.effective?.severity ?? draft.defaultSeverity;
  if (severity === 'ignore') return undefined;
  const finding: Finding = {
    id: findingId(ctx.cluster, draft.kind, draft.facet, draft.key),
    cluster: ctx.cluster,
    facet: draft.facet,
    key: draft.key,
    severity,
    rule: draft.effective?.severity !== undefined ? draft.effective.severityRule : null,
    kind: draft.kind,
    values: draft.values,
    majority: draft.majority,
    outliers: draft.outliers,
    waived: false,
    message: draft.message,
  };
  if (draft.detail && Object.keys(draft.detail).length > 0) finding.detail = draft.detail;
  if (draft.effective?.source !== undefined) finding.source = draft.effective.source;
  if (draft.effective?.remediation !== undefined) finding.remediation = draft.effective.remediation;
  const waivers = draft.effective?.waivers ?? [];
  const waiver = activeWaiver(waivers, ctx.now);
  if (waiver) {
    finding.waived = true;
    finding.waiver = { justification: waiver.justification, author: waiver.author, expires: waiver.expires, rule: waiver.rule };
  } else if (waivers.length > 0) {
    const lapsed = waivers[waivers.length - 1];
    if (lapsed) finding.message += ` (waiver by ${lapsed.author} in rule ${lapsed.rule} expired ${lapsed.expires})`;
  }
  return finding;
}

export interface PresenceSplit {
  facet: FacetName;
  key: string;
  /** Every node that takes part, in report order. */
  voters: readonly string[];
  /** The voters that have it; they vote `value`, the others vote absent (null). */
  present: ReadonlySet<string>;
  value: string;
  message: string;
  defaultSeverity: Severity;
}

/**
 * Something some nodes have and others lack (a facet collected, a daemon running), as one
 * `missing` finding whose outliers the majority (or the baseline) decides, and whose
 * severity, source and waivers come from the rule for facet/key.
 */
export function presenceSplitFinding(ctx: EvalContext, split: PresenceSplit): Finding | undefined {
  const votes = split.voters.map((node) => ({ node, value: split.present.has(node) ? split.value : null }));
  const verdict = judge(votes, ctx.baseline);
  return finalizeFinding(ctx, {
    kind: 'missing',
    facet: split.facet,
    key: split.key,
    values: Object.fromEntries(votes.map((v) => [v.node, v.value])),
    majority: verdict.decided ? verdict.reference : null,
    outliers: verdict.outliers,
    message: split.message,
    defaultSeverity: split.defaultSeverity,
    effective: resolveRule(ctx.rules, split.facet, split.key),
  });
}
