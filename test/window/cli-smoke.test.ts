/** The real entry point: src/cli/main.ts registers windowCommand(). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const driftd = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: REPO, encoding: 'utf8' });

describe('driftd window through src/cli/bin.ts', { timeout: 60_000 }, () => {
  it('lists plan, start, verify, finish, status', () => {
    const help = driftd('window', '--help');
    expect(help.status).toBe(0);
    for (const sub of ['plan', 'start', 'verify', 'finish', 'status']) expect(help.stdout).toContain(sub);
  });

  it('a usage error exits 2 (undecided), not 1 (not safe)', () => {
    const run = driftd('window', 'verify', '--config', '/nonexistent/driftd.yaml');
    expect(run.stderr).toContain("required option '--node <name>' not specified");
    expect(run.status).toBe(2);
  });

  it('plans the bundled demo nodes without creating a database', () => {
    // erp-c carries seeded drift (corosync timings, openssl behind, a sysctl): not ready.
    const dir = mkdtempSync(path.join(tmpdir(), 'driftd-window-smoke-'));
    try {
      const config = path.join(dir, 'driftd.yaml');
      const nodes = ['erp-a', 'erp-b', 'erp-c'].map(
        (n) =>
          `      - { name: ${n}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', n)}${n === 'erp-a' ? ', role: primary' : ''} }`,
      );
      writeFileSync(config, ['database: ./driftd.db', 'clusters:', '  - name: erp-demo', '    nodes:', ...nodes, ''].join('\n'));
      const plan = driftd('window', 'plan', '--config', config, '--json');
      expect(plan.stderr).toBe('');
      expect(plan.status).toBe(1);
      const parsed = JSON.parse(plan.stdout) as { readiness: { ready: boolean; blockers: string[] }; order: { name: string }[] };
      expect(parsed.readiness.ready).toBe(false);
      expect(parsed.readiness.blockers.length).toBeGreaterThan(0);
      expect(parsed.order.map((n) => n.name)).toEqual(['erp-b', 'erp-c', 'erp-a']);
      expect(existsSync(path.join(dir, 'driftd.db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
