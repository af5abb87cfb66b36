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

describe('clusters of near-copies (the engine reads in full only the keys that vary)', () => {
  const itemSpec = fc.record({ value: fc.constantFrom('1', '2', '3'), nodeSpecific: fc.constantFrom(undefined, 'own address') });
  // 'constructor' and 'toString' are keys an object also inherits: absent must stay absent.
  const base = fc.dictionary(fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5', 'constructor'), itemSpec, { minKeys: 1, maxKeys: 6 });
  // Each further node is a copy of the first with a few edits: a value, a removal, an addition.
  const edit = fc.record({
    key: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5', 'constructor', 'k7', 'toString'),
    change: fc.constantFrom('value', 'remove', 'add'),
    value: fc.constantFrom('1', '2', '9'),
  });
  const spec = fc.record({ first: base, others: fc.array(fc.array(edit, { maxLength: 2 }), { minLength: 1, maxLength: 6 }) });

  type ItemLike = { value: string; nodeSpecific?: string };
  function itemsOf(
    first: Record<string, { value: string; nodeSpecific: string | undefined }>,
    edits: { key: string; change: string; value: string }[],
  ): Record<string, ItemLike> {
    const out: Record<string, ItemLike> = {};
    for (const [k, v] of Object.entries(first))
      out[k] = v.nodeSpecific === undefined ? { value: v.value } : { value: v.value, nodeSpecific: v.nodeSpecific };
    for (const e of edits) {
      if (e.change === 'remove') delete out[e.key];
      else if (e.change === 'value' && Object.hasOwn(out, e.key)) out[e.key] = { ...out[e.key]!, value: e.value };
      else if (e.change === 'add' && !Object.hasOwn(out, e.key)) out[e.key] = { value: e.value };
    }
    return out;
  }

  it('reports drift on exactly the keys whose values differ and no node marks node-specific', () => {
    fc.assert(
      fc.property(spec, ({ first, others }) => {
        const all = [itemsOf(first, []), ...others.map((edits) => itemsOf(first, edits))];
        const report = check(all.map((items, i) => snap(`n${i}`, { sysctl: items })));
        const flagged = new Set(
          report.findings.filter((f) => f.facet === 'sysctl' && (f.kind === 'mismatch' || f.kind === 'missing')).map((f) => f.key),
        );
        const keys = new Set(all.flatMap((items) => Object.keys(items)));
        for (const key of keys) {
          const own = (items: Record<string, ItemLike>) => (Object.hasOwn(items, key) ? items[key] : undefined);
          const values = all.map((items) => own(items)?.value ?? null);
          const nodeSpecific = all.some((items) => own(items)?.nodeSpecific !== undefined);
          const drifts = !nodeSpecific && values.some((v) => v !== values[0]);
          expect(flagged.has(key), `${key}: ${JSON.stringify(values)} nodeSpecific=${nodeSpecific}`).toBe(drifts);
          if (drifts) {
            const finding = report.findings.find((f) => f.facet === 'sysctl' && f.key === key);
            expect(Object.values(finding?.values ?? {})).toEqual(values);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
