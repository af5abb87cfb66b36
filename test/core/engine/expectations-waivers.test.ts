import { describe, expect, it } from 'vitest';
import { check, only, rules } from './check.js';
import { debPackages, snap } from './handmade-cluster.js';

const three = (values: (string | undefined)[]) =>
  values.map((v, i) => snap(`erp-${'abc'[i]}`, { sysctl: v === undefined ? {} : { 'vm.swappiness': v } }));

describe('expectations', () => {
  const expectRule = (expectation: string) =>
    rules('  - name: swap', '    match: { facet: sysctl, key: vm.swappiness }', `    expect: ${expectation}`);

  it('reports a violated expectation even when every node agrees', () => {
    const report = check(three(['60', '60', '60']), { rules: expectRule('{ equals: 10 }') });
    const f = only(report.findings);
    expect(f).toMatchObject({
      kind: 'expectation',
      severity: 'warning',
      values: { 'erp-a': '60', 'erp-b': '60', 'erp-c': '60' },
      outliers: ['erp-a', 'erp-b', 'erp-c'],
      majority: null,
    });
    // Every node agrees: said as a setting to change once, not as an outlier hunt.
    expect(f.message).toBe(
      'sysctl vm.swappiness: every node has 60; rule swap expects 10 (the nodes agree: change it once for the whole cluster)',
    );
  });

  it.each([
    ['{ equals: 10 }', ['10', '10', '10'], []],
    ['{ equals: 10 }', ['10', '10', '60'], ['erp-c']],
    ['{ oneOf: [1, 10] }', ['1', '10', '60'], ['erp-c']],
    ['{ min: 5 }', ['4', '5', '60'], ['erp-a']],
    ['{ max: 10 }', ['4', '10', '60'], ['erp-c']],
    ['{ min: 1, max: 10 }', ['0', '5', '11'], ['erp-a', 'erp-c']],
    ['{ min: 1 }', ['abc', '5', '5'], ['erp-a']],
    ['{ absent: true }', ['1', undefined, undefined], ['erp-a']],
  ])('%s on %j -> outliers %j', (expectation, values, outliers) => {
    const findings = check(three(values), { rules: expectRule(expectation) }).findings.filter((f) => f.kind === 'expectation');
    expect(findings.flatMap((f) => f.outliers)).toEqual(outliers);
  });

  it('present: reports a key missing on some nodes, or everywhere', () => {
    const r = expectRule('{ present: true }');
    const some = check(three(['10', undefined, '10']), { rules: r }).findings.filter((f) => f.kind === 'expectation');
    expect(only(some)).toMatchObject({
      key: 'vm.swappiness',
      outliers: ['erp-b'],
      values: { 'erp-a': '10', 'erp-b': null, 'erp-c': '10' },
    });
    const none = check(three([undefined, undefined, undefined]), { rules: r });
    expect(only(none.findings)).toMatchObject({ kind: 'expectation', outliers: ['erp-a', 'erp-b', 'erp-c'] });
    expect(check(three(['1', '1', '1']), { rules: r }).findings).toEqual([]);
  });

  it('present with a glob asks for at least one matching key per node', () => {
    const r = rules('  - name: knet', '    match: { facet: packages, key: "libknet*" }', '    expect: { present: true }');
    const report = check(
      [
        snap('erp-a', { packages: debPackages({ libknet1: '1.25-1' }) }),
        snap('erp-b', { packages: debPackages({ libknet1: '1.25-1' }) }),
        snap('erp-c', { packages: debPackages({}) }),
      ],
      { rules: r },
    );
    const f = only(report.findings.filter((x) => x.kind === 'expectation'));
    expect(f).toMatchObject({ key: 'libknet*', outliers: ['erp-c'], values: { 'erp-a': 'present', 'erp-c': null } });
  });

  it('min on a package compares versions, not numbers', () => {
    const r = rules('  - name: pcmk', '    match: { facet: packages, key: pacemaker }', '    expect: { min: 2.1.10-1 }');
    const report = check(
      [
        snap('erp-a', { packages: debPackages({ pacemaker: '2.1.9-1' }) }),
        snap('erp-b', { packages: debPackages({ pacemaker: '2.1.9-1' }) }),
      ],
      { rules: r },
    );
    expect(only(report.findings)).toMatchObject({ kind: 'expectation', outliers: ['erp-a', 'erp-b'] });
    expect(only(report.findings).message).toContain('expects at least 2.1.10-1');
  });

  it('a later rule replacing the expectation stops the earlier one', () => {
    const r = rules(
      '  - name: strict',
      '    match: { facet: sysctl, key: vm.swappiness }',
      '    expect: { present: true }',
      '  - name: relaxed',
      '    match: { facet: sysctl, key: vm.swappiness }',
      '    expect: { max: 100 }',
    );
    expect(check(three([undefined, undefined, undefined]), { rules: r }).findings).toEqual([]);
  });
});

describe('waivers', () => {
  const waived = (expires: string) =>
    rules(
      '  - name: swap',
      '    match: { facet: sysctl, key: "vm.*" }',
      '    severity: critical',
      '    waivers:',
      `      - { justification: "CHG-1234 tuning test on erp-c", author: alice, expires: "${expires}" }`,
    );
  const snaps = three(['10', '10', '60']);

  it('before expiry: reported as waived, not counted, not scored', () => {
    const report = check(snaps, { rules: waived('2026-11-26') });
    const f = only(report.findings);
    expect(f.waived).toBe(true);
    expect(f.waiver).toEqual({ justification: 'CHG-1234 tuning test on erp-c', author: 'alice', expires: '2026-11-26', rule: 'swap' });
    expect(report.summary).toEqual({ critical: 0, warning: 0, info: 0, waived: 1 });
    expect(report.ready).toBe(true);
    expect(report.nodes.find((n) => n.name === 'erp-c')).toMatchObject({ ready: true, score: 1, contributions: [] });
  });

  it('after expiry: back, unwaived, with a note', () => {
    const report = check(snaps, { rules: waived('2026-11-25') });
    const f = only(report.findings);
    expect(f.waived).toBe(false);
    expect(f.waiver).toBeUndefined();
    expect(f.message).toContain('(waiver by alice in rule swap expired 2026-11-25)');
    expect(report.summary.critical).toBe(1);
    expect(report.nodes.find((n) => n.name === 'erp-c')).toMatchObject({ ready: false, score: 0.5 });
  });

  it('a date-time expiry lapses at that instant', () => {
    expect(only(check(snaps, { rules: waived('2026-11-26T08:00:01Z') }).findings).waived).toBe(true);
    expect(only(check(snaps, { rules: waived('2026-11-26T08:00:00Z') }).findings).waived).toBe(false);
  });

  it('a waiver narrowed by key covers only that key', () => {
    const r = rules(
      '  - name: all',
      '    match: { facet: sysctl, key: "*" }',
      '    waivers: [{ justification: j, author: bob, expires: 2030-01-01, key: vm.dirty_ratio }]',
    );
    const report = check(three(['10', '10', '60']), { rules: r });
    expect(only(report.findings).waived).toBe(false);
  });
});
