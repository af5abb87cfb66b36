import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../../src/config/load.js';
import { compileRules, explainFinding, matchingRules, resolveRule, waiverEndMs } from '../../../src/core/engine/rules/compile.js';
import { compileKeyPattern } from '../../../src/core/engine/rules/match.js';
import { parseRulePack } from '../../../src/rules/parse.js';

function issuesOf(text: string, file = 'pack.yaml'): string[] {
  try {
    parseRulePack(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('key patterns', () => {
  it.each([
    ['pacemaker', 'pacemaker', true],
    ['pacemaker', 'pacemaker-cli', false],
    ['pacemaker*', 'pacemaker-cli', true],
    ['libknet?', 'libknet1', true],
    ['libknet?', 'libknet12', false],
    ['/etc/corosync/*', '/etc/corosync/uidgid.d/hacluster', true],
    ['/etc/corosync/*', '/etc/corosync', false],
    ['net.ipv4.*', 'net.ipv4.ip_forward', true],
    ['net.ipv4.*', 'netXipv4.ip_forward', false],
    ['/^kernel\\.(hostname|domainname)$/', 'kernel.hostname', true],
    ['/^kernel\\.(hostname|domainname)$/', 'kernel.hostname2', false],
    ['/PACEMAKER/i', 'pacemaker', true],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(compileKeyPattern(pattern)(key)).toBe(expected);
  });
});

describe('parseRulePack', () => {
  it('accepts a pack using every rule feature', () => {
    const pack = parseRulePack(
      [
        'pack: site',
        'rules:',
        '  - name: swappiness',
        '    description: tuned for databases',
        '    match: { facet: [sysctl], key: vm.swappiness }',
        '    severity: critical',
        '    normalize: [{ pattern: "\\\\s+", replace: " " }]',
        '    allowSkew: revision',
        '    expect: { equals: 10 }',
        '    waivers:',
        '      - { justification: "change CHG-1", author: alice, expires: 2026-12-31, key: "vm.*" }',
        '  - name: hostname',
        '    match: { facet: sysctl, key: /^kernel\\.hostname$/ }',
        '    nodeSpecific: true',
      ].join('\n'),
      'site.yaml',
    );
    expect(pack.file).toBe('site.yaml');
    expect(pack.rules[0]?.expect?.equals).toBe('10');
    expect(pack.rules[0]?.waivers?.[0]?.expires).toBe('2026-12-31');
    expect(pack.rules[1]?.nodeSpecific).toBe(true);
  });

  it.each([
    [
      'unknown key',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    severty: warning\n',
      'p.yaml:5:5: unknown key "severty"',
    ],
    [
      'bad severity',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    severity: loud\n',
      'p.yaml:5:5: rules[0].severity: expected one of',
    ],
    [
      'bad facet',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctls, key: a }\n',
      'p.yaml:4:14: rules[0].match.facet: facet is one of os, kernel',
    ],
    [
      'bad regex key',
      'pack: p\nrules:\n  - name: r\n    match:\n      facet: sysctl\n      key: /a(/\n',
      'p.yaml:6:7: rules[0].match.key: invalid regular expression /a(/',
    ],
    [
      'bad normalize pattern',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    normalize:\n      - pattern: "[z"\n        replace: ""\n',
      'p.yaml:6:9: rules[0].normalize[0].pattern: invalid regular expression',
    ],
    // Issue #22: patterns that could take exponential time on a hostile key are refused at load.
    [
      'nested quantifier key',
      "pack: p\nrules:\n  - name: r\n    match:\n      facet: packages\n      key: '/^(a+)+$/'\n",
      'p.yaml:6:7: rules[0].match.key: invalid regular expression /^(a+)+$/: "(a+)+" repeats a group that itself repeats',
    ],
    [
      'nested quantifier normalize',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    normalize:\n      - pattern: "^(.*a){20}$"\n        replace: ""\n',
      'p.yaml:6:9: rules[0].normalize[0].pattern: invalid regular expression: "(.*a){20}" repeats',
    ],
    [
      'backreference',
      "pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: '/(a)\\1/' }\n",
      'p.yaml:4:29: rules[0].match.key: invalid regular expression /(a)\\1/: a backreference',
    ],
    [
      'lookahead',
      "pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: '/^(?=(a+)+$)/' }\n",
      'p.yaml:4:29: rules[0].match.key: invalid regular expression /^(?=(a+)+$)/: lookahead and lookbehind',
    ],
    [
      'waiver key',
      "pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    waivers:\n      - { justification: j, author: a, expires: 2030-01-01, key: '/^(x*)*$/' }\n",
      'p.yaml:6:61: rules[0].waivers[0].key: invalid regular expression /^(x*)*$/: "(x*)*" repeats',
    ],
    [
      'bad expiry',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    waivers:\n      - justification: j\n        author: a\n        expires: next tuesday\n',
      'p.yaml:8:9: rules[0].waivers[0].expires: expires is an ISO date',
    ],
    [
      'empty expect',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    expect: {}\n',
      'p.yaml:5:5: rules[0].expect: expect needs one of',
    ],
    [
      'present and absent',
      'pack: p\nrules:\n  - name: r\n    match: { facet: sysctl, key: a }\n    expect: { present: true, absent: true }\n',
      'p.yaml:5:30: rules[0].expect.absent: expect cannot be both',
    ],
    ['missing match', 'pack: p\nrules:\n  - name: r\n', 'p.yaml:3:5: rules[0].match: expected object (missing)'],
    ['YAML syntax', 'pack: p\nrules:\n  - name: [r\n', 'p.yaml:4:1: YAML:'],
    ['duplicate key', 'pack: p\npack: q\n', 'p.yaml:2:1: YAML:'],
    ['unresolved alias', '*-', 'p.yaml:1:1: YAML:'],
  ])('%s -> file:line:col', (_name, text, expected) => {
    const issues = issuesOf(text, 'p.yaml');
    expect(issues.length).toBeGreaterThan(0);
    expect(
      issues.some((i) => i.startsWith(expected)),
      issues.join('\n'),
    ).toBe(true);
  });

  it('a backtracking-heavy pattern that passed the load check stays fast on a long hostile key (issue #22)', () => {
    // No nested quantifier, so it loads; without the linear-time fallback each of these
    // takes seconds to hours on keys like these.
    const rules = compileRules([
      parseRulePack(
        [
          'pack: p',
          'rules:',
          "  - { name: alt, match: { facet: packages, key: '/^(a|aa)+$/' }, severity: info }",
          "  - { name: poly, match: { facet: packages, key: '/.*.*.*.*.*.*x/' }, severity: info }",
          '',
        ].join('\n'),
        'p.yaml',
      ),
    ]);
    const started = performance.now();
    expect(matchingRules(rules, 'packages', `${'a'.repeat(5000)}!`)).toEqual([]);
    expect(matchingRules(rules, 'packages', `${'a'.repeat(3000)}!`)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('never throws anything but ConfigError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseRulePack(text, 'fuzz.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('resolveRule: later rules override earlier ones field by field', () => {
  const early = parseRulePack(
    [
      'pack: shipped',
      'rules:',
      '  - name: all-sysctl',
      '    match: { facet: sysctl, key: "*" }',
      '    severity: critical',
      '    allowSkew: minor',
      '    waivers: [{ justification: j1, author: a1, expires: 2027-01-01 }]',
    ].join('\n'),
    'shipped.yaml',
  );
  const late = parseRulePack(
    [
      'pack: user',
      'rules:',
      '  - name: swappiness-normalize',
      '    match: { facet: sysctl, key: vm.swappiness }',
      '    normalize: [{ pattern: "^0+", replace: "" }]',
      '  - name: swappiness-info',
      '    match: { facet: sysctl, key: "vm.*" }',
      '    severity: info',
      '    waivers: [{ justification: j2, author: a2, expires: 2027-02-01, key: vm.dirty_ratio }]',
    ].join('\n'),
    'user.yaml',
  );
  const rules = compileRules([early, late]);

  it('takes each field from the last rule that sets it', () => {
    const eff = resolveRule(rules, 'sysctl', 'vm.swappiness');
    expect(eff.severity).toBe('info');
    expect(eff.severityRule).toBe('swappiness-info');
    expect(eff.allowSkew).toBe('minor');
    expect(eff.normalize).toHaveLength(1);
  });

  it('keeps the earlier severity where no later rule matches', () => {
    const eff = resolveRule(rules, 'sysctl', 'kernel.panic');
    expect(eff.severity).toBe('critical');
    expect(eff.severityRule).toBe('all-sysctl');
    expect(eff.normalize).toHaveLength(0);
  });

  it('accumulates waivers, narrowed by their own key', () => {
    expect(resolveRule(rules, 'sysctl', 'vm.swappiness').waivers.map((w) => w.author)).toEqual(['a1']);
    expect(resolveRule(rules, 'sysctl', 'vm.dirty_ratio').waivers.map((w) => w.author)).toEqual(['a1', 'a2']);
  });

  it('does not apply rules of another facet', () => {
    const eff = resolveRule(rules, 'packages', 'vm.swappiness');
    expect(eff.severity).toBeUndefined();
    expect(eff.severityRule).toBeNull();
  });

  it('explains which rules set what, in order', () => {
    const explained = explainFinding(rules, { facet: 'sysctl', key: 'vm.dirty_ratio' });
    expect(explained.map((e) => e.rule)).toEqual(['all-sysctl', 'swappiness-info']);
    expect(explained[0]?.sets).toEqual({
      severity: 'critical',
      allowSkew: 'minor',
      waivers: [{ justification: 'j1', author: 'a1', expires: '2027-01-01' }],
    });
    expect(explained[1]?.sets).toEqual({
      severity: 'info',
      waivers: [{ justification: 'j2', author: 'a2', expires: '2027-02-01', key: 'vm.dirty_ratio' }],
    });
    expect(explained[1]?.file).toBe('user.yaml');
    expect(explainFinding(rules, { facet: 'node', key: 'erp-a' })).toEqual([]);
  });
});

describe('waiver expiry', () => {
  it('a date-only expiry covers that whole UTC day', () => {
    expect(waiverEndMs('2026-12-31')).toBe(Date.parse('2027-01-01T00:00:00Z'));
  });
  it('a date-time expiry is taken as written', () => {
    expect(waiverEndMs('2026-12-31T18:00:00Z')).toBe(Date.parse('2026-12-31T18:00:00Z'));
  });
});
