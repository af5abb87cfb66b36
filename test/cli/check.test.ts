/**
 * `driftd check` and `driftd diff` on the bundled demo cluster (replayed real outputs with
 * drift seeded on erp-c): the verdict, the exit codes and the JSON contract.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckReportSchema } from '../../src/core/check-report.js';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');

async function driftd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), ...args], {
      cwd: REPO,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

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
    // erp-a and erp-b agree with each other: whatever is wrong, they are never the outliers alone.
    expect(report.findings.every((f) => f.outliers.length === 0 || f.outliers.includes('erp-c') || f.majority === null)).toBe(true);
    // The demo's real corosync.conf (token 3000) and CIB (no migration-threshold) break the shipped
    // best-practice pack on every node, so erp-a loses score only for those, never for peer drift.
    const byName = (name: string) => report.nodes.find((n) => n.name === name);
    const byId = new Map(report.findings.map((f) => [f.id, f]));
    const erpA = byName('erp-a');
    expect(erpA?.score).toBeLessThan(1);
    expect(erpA?.score).toBe(byName('erp-b')?.score);
    const erpAScored = (erpA?.contributions ?? []).filter((c) => c.effect !== 'zero').map((c) => byId.get(c.finding));
    expect(erpAScored.length).toBeGreaterThan(0);
    expect(erpAScored.every((f) => f !== undefined && (f.kind === 'expectation' || f.kind === 'practice') && f.source !== undefined)).toBe(true);
    expect(byName('erp-c')?.score).toBeLessThan(erpA?.score ?? 0);
    // ids are stable across runs
    const again = CheckReportSchema.parse(JSON.parse((await driftd(['check', '--config', config, '--json'])).stdout));
    expect(again.findings.map((f) => f.id).sort()).toEqual(report.findings.map((f) => f.id).sort());
  }, 60_000);

  it('prints a human verdict that names the outlier and the values', async () => {
    const result = await driftd(['check', '--config', config]);
    expect(result.stdout).toMatch(/^erp-demo: (READY|NOT READY)/);
    expect(result.stdout).toMatch(/openssl: erp-c is behind/);
    expect(result.stdout).toMatch(/erp-c\s+\S+\s+<- outlier/);
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
    writeFileSync(path.join(packDir, 'bad.yaml'), 'pack: bad\nrules:\n  - name: x\n    match: { facet: packages, key: "*" }\n    severity: urgent\n');
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

describe('usage errors', () => {
  it.each([[['history', 'verify', '--bogus']], [['window', 'verify']], [['check', '--fail-on', 'sometimes']], [['rules', 'explain']]])('driftd %j exits 2, never 1', async (args) => {
    const result = await driftd(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: /);
  });
});
