/**
 * `driftd check` and `driftd diff` on the bundled demo cluster (replayed real outputs with
 * drift seeded on erp-c): the verdict, the exit codes and the JSON contract.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckReportSchema } from '../../src/core/check-report.js';
import { runDriftd } from '../helpers/cli.js';

const REPO = path.resolve(__dirname, '../..');

const driftd = runDriftd;

describe('driftd check on the bundled demo', () => {
  let dir: string;
  let config: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-check-'));
    config = path.join(dir, 'demo.yaml');
    const text = [
      `database: ${path.join(dir, 'demo.db')}`,
      'clusters:',
      '  - name: erp-demo',
      '    files: [/etc/hosts, /etc/sysctl.d/*.conf, /etc/corosync/corosync.conf]',
      '    nodes:',
      ...['erp-a', 'erp-b', 'erp-c'].map((n) => `      - { name: ${n}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', n)} }`),
      '',
    ].join('\n');
    writeFileSync(config, text);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints a JSON report that validates against the exported schema, with erp-c behind on openssl', async () => {
    const result = await driftd(['check', '--config', config, '--json']);
    const report = CheckReportSchema.parse(JSON.parse(result.stdout));
    expect(result.code).toBe(report.ready ? 0 : 1);
    const openssl = report.findings.find((f) => f.facet === 'packages' && f.key === 'openssl');
    expect(openssl?.kind).toBe('mismatch');
    expect(openssl?.outliers).toEqual(['erp-c']);
    expect(openssl?.majority).toBe(openssl?.values['erp-a']);
    expect(openssl?.detail?.behind).toEqual(['erp-c']);
    expect(openssl?.detail?.skew).toBe('upstream');
    const curl = report.findings.find((f) => f.facet === 'packages' && f.key === 'curl');
    expect(curl?.kind).toBe('missing');
    expect(curl?.values['erp-c']).toBeNull();
    // erp-a and erp-b agree with each other: they are outliers only where a rule says which
    // value is right (the shipped best-practice pack), never by a vote.
    expect(
      report.findings.filter((f) => !f.outliers.includes('erp-c')).every((f) => f.kind === 'expectation' || f.kind === 'practice'),
    ).toBe(true);
    // The direction: erp-c's token 5000 is the best-practice value, so erp-a and erp-b are the ones to fix.
    const token = report.findings.find((f) => f.facet === 'corosync' && f.key === 'totem.token');
    expect(token).toMatchObject({ severity: 'critical', outliers: ['erp-a', 'erp-b'], majority: '5000' });
    expect(token?.message).toContain('fix erp-a, erp-b');
    // One headline per seeded drift (fixtures/demo/derive.sh and the cluster recordings):
    // openssl+libssl3 upgrade, curl removed, resource-agents removed (with the agents it ships),
    // vm.swappiness (sysctl file + live), totem.token (conf, cmap, both raw faces), the CIB netmask.
    const unanimous = (f: (typeof report.findings)[number]) => f.outliers.length === 3 && new Set(Object.values(f.values)).size === 1;
    const seeded = report.findings.filter((f) => !unanimous(f));
    expect(seeded.map((f) => `${f.facet}:${f.key}`).sort()).toEqual([
      'corosync:totem.token',
      'pacemaker:resource.erp-ip.param.cidr_netmask',
      'packages:curl',
      'packages:openssl',
      'packages:resource-agents',
      'sysctl:vm.swappiness',
    ]);
    expect(seeded.length / 6).toBe(1);
    // What is left holds on every node alike: genuine best-practice findings, said as such.
    const rest = report.findings.filter((f) => !seeded.includes(f));
    expect(rest.every((f) => /the nodes agree/.test(f.message))).toBe(true);
    expect(token?.evidence?.map((e) => `${e.facet}:${e.key}`)).toEqual(
      expect.arrayContaining([
        'corosync:file:/etc/corosync/corosync.conf',
        'files:/etc/corosync/corosync.conf',
        'corosync:runtime.runtime.config.totem.token',
      ]),
    );
    expect(report.summary.critical + report.summary.warning).toBe(report.findings.length);
    // The demo's real corosync.conf (token 3000) and CIB (no migration-threshold) break the shipped
    // best-practice pack on every node, so erp-a loses score only for those, never for peer drift.
    const byName = (name: string) => report.nodes.find((n) => n.name === name);
    const byId = new Map(report.findings.map((f) => [f.id, f]));
    const erpA = byName('erp-a');
    expect(erpA?.score).toBeLessThan(1);
    expect(erpA?.score).toBe(byName('erp-b')?.score);
    const erpAScored = (erpA?.contributions ?? []).filter((c) => c.effect !== 'zero').map((c) => byId.get(c.finding));
    expect(erpAScored.length).toBeGreaterThan(0);
    expect(erpAScored.every((f) => f !== undefined && (f.kind === 'expectation' || f.kind === 'practice') && f.source !== undefined)).toBe(
      true,
    );
    expect(byName('erp-c')?.score).toBeLessThan(erpA?.score ?? 0);
    // ids are stable across runs
    const again = CheckReportSchema.parse(JSON.parse((await driftd(['check', '--config', config, '--json'])).stdout));
    expect(again.findings.map((f) => f.id).sort()).toEqual(report.findings.map((f) => f.id).sort());
  }, 60_000);

  it('prints a human verdict that names the outlier and the values', async () => {
    const result = await driftd(['check', '--config', config]);
    expect(result.stdout).toMatch(/^erp-demo: (READY|NOT READY)/);
    expect(result.stdout).toMatch(/packages openssl, libssl3 \(one upgrade\): erp-c is behind/);
    expect(result.stdout).toMatch(/erp-c\s+\S+\s+<- outlier/);
    // Readable at 2 am: 120 columns, short hashes, no colour when stdout is not a terminal,
    // and the suggested diff puts an offending node against a compliant one.
    for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
    expect(result.stdout).not.toMatch(/[0-9a-f]{64}/);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toMatch(/`driftd diff erp-a erp-c`/);
    expect(result.stdout).not.toContain('also:');
    const verbose = await driftd(['check', '--config', config, '--verbose']);
    expect(verbose.code).toBe(result.code);
    expect(verbose.stdout).toContain('also: [mismatch, critical] corosync runtime.runtime.config.totem.token');
    expect(verbose.stdout).toMatch(/^\s+[-]\ttoken: 3000$/m);
    const coloured = await driftd(['check', '--config', config, '--color']);
    expect(coloured.stdout).toContain('\u001b[31;1mNOT READY');
    expect(coloured.code).toBe(result.code);
  }, 60_000);

  it('--fail-on warning turns warnings into a not-ready verdict (exit 1)', async () => {
    const result = await driftd(['check', '--config', config, '--json', '--fail-on', 'warning']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).ready).toBe(false);
  }, 60_000);

  it('--stored with nothing stored cannot decide (exit 2)', async () => {
    const result = await driftd(['check', '--config', config, '--stored']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nothing stored yet/);
  }, 60_000);

  it('a malformed rule pack gives no verdict (exit 2) and names file:line:col', async () => {
    const packDir = path.join(dir, 'rules');
    rmSync(packDir, { recursive: true, force: true });
    copyFileSync(config, path.join(dir, 'with-rules.yaml'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(packDir);
    writeFileSync(
      path.join(packDir, 'bad.yaml'),
      'pack: bad\nrules:\n  - name: x\n    match: { facet: packages, key: "*" }\n    severity: urgent\n',
    );
    writeFileSync(path.join(dir, 'with-rules.yaml'), `rules: [./rules]\n${(await import('node:fs')).readFileSync(config, 'utf8')}`);
    const result = await driftd(['check', '--config', path.join(dir, 'with-rules.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.yaml:5:\d+: .*severity/);
  }, 60_000);

  it('driftd diff shows erp-a against erp-c with a unified diff of the changed file (exit 1)', async () => {
    const result = await driftd(['diff', '--config', config, 'erp-a', 'erp-c']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/openssl/);
    expect(result.stdout).toMatch(/^\s*[-]vm\.swappiness = 10$/m);
    expect(result.stdout).toMatch(/^\s*[+]vm\.swappiness = 60$/m);
    const same = await driftd(['diff', '--config', config, 'erp-a', 'erp-b', '--facet', 'packages']);
    expect(same.code).toBe(0);
  }, 60_000);
});

describe('useColor', () => {
  it('colours a terminal unless NO_COLOR is set; the flags win', async () => {
    const { useColor } = await import('../../src/cli/commands/check.js');
    expect(useColor(undefined, true, {})).toBe(true);
    expect(useColor(undefined, false, {})).toBe(false);
    expect(useColor(undefined, undefined, {})).toBe(false);
    expect(useColor(undefined, true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(undefined, true, { NO_COLOR: '' })).toBe(true);
    expect(useColor(true, false, { NO_COLOR: '1' })).toBe(true);
    expect(useColor(false, true, {})).toBe(false);
  });
});

describe('usage errors', () => {
  it.each([[['history', 'verify', '--bogus']], [['window', 'verify']], [['check', '--fail-on', 'sometimes']], [['rules', 'explain']]])(
    'driftd %j exits 2, never 1',
    async (args) => {
      const result = await driftd(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/error: /);
    },
  );
});
