import { describe, expect, it } from 'vitest';
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
    const report = check([snap('erp-a', { packages: debPackages({ x: '2.1.9-1' }) }), snap('erp-b', { packages: debPackages({ x: '2.1.10-1' }) })]);
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
    expect(f.message).toBe('corosync: erp-a, erp-b are behind (3.1.7-1.el9 < 3.1.8-1.el9, upstream skew); erp-c newer than the rest (majority has 3.1.7-1.el9)');
  });

  it('compares the running kernel release with the packages format', () => {
    const report = check([
      snap('erp-a', { kernel: { release: '6.1.0-18-amd64' }, packages: debPackages({}) }),
      snap('erp-b', { kernel: { release: '6.1.0-17-amd64' }, packages: debPackages({}) }),
    ]);
    expect(only(report.findings).detail).toMatchObject({ newest: '6.1.0-18-amd64', behind: ['erp-b'] });
  });

  it('a cluster mixing deb and rpm compares versions as plain strings (no version detail)', () => {
    const report = check([snap('erp-a', { packages: debPackages({ x: '1.0-1' }) }), snap('erp-b', { packages: rpmPackages({ x: '1.0-2' }) })]);
    expect(only(report.findings).detail).toBeUndefined();
  });

  describe('allowSkew', () => {
    const tolerate = (tolerance: string) =>
      rules('  - name: tolerate', '    match: { facet: packages, key: "lib*" }', `    allowSkew: ${tolerance}`);
    const pair = (a: string, b: string) => [snap('erp-a', { packages: debPackages({ libqb100: a }) }), snap('erp-b', { packages: debPackages({ libqb100: b }) })];

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
