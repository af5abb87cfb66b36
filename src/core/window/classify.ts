/**
 * During an open window, which drift is the declared change and which is not. Pure.
 *
 * Two views of the same question:
 * - changes on one node since the window's baseline (`classifyChanges`): what the admin
 *   did to the node, item by item;
 * - findings of a cluster report (`classifyWindowFindings`): peers disagreeing because
 *   some nodes are patched and others not yet.
 */
import { META_KEY_PREFIX, STATUS_KEY, type Change } from '../changes.js';
import type { CheckReport } from '../check-report.js';
import { resolveRule, type CompiledRules } from '../engine/index.js';
import type { Finding } from '../findings.js';
import { isFacetName, type FacetName, type NodeSnapshot } from '../snapshot.js';
import { expectedItemFor, isAllowedChange, keyMatchesName, satisfies, type Expectation } from './expectation.js';
import type { VersionFormat } from '../versions/index.js';

/** Node -> facet -> key -> value at the baseline, for the keys the expectation covers (null: absent). */
export type BaselineValues = Record<string, Partial<Record<FacetName, Record<string, string | null>>>>;

/** What a window contributes to judging drift: the declared change and where each node started. */
export interface WindowContext {
  expectation: Expectation;
  baselineValues: BaselineValues;
  /** Finding ids already open at the baseline: not caused by the window. */
  baselineFindingIds: readonly string[];
  /** Package version format of the cluster (deb when unknown). */
  format: VersionFormat;
}

/** The covered keys of each node at the baseline, to tell "not patched yet" from "changed otherwise". */
export function baselineValuesOf(snapshots: readonly NodeSnapshot[], expectation: Expectation): BaselineValues {
  const out: BaselineValues = {};
  for (const snapshot of snapshots) {
    const perFacet: Partial<Record<FacetName, Record<string, string | null>>> = {};
    for (const item of expectation.items) {
      const facet = snapshot.facets[item.facet];
      const values = (perFacet[item.facet] ??= {});
      const keys = Object.keys(facet?.items ?? {}).filter((k) => keyMatchesName(item.facet, item.name, k));
      if (keys.length === 0) values[item.name] = null;
      for (const key of keys) values[key] = facet?.items[key]?.value ?? null;
    }
    out[snapshot.node] = perFacet;
  }
  return out;
}

export interface ClassifiedChanges {
  /** Covered by the expectation (a declared item, the allow list, kernel companions). */
  expected: Change[];
  /**
   * What the failover procedure itself writes into the CIB: `crm resource move` /
   * `pcs resource move` location constraints (cli-prefer-*, cli-ban-*), node standby and
   * maintenance attributes. Fine while the window is open, to be cleared before it closes.
   */
  operational: Change[];
  /** Anything else the node changed: what `window verify` refuses. */
  unexpected: Change[];
  /** Volatile or node-specific items (rules say ignore / nodeSpecific, or the collector says so). */
  ignored: Change[];
}

export interface ClassifyChangesInput {
  changes: readonly Change[];
  expectation: Expectation;
  rules: CompiledRules;
  /** Both snapshots, for items the collector marked node-specific. */
  before: NodeSnapshot;
  after: NodeSnapshot;
}

export function classifyChanges(input: ClassifyChangesInput): ClassifiedChanges {
  const out: ClassifiedChanges = { expected: [], operational: [], unexpected: [], ignored: [] };
  for (const change of input.changes) {
    out[bucketOf(change, input)].push(change);
  }
  return out;
}

/** Keys of the pacemaker facet (src/collectors/pacemaker-cib.ts) that a failover by hand writes. */
export const OPERATIONAL_CIB_KEYS: readonly RegExp[] = [
  /^constraint\.cli-(prefer|ban)-/,
  /^node\.[^.]+\.attr(@[^.]*)?\.(standby|maintenance)$/,
];

function bucketOf(change: Change, input: ClassifyChangesInput): keyof ClassifiedChanges {
  // Reachability, facet status and facet meta are never part of a declared change.
  if (change.facet === 'node' || change.key === STATUS_KEY || change.key.startsWith(META_KEY_PREFIX)) return 'unexpected';
  const facet = change.facet;
  const rule = resolveRule(input.rules, facet, change.key);
  if (rule.severity === 'ignore' || rule.nodeSpecific) return 'ignored';
  const itemBefore = input.before.facets[facet]?.items[change.key];
  const itemAfter = input.after.facets[facet]?.items[change.key];
  if (itemBefore?.nodeSpecific !== undefined || itemAfter?.nodeSpecific !== undefined) return 'ignored';
  if (facet === 'pacemaker' && OPERATIONAL_CIB_KEYS.some((re) => re.test(change.key))) return 'operational';
  if (expectedItemFor(input.expectation, facet, change.key)) return 'expected';
  if (isAllowedChange(input.expectation, facet, change.key)) return 'expected';
  return 'unexpected';
}

/**
 * A finding is expected when it is about a declared item and every node it names is
 * either patched (its value satisfies the constraint) or untouched (its value is still
 * the baseline's); or when it is about an allowed companion change. Findings that were
 * already open at the baseline keep their own verdict: they are not the window's.
 */
export function classifyWindowFindings(report: CheckReport, window: WindowContext): { expected: Finding[]; unexpected: Finding[] } {
  const expected: Finding[] = [];
  const unexpected: Finding[] = [];
  for (const finding of findingsOf(report)) {
    // A headline with evidence (one upgrade of several packages) is the declared change
    // only when every finding in it is: an undeclared face keeps the whole problem an alarm.
    const evidence = finding.evidence ?? [];
    const declared = isExpectedFinding(finding, window) && evidence.every((e) => isExpectedFinding(e, window));
    (declared ? expected : unexpected).push(finding);
  }
  return { expected, unexpected };
}

/**
 * The report's findings as the engine built them. CheckReport is the JSON contract, so
 * its `facet` is a plain string; the engine (the only producer) fills it from Finding.
 */
export function findingsOf(report: CheckReport): Finding[] {
  return report.findings as Finding[];
}

const ITEM_FINDING_KINDS: ReadonlySet<Finding['kind']> = new Set(['mismatch', 'missing', 'expectation']);

function isExpectedFinding(finding: Finding, window: WindowContext): boolean {
  if (!ITEM_FINDING_KINDS.has(finding.kind) || !isFacetName(finding.facet)) return false;
  const facet = finding.facet;
  const item = expectedItemFor(window.expectation, facet, finding.key);
  if (!item) return isAllowedChange(window.expectation, facet, finding.key);
  return Object.entries(finding.values).every(([node, value]) => {
    if (satisfies(item.constraint, value, window.format, facet)) return true;
    const start = window.baselineValues[node]?.[facet];
    if (!start) return false;
    const baseline = finding.key in start ? start[finding.key] : start[item.name];
    return (baseline ?? null) === value;
  });
}

/** The report with the findings that are the window's declared change flagged `expected` (not alarms). */
export function markExpected(report: CheckReport, window: WindowContext): CheckReport {
  const { expected } = classifyWindowFindings(report, window);
  if (expected.length === 0) return report;
  const ids = new Set(expected.map((f) => f.id));
  return { ...report, findings: report.findings.map((f) => (ids.has(f.id) ? { ...f, expected: true } : f)) };
}
