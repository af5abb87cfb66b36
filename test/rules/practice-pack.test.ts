/**
 * The shipped best-practice and runtime packs: every rule cites a source and says what to
 * do, the README documents every rule, the practice checks in code and the rules that
 * turn them on name each other, and `driftd rules explain` shows source and remediation.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PRACTICE_CHECKS, PRACTICE_KEY_PREFIX } from '../../src/core/engine/practice.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { PACEMAKER_CIB_COMMAND, pacemakerCollector } from '../../src/collectors/pacemaker.js';
import { check, only, rules } from '../core/engine/check.js';
import { facet, snap } from '../core/engine/handmade-cluster.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const shipped = loadRulePacks([], { includeShipped: true });
const packs = shipped.packs.filter((p) => p.pack === 'best-practice' || p.pack === 'runtime');
const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');

describe('shipped best-practice and runtime packs', () => {
  it('are both shipped', () => {
    expect(packs.map((p) => p.pack).sort()).toEqual(['best-practice', 'runtime']);
  });

  it.each(packs.flatMap((p) => p.rules.map((r) => [p.pack, r.name, r] as const)))(
    '%s/%s cites a source and a remediation, and the README documents it',
    (_pack, name, rule) => {
      expect(rule.source, `${name} has no source`).toMatch(/\w.{5,}/);
      expect(rule.remediation, `${name} has no remediation`).toMatch(/\w.{20,}/);
      expect(readme, `README does not mention rule ${name}`).toContain(`\`${name}\``);
    },
  );

  it('every practice check in the engine is turned on by exactly one rule of the pack, and each practice rule names a real check', () => {
    const practiceRules = packs.flatMap((p) => p.rules).filter((r) => r.match.key.startsWith(PRACTICE_KEY_PREFIX));
    const named = practiceRules.map((r) => r.match.key.slice(PRACTICE_KEY_PREFIX.length)).sort();
    expect(named).toEqual(PRACTICE_CHECKS.map((c) => c.name).sort());
  });

  it('expect.severity sets the expectation finding only; peer drift of the key keeps the earlier rule severity', () => {
    const r = rules(
      '  - name: facet-wide',
      "    match: { facet: corosync, key: '*' }",
      '    severity: critical',
      '  - name: token-floor',
      '    match: { facet: corosync, key: totem.token }',
      '    expect: { min: 5000, severity: warning }',
      '    source: somewhere',
    );
    const report = check([snap('a', { corosync: { 'totem.token': '3000' } }), snap('b', { corosync: { 'totem.token': '4000' } })], {
      rules: r,
    });
    // One problem, one headline (issue #21): no node keeps the rule, so the drift is the
    // headline and the expectation its evidence; each keeps the severity its rule gave it.
    const all = report.findings.flatMap((f) => [f, ...(f.evidence ?? [])]);
    const expectation = only(all.filter((f) => f.kind === 'expectation'));
    expect(expectation).toMatchObject({ severity: 'warning', rule: 'token-floor', source: 'somewhere', outliers: ['a', 'b'] });
    const drift = only(report.findings);
    expect(drift).toMatchObject({ kind: 'mismatch', severity: 'critical', rule: 'facet-wide' });
    expect(drift.evidence?.map((e) => e.id)).toEqual([expectation.id]);
  });
});

describe("package version floors (full versions, ordered as the node's package manager orders them)", () => {
  const floors = (format: 'deb' | 'rpm', items: Record<string, string>) => {
    const report = check([snap('a', { packages: facet(items, { meta: { format } }) })], { rules: shipped.rules });
    return Object.fromEntries(report.findings.filter((f) => f.kind === 'expectation').map((f) => [f.key, [f.severity, f.rule, f.source]]));
  };

  it.each([
    // Debian: bookworm, buster, stretch; a pre-release below the floor (~ sorts first); an epoch above it.
    ['deb', '2.1.5-1+deb12u1', false],
    ['deb', '2.0.1-5+deb10u2', false],
    ['deb', '1.1.16-1', true],
    ['deb', '2.0.1~rc1-1', true],
    ['deb', '1:1.1.16-1', false],
    // SUSE: the git-snapshot suffix after 2.0.1 is above it; 1.1.18 is below.
    ['rpm', '2.0.1+20190417.13d370ca9-3.6.1', false],
    ['rpm', '1.1.18+20180430.b12c320f5-3.15.1', true],
    ['rpm', '2.0.0-1.el8', true],
  ] as const)('%s pacemaker %s below 2.0.1: %s', (format, version, below) => {
    const found = floors(format, { pacemaker: version });
    if (below) expect(found.pacemaker).toEqual(['critical', 'pacemaker-version-floor', expect.stringContaining('9FEFB0')]);
    else expect(found).toEqual({});
  });

  it('corosync, sbd and arch-qualified keys; only the package itself, not its libraries; absent packages are not judged', () => {
    const found = floors('deb', {
      'corosync:amd64': '2.4.2-3+deb9u1',
      sbd: '1.3.1-2',
      libcorosync: '1.0.0-1',
      'pacemaker-cli-utils': '1.0.0-1',
    });
    expect(found).toEqual({
      'corosync:amd64': ['critical', 'corosync-version-floor', expect.stringContaining('DC5429')],
      sbd: ['warning', 'sbd-version-floor', expect.stringContaining('222A57')],
    });
    expect(floors('deb', { 'corosync:amd64': '3.1.7-1', sbd: '1.5.2-1' })).toEqual({});
    expect(floors('rpm', { 'corosync.x86_64': '2.4.5-4.el7' })).toEqual({});
  });

  it('every node below the floor the same way is found on every node (peer diff sees nothing)', () => {
    const node = (n: string) => snap(n, { packages: facet({ pacemaker: '1.1.16-1' }, { meta: { format: 'deb' } }) });
    const report = check([node('a'), node('b')], { rules: shipped.rules });
    expect(report.findings.filter((f) => f.kind === 'mismatch')).toEqual([]);
    expect(only(report.findings.filter((f) => f.kind === 'expectation'))).toMatchObject({
      key: 'pacemaker',
      outliers: ['a', 'b'],
      severity: 'critical',
    });
    expect(report.ready).toBe(false);
  });
});

describe('driftd rules explain', () => {
  it('shows the source and remediation in force for a practice key', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO, 'src/cli/bin.ts'),
        'rules',
        'explain',
        '--config',
        'examples/demo.yaml',
        'pacemaker',
        'practice:pacemaker-fencing-per-node',
      ],
      { cwd: REPO },
    );
    expect(stdout).toContain('fencing-per-node (pack best-practice');
    expect(stdout).toMatch(/\n {2}source: Pacemaker Explained, fencing/);
    expect(stdout).toMatch(/\n {2}remediation: Add a stonith resource/);
  });

  it('--json carries them in the rule that sets them', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO, 'src/cli/bin.ts'),
        'rules',
        'explain',
        '--config',
        'examples/demo.yaml',
        '--json',
        'sysctl/runtime:kernel.panic',
      ],
      { cwd: REPO },
    );
    const parsed = JSON.parse(stdout) as { rules: { rule: string; sets: { source?: string; severity?: string } }[] };
    expect(parsed.rules.map((r) => r.rule)).toEqual(['sysctl-runtime', 'sysctl-runtime-failover-path']);
    expect(parsed.rules[0]?.sets.source).toContain('sysctl.d(5)');
    expect(parsed.rules[1]?.sets.severity).toBe('critical');
  });
});

describe('the shipped pack on real Pacemaker 3 CIB semantics (#23)', () => {
  const pacemakerFacet = (cibXml: string) => {
    const parsed = pacemakerCollector.parse(
      { [PACEMAKER_CIB_COMMAND]: { exitCode: 0, stdout: cibXml, stderr: '', truncated: false } },
      DEFAULT_COLLECTOR_CONTEXT,
    );
    return parsed;
  };
  const cib = (props: string) =>
    `<cib validate-with="pacemaker-3.10"><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">${props}</cluster_property_set></crm_config>` +
    '<nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes><resources><primitive id="f" class="stonith" type="fence_ipmilan"><instance_attributes id="fi"><nvpair id="h" name="pcmk_host_list" value="a b"/></instance_attributes></primitive></resources></configuration></cib>';
  const findingsOf = (props: string) =>
    check(
      ['a', 'b'].map((n) => snap(n, { pacemaker: pacemakerFacet(cib(props)) })),
      { rules: shipped.rules },
    )
      .findings.filter((f) => !f.key.startsWith('rsc_defaults.')) // stickiness and migration-threshold: not set in this CIB
      .map((f) => `${f.key} ${f.severity}`);

  it('fencing-enabled=false alone is the stonith-enabled critical', () => {
    expect(findingsOf('<nvpair id="1" name="fencing-enabled" value="false"/>')).toContain('property.fencing-enabled critical');
  });

  it('stonith-enabled=false next to fencing-enabled=true is no critical, only the disagreement warning', () => {
    expect(findingsOf('<nvpair id="1" name="stonith-enabled" value="false"/><nvpair id="2" name="fencing-enabled" value="true"/>')).toEqual(
      ['practice:pacemaker-fencing-option-names warning'],
    );
  });

  it('a Pacemaker 2 CIB with stonith-enabled=false is still reported (effective value under the new name)', () => {
    expect(findingsOf('<nvpair id="1" name="stonith-enabled" value="false"/>')).toContain('property.fencing-enabled critical');
  });
});
