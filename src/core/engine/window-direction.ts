/**
 * An open maintenance window says which value is right for the items it declares
 * (`packages: {openssl: ">=3.0.15-1~deb12u1"}`). In a standby-first window the patched
 * standby is the minority until the window ends, so the majority would call the one
 * node already at the target "the outlier". For the drift findings on declared items the
 * window decides instead: the nodes whose value does not meet the expectation are the
 * ones to fix, and the message, `fix`, "What to do" and the suggested diff name them.
 *
 * Pure: the window's expectation comes in as a value (the edge reads it from the store).
 */
import type { Finding } from '../findings.js';
import { isFacetName } from '../snapshot.js';
import { expectedItemFor, satisfies, type Expectation } from '../window/expectation.js';
import type { VersionFormat } from '../versions/index.js';
import { itemLabel, showValue, withoutDiff } from './peer-diff.js';

/** What evaluation needs of an open window: its declared change and the cluster's version format. */
export interface WindowDirection {
  expectation: Expectation;
  /** Package version format of the cluster (deb when unknown). */
  format: VersionFormat;
}

/**
 * The drift findings on the window's declared items, re-directed to the nodes that do
 * not meet it. A finding is left as the peer diff made it when every node meets the
 * expectation (the values differ within it: the majority still decides) or none does
 * (nothing here says which node is right yet).
 */
export function directByWindow(findings: readonly Finding[], window: WindowDirection): Finding[] {
  return findings.map((f) => redirect(f, window) ?? f);
}

function redirect(f: Finding, window: WindowDirection): Finding | undefined {
  if ((f.kind !== 'mismatch' && f.kind !== 'missing') || !isFacetName(f.facet)) return undefined;
  const facet = f.facet;
  const item = expectedItemFor(window.expectation, facet, f.key);
  if (!item) return undefined;
  const nodes = Object.keys(f.values);
  const meets = (n: string): boolean => satisfies(item.constraint, f.values[n] ?? null, window.format, facet);
  const compliant = nodes.filter(meets);
  const violating = nodes.filter((n) => !meets(n));
  if (compliant.length === 0 || violating.length === 0) return undefined;
  const good = [...new Set(compliant.map((n) => f.values[n] ?? null))];
  const label = itemLabel(facet, f.key);
  const who = violating.map((n) => `${n} has ${showValue(f.values[n])}`).join(', ');
  const right = compliant.map((n) => `${n} has ${showValue(f.values[n])}`).join(', ');
  const name = window.expectation.name === undefined ? 'the open window' : `window ${window.expectation.name}`;
  // The stale diff goes rather than point the wrong way (withoutDiff).
  return {
    ...withoutDiff(f),
    outliers: violating,
    majority: good.length === 1 ? (good[0] ?? null) : null,
    message: `${label}: ${who}; ${name} expects ${item.constraint.text} (${right}): fix ${violating.join(', ')}`,
  };
}
