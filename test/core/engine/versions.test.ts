import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeVersions, withinTolerance } from '../../../src/core/engine/versions.js';
import type { VersionSkew } from '../../../src/core/findings.js';
import { allowedSkew, compareVersions, versionSkew, type VersionFormat } from '../../../src/core/versions/index.js';
import { rpmVersionString, validDebVersion } from '../versions/arbitraries.js';
import { check, only, rules } from './check.js';
import { debPackages, facet, snap } from './handmade-cluster.js';

const rpmPackages = (items: Record<string, string>) => facet(items, { meta: { format: 'rpm' } });

describe('version semantics', () => {
  it('names the nodes behind the newest version, with the skew', () => {
    const report = check([
      snap('erp-a', { packages: debPackages({ pacemaker: '2.1.6-1' }) }),
      snap('erp-b', { packages: debPackages({ pacemaker: '2.1.6-1' }) }),
      snap('erp-c', { packages: debPackages({ pacemaker: '2.1.5-1' }) }),
    ]);
    const f = only(report.findings);
    expect(f.message).toBe('pacemaker: erp-c is behind (2.1.5-1 < 2.1.6-1, upstream skew)');
    expect(f.detail).toEqual({ newest: '2.1.6-1', behind: ['erp-c'], skew: 'upstream' });
    expect(f.outliers).toEqual(['erp-c']);
  });

  it.each([
    ['revision', 'deb', '2.1.6-1', '2.1.6-2'],
    ['upstream', 'deb', '2.1.6-1', '2.1.10-1'],
    ['epoch', 'deb', '2.1.6-1', '1:2.0-1'],
    ['revision', 'rpm', '2.1.6-1.el9', '2.1.6-3.el9'],
    ['upstream', 'rpm', '2.1.6-1.el9', '2.1.7-1.el9'],
    ['epoch', 'rpm', '2.1.6-1.el9', '1:2.1.6-1.el9'],
  ])('%s skew in %s (%s < %s)', (skew, format, older, newer) => {
    const pk = (v: string) => facet({ pcs: v }, { meta: { format } });
    const report = check([snap('erp-a', { packages: pk(newer) }), snap('erp-b', { packages: pk(older) })]);
    expect(only(report.findings).detail).toEqual({ newest: newer, behind: ['erp-b'], skew });
  });

  it('orders by the real version rules, not as strings (2.1.10 is newer than 2.1.9)', () => {
    const report = check([
      snap('erp-a', { packages: debPackages({ x: '2.1.9-1' }) }),
      snap('erp-b', { packages: debPackages({ x: '2.1.10-1' }) }),
    ]);
    expect(only(report.findings).detail?.behind).toEqual(['erp-a']);
  });

  it('says which nodes are behind when the majority is the older version', () => {
    const report = check([
      snap('erp-a', { packages: rpmPackages({ corosync: '3.1.7-1.el9' }) }),
      snap('erp-b', { packages: rpmPackages({ corosync: '3.1.7-1.el9' }) }),
      snap('erp-c', { packages: rpmPackages({ corosync: '3.1.8-1.el9' }) }),
    ]);
    const f = only(report.findings);
    expect(f.outliers).toEqual(['erp-c']);
    expect(f.detail?.behind).toEqual(['erp-a', 'erp-b']);
    expect(f.message).toBe(
      'corosync: erp-a, erp-b are behind (3.1.7-1.el9 < 3.1.8-1.el9, upstream skew); erp-c newer than the rest (majority has 3.1.7-1.el9)',
    );
  });

  it('compares the running kernel release with the packages format', () => {
    const report = check([
      snap('erp-a', { kernel: { release: '6.1.0-18-amd64' }, packages: debPackages({}) }),
      snap('erp-b', { kernel: { release: '6.1.0-17-amd64' }, packages: debPackages({}) }),
    ]);
    expect(only(report.findings).detail).toMatchObject({ newest: '6.1.0-18-amd64', behind: ['erp-b'] });
  });

  it('a cluster mixing deb and rpm compares versions as plain strings (no version detail)', () => {
    const report = check([
      snap('erp-a', { packages: debPackages({ x: '1.0-1' }) }),
      snap('erp-b', { packages: rpmPackages({ x: '1.0-2' }) }),
    ]);
    expect(only(report.findings).detail).toBeUndefined();
  });

  describe('allowSkew', () => {
    const tolerate = (tolerance: string) =>
      rules('  - name: tolerate', '    match: { facet: packages, key: "lib*" }', `    allowSkew: ${tolerance}`);
    const pair = (a: string, b: string) => [
      snap('erp-a', { packages: debPackages({ libqb100: a }) }),
      snap('erp-b', { packages: debPackages({ libqb100: b }) }),
    ];

    it.each([
      ['none', '2.0.6-1', '2.0.6-2', 1],
      ['revision', '2.0.6-1', '2.0.6-2', 0],
      ['revision', '2.0.6-1', '2.0.7-1', 1],
      ['minor', '2.0.6-1', '2.0.8-3', 0],
      ['minor', '2.0.6-1', '2.1.0-1', 1],
      ['minor', '2.0.6-1', '1:2.0.6-1', 1],
    ])('%s: %s vs %s -> %i finding(s)', (tolerance, a, b, count) => {
      expect(check(pair(a, b), { rules: tolerate(tolerance) }).findings).toHaveLength(count);
    });

    it('does not excuse a package missing on a node', () => {
      const report = check(
        [snap('erp-a', { packages: debPackages({ libqb100: '2.0.6-1' }) }), snap('erp-b', { packages: debPackages({}) })],
        { rules: tolerate('minor') },
      );
      expect(only(report.findings).kind).toBe('missing');
    });
  });
});

describe('version detail computed once per distinct value', () => {
  const SKEW_RANK = { revision: 1, upstream: 2, epoch: 3 } as const;
  /** Every node compared with the newest on its own: what describeVersions must equal. */
  function naiveDetail(format: VersionFormat, values: readonly { node: string; value: string | null }[]) {
    const present = values.filter((v): v is { node: string; value: string } => v.value !== null);
    let top: string | undefined;
    for (const v of present) if (top === undefined || compareVersions(format, v.value, top) > 0) top = v.value;
    if (top === undefined) return undefined;
    const newestValue = top;
    const behind = present.filter((v) => compareVersions(format, v.value, newestValue) < 0);
    let skew: VersionSkew | undefined;
    for (const b of behind) {
      const s = versionSkew(format, b.value, newestValue);
      if (s !== null && (skew === undefined || SKEW_RANK[s] > SKEW_RANK[skew])) skew = s;
    }
    return skew === undefined ? { newest: newestValue, behind } : { newest: newestValue, behind, skew };
  }

  const nodeValues = (version: fc.Arbitrary<string>) =>
    fc
      .array(fc.option(version, { nil: null }), { minLength: 1, maxLength: 12 })
      .map((vs) => vs.map((value, i) => ({ node: `n${i}`, value })));
  /** Few distinct values repeated over many nodes, like a real cluster. */
  const fewValues = (pool: fc.Arbitrary<string>) =>
    fc
      .tuple(
        fc.array(pool, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
      )
      .map(([distinct, picks, absent]) =>
        picks.map((pick, i) => ({ node: `n${i}`, value: absent[i] ? null : (distinct[pick % distinct.length] as string) })),
      );

  it.each([
    ['deb', validDebVersion],
    ['rpm', rpmVersionString],
  ] as const)('%s: equals comparing every node (property)', (format, version) => {
    fc.assert(
      fc.property(fc.oneof(fewValues(version), nodeValues(version)), (values) => {
        expect(describeVersions(format, values)).toEqual(naiveDetail(format, values));
        const raw = values.map((v) => v.value);
        for (const tolerance of ['none', 'revision', 'minor'] as const) {
          const present = raw.filter((v): v is string => v !== null);
          const top = naiveDetail(format, values)?.newest;
          const naive =
            tolerance !== 'none' &&
            present.length === raw.length &&
            top !== undefined &&
            present.every((v) => allowedSkew(format, v, top, tolerance));
          expect(withinTolerance(format, raw, tolerance)).toBe(naive);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('identical text compares equal without parsing, in both formats', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(compareVersions('deb', text, text)).toBe(0);
        expect(compareVersions('rpm', text, text)).toBe(0);
      }),
    );
  });
});
