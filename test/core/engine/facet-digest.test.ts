/**
 * Collection digests (core/facet-digest.ts) let the survey read each distinct facet once.
 * They must never change a verdict: with digests that honour their contract (equal only for
 * equal facets) every report is the one computed item by item.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setFacetDigest } from '../../../src/core/facet-digest.js';
import { canonicalJson, facetContent, type NodeSnapshot } from '../../../src/core/snapshot.js';
import { check } from './check.js';
import { debPackages, snap } from './handmade-cluster.js';

const value = fc.constantFrom('1.0-1', '1.0-2', '1:0.9-1', '2.0~rc1-1', '0', '');
const items = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'pacemaker', 'libc6:amd64'), value, { maxKeys: 4 });
const node = fc.record({ sysctl: items, packages: items });
// Few distinct nodes, repeated: clusters of near-copies, where digests skip the most.
const cluster = fc
  .tuple(fc.array(node, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 7 }))
  .map(([distinct, picks]) => picks.map((p) => distinct[p % distinct.length] as (typeof distinct)[number]));

function build(spec: { sysctl: Record<string, string>; packages: Record<string, string> }[], digests: boolean): NodeSnapshot[] {
  const snapshots = spec.map((s, i) => snap(`n${i}`, { sysctl: s.sysctl, packages: debPackages(s.packages) }));
  if (digests) {
    for (const s of snapshots) for (const f of Object.values(s.facets)) setFacetDigest(f, canonicalJson(facetContent(f)));
  }
  return snapshots;
}

describe('collection digests in the peer diff', () => {
  it('digests that honour their contract never change a report', () => {
    fc.assert(
      fc.property(cluster, (spec) => {
        expect(check(build(spec, true))).toEqual(check(build(spec, false)));
      }),
      { numRuns: 300 },
    );
  });

  it('a facet whose digest was already surveyed is not read again (the digest is trusted)', () => {
    const same = { sysctl: { 'vm.swappiness': '10' } };
    const drifted = { sysctl: { 'vm.swappiness': '60' } };
    const snapshots = [snap('a', same), snap('b', same), snap('c', drifted)];
    expect(check(snapshots).findings.map((f) => f.outliers)).toEqual([['c']]);
    // Marked as the same answer as a and b: the survey skips c, so its difference goes unseen.
    for (const s of snapshots) if (s.facets.sysctl) setFacetDigest(s.facets.sysctl, 'one answer');
    expect(check(snapshots).findings).toEqual([]);
  });
});
