import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeSnapshot } from '../../../src/core/snapshot.js';
import { check } from './check.js';
import { debPackages, snap } from './handmade-cluster.js';

const value = fc.constantFrom('1.0-1', '1.0-2', '1:0.9-1', '2.0~rc1-1', '0', 'x y', '');
const items = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'pacemaker', 'libc6:amd64'), value, { maxKeys: 5 });
const node = fc.record({ sysctl: items, packages: items });
const cluster = fc.array(node, { minLength: 1, maxLength: 5 });

function build(spec: { sysctl: Record<string, string>; packages: Record<string, string> }[]): NodeSnapshot[] {
  return spec.map((s, i) => snap(`n${i}`, { sysctl: s.sysctl, packages: debPackages(s.packages) }));
}

describe('evaluateCluster on arbitrary clusters', () => {
  it('always returns a valid report whose outliers are cluster nodes', () => {
    fc.assert(
      fc.property(cluster, (spec) => {
        const report = check(build(spec)); // check() validates against CheckReportSchema
        const names = new Set(report.nodes.map((n) => n.name));
        for (const f of report.findings) for (const o of f.outliers) expect(names.has(o)).toBe(true);
        expect(report.score).toBe(Math.min(...report.nodes.map((n) => n.score)));
      }),
      { numRuns: 200 },
    );
  });

  it('copies of one node never drift', () => {
    fc.assert(
      fc.property(node, fc.integer({ min: 1, max: 6 }), (one, count) => {
        expect(check(build(Array.from({ length: count }, () => one))).findings).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('the order of nodes does not change which findings there are or who the outliers are', () => {
    fc.assert(
      fc.property(cluster, (spec) => {
        const snaps = build(spec);
        const summary = (s: NodeSnapshot[]) =>
          check(s)
            .findings.map((f) => `${f.id} ${[...f.outliers].sort().join(',')} ${f.majority}`)
            .sort();
        expect(summary([...snaps].reverse())).toEqual(summary(snaps));
      }),
      { numRuns: 200 },
    );
  });
});
