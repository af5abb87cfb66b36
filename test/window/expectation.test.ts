import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import {
  checkExpectation,
  ConstraintParseError,
  isAllowedChange,
  keyMatchesName,
  parseConstraint,
  satisfies,
  type Constraint,
} from '../../src/core/window/expectation.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { parseExpectationText } from '../../src/window/expectation-file.js';

function constraint(text: string): Constraint {
  const parsed = parseConstraint(text);
  if (parsed instanceof ConstraintParseError) throw parsed;
  return parsed;
}

describe('parseConstraint', () => {
  it.each([
    ['absent', { kind: 'absent', text: 'absent' }],
    ['present', { kind: 'present', text: 'present' }],
    ['3.0.15-1~deb12u1', { kind: 'compare', text: '3.0.15-1~deb12u1', clauses: [{ op: '=', value: '3.0.15-1~deb12u1' }] }],
    ['>=3.0.15-1~deb12u1', { kind: 'compare', text: '>=3.0.15-1~deb12u1', clauses: [{ op: '>=', value: '3.0.15-1~deb12u1' }] }],
    ['> 1.0', { kind: 'compare', text: '> 1.0', clauses: [{ op: '>', value: '1.0' }] }],
    ['1.0 2.0', { kind: 'compare', text: '1.0 2.0', clauses: [{ op: '=', value: '1.0 2.0' }] }],
    [
      '>=3.0, <3.1',
      {
        kind: 'compare',
        text: '>=3.0, <3.1',
        clauses: [
          { op: '>=', value: '3.0' },
          { op: '<', value: '3.1' },
        ],
      },
    ],
    [' <= 2 ', { kind: 'compare', text: '<= 2', clauses: [{ op: '<=', value: '2' }] }],
  ])('%j', (text, want) => {
    expect(parseConstraint(text)).toEqual(want);
  });

  it.each(['', '   ', '>=', '=>1.0', '>>1', '>=1.0 2.0', '>=1,', '>=1, 2'])('refuses %j with a typed error', (text) => {
    expect(parseConstraint(text)).toBeInstanceOf(ConstraintParseError);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseConstraint(text);
        return parsed instanceof ConstraintParseError || ['absent', 'present', 'compare'].includes(parsed.kind);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('satisfies (version ordering of the package format)', () => {
  it.each([
    // deb: ~ sorts before everything, so a backport revision is older than the plain one.
    ['>=3.0.15-1~deb12u1', '3.0.15-1~deb12u1', 'deb', true],
    ['>=3.0.15-1~deb12u1', '3.0.15-1', 'deb', true],
    ['>=3.0.15-1', '3.0.15-1~deb12u1', 'deb', false],
    ['>=3.0.15-1~deb12u1', '3.0.11-1~deb12u2', 'deb', false],
    ['>3.0.15-1~deb12u1', '3.0.15-1~deb12u1', 'deb', false],
    ['>3.0.15-1~deb12u1', '3.0.15-1~deb12u2', 'deb', true],
    ['<=1.2', '1.2', 'deb', true],
    ['<1.2', '1.2', 'deb', false],
    ['<1.10', '1.9', 'deb', true],
    ['=1.0', '1.0-0', 'deb', true],
    ['=1:1.0', '1.0', 'deb', false],
    ['>=3.0, <3.1', '3.0.19-1', 'deb', true],
    ['>=3.0, <3.1', '3.1.0-1', 'deb', false],
    // rpm: no ~ rule difference here, but 1.0.10 > 1.0.9 and the release counts.
    ['>=1.0.10-1.el9', '1.0.9-1.el9', 'rpm', false],
    ['>=1.0.10-1.el9', '1.0.10-2.el9', 'rpm', true],
    // rpm may list several installed versions: any one satisfying is enough.
    ['>=5.14.0-427', '5.14.0-362 5.14.0-427', 'rpm', true],
  ] as const)('%s holds for %s (%s): %s', (text, value, format, want) => {
    expect(satisfies(constraint(text), value, format)).toBe(want);
  });

  it.each([
    ['absent', null, true],
    ['absent', '1.0', false],
    ['present', null, false],
    ['present', '1.0', true],
    ['>=1.0', null, false],
  ] as const)('%s with value %j: %s', (text, value, want) => {
    expect(satisfies(constraint(text), value, 'deb')).toBe(want);
  });

  it('compares non-version facets by exact text for =', () => {
    expect(satisfies(constraint('10'), '10', 'deb', 'sysctl')).toBe(true);
    expect(satisfies(constraint('10'), '010', 'deb', 'sysctl')).toBe(false);
    expect(satisfies(constraint('4096 16384 4194304'), '4096 16384 4194304', 'deb', 'sysctl')).toBe(true);
  });
});

describe('keyMatchesName', () => {
  it.each([
    ['packages', 'libssl3', 'libssl3', true],
    ['packages', 'libssl3', 'libssl3:amd64', true],
    ['packages', 'libssl3', 'libssl3:i386', true],
    ['packages', 'glibc', 'glibc.x86_64', true],
    ['packages', 'python3', 'python3.11', false],
    ['packages', 'libssl3', 'libssl3-dev', false],
    ['packages', 'libssl3:amd64', 'libssl3:amd64', true],
    ['sysctl', 'vm.swappiness', 'vm.swappiness', true],
    ['sysctl', 'vm', 'vm.swappiness', false],
  ] as const)('%s %s covers %s: %s', (facet, name, key, want) => {
    expect(keyMatchesName(facet, name, key)).toBe(want);
  });
});

function snapshot(packages: Record<string, string>, kernel?: Record<string, string>, format = 'deb'): NodeSnapshot {
  const items = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { value: v }]));
  const s: NodeSnapshot = {
    cluster: 'c',
    node: 'n1',
    takenAt: '2026-11-26T00:00:00Z',
    facets: { packages: { status: 'ok', items: items(packages), meta: { format } } },
  };
  if (kernel) s.facets.kernel = { status: 'ok', items: items(kernel) };
  return s;
}

describe('checkExpectation', () => {
  const expectation = parseExpectationText(
    [
      'name: openssl-dsa',
      'packages:',
      '  openssl: ">=3.0.15-1~deb12u1"',
      '  libssl3: ">=3.0.15-1~deb12u1"',
      '  telnet: absent',
      'kernel:',
      '  release: 6.1.0-28-amd64',
    ].join('\n'),
    'expect.yaml',
  );

  it('passes a node that has the whole change', () => {
    const checks = checkExpectation(
      snapshot(
        { openssl: '3.0.15-1~deb12u1', 'libssl3:amd64': '3.0.15-1~deb12u1', 'libssl3:i386': '3.0.15-1~deb12u1' },
        { release: '6.1.0-28-amd64' },
      ),
      expectation,
    );
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['release', true],
      ['openssl', true],
      ['libssl3', true],
      ['telnet', true],
    ]);
    expect(checks.find((c) => c.name === 'libssl3')?.keys).toEqual(['libssl3:amd64', 'libssl3:i386']);
  });

  it('fails each part that is missing, every arch counts', () => {
    const checks = checkExpectation(
      snapshot(
        { openssl: '3.0.15-1~deb12u1', 'libssl3:amd64': '3.0.15-1~deb12u1', 'libssl3:i386': '3.0.11-1~deb12u2', telnet: '0.17-44' },
        { release: '6.1.0-27-amd64' },
      ),
      expectation,
    );
    const failing = Object.fromEntries(checks.filter((c) => !c.ok).map((c) => [c.name, c.reason]));
    expect(failing).toEqual({
      release: 'release is 6.1.0-27-amd64, expected 6.1.0-28-amd64',
      libssl3: 'libssl3:i386 is 3.0.11-1~deb12u2, expected >=3.0.15-1~deb12u1',
      telnet: 'telnet is 0.17-44, expected absent',
    });
  });

  it('cannot tell when the facet was not collected', () => {
    const s = snapshot({ openssl: '3.0.15-1~deb12u1' });
    s.facets.packages = { status: 'error', items: {}, error: 'dpkg-query failed' };
    const [check] = checkExpectation(s, { items: [{ facet: 'packages', name: 'openssl', constraint: constraint('>=1') }], allow: [] });
    expect(check?.ok).toBe(false);
    expect(check?.reason).toBe('cannot tell: facet packages is error');
  });

  it('kernel release brings its companions; allow adds others', () => {
    expect(isAllowedChange(expectation, 'kernel', 'installed.6.1.0-28-amd64')).toBe(true);
    expect(isAllowedChange(expectation, 'packages', 'linux-image-6.1.0-28-amd64')).toBe(true);
    expect(isAllowedChange(expectation, 'kernel', 'cmdline.quiet')).toBe(false);
    const noKernel = parseExpectationText('packages: {openssl: ">=1"}\nallow:\n  - {facet: packages, key: "openssl-*"}\n', 'e.yaml');
    expect(isAllowedChange(noKernel, 'packages', 'linux-image-6.1.0-28-amd64')).toBe(false);
    expect(isAllowedChange(noKernel, 'packages', 'openssl-provider-legacy')).toBe(true);
  });
});

describe('expectation file errors', () => {
  it.each([
    ['packages:\n  openssl: ">>3.0"\n', 'e.yaml:2:3', 'unknown operator'],
    ['packages:\n  openssl: ""\n', 'e.yaml:2:3', 'empty constraint'],
    ['pakages:\n  openssl: ">=1"\n', 'e.yaml:1:1', 'unknown key "pakages"'],
    ['packages: [openssl]\n', 'e.yaml:1:1', 'expected record'],
    ['packages:\n  openssl: [1]\n', 'e.yaml:2:3', 'packages.openssl'],
    ['allow:\n  - {facet: nope, key: x}\n', 'e.yaml:2:', 'expected one of'],
    ['allow:\n  - {facet: packages, key: "/[/"}\n', 'e.yaml:2:', 'not a key pattern'],
    ['packages:\n  openssl: ">=1"\n  openssl: ">=2"\n', 'e.yaml:3:', 'YAML'],
  ])('%j -> %s ... %s', (text, where, what) => {
    let error: unknown;
    try {
      parseExpectationText(text, 'e.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(where);
    expect((error as ConfigError).message).toContain(what);
  });

  it('never throws anything but ConfigError on arbitrary YAML-ish text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('p', 'a', 'c', 'k', ':', ' ', '\n', '>', '=', '"', '-', '{', '}', '1', '.', 'absent') }),
        (text) => {
          try {
            parseExpectationText(text, 'f.yaml');
            return true;
          } catch (err) {
            return err instanceof ConfigError;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
