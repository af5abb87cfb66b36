/**
 * GET /report/:cluster from a real `driftd serve` child process on loopback, over a store
 * that already holds replayed runs: the daemon's first run lands in it, and the page it
 * serves is the self-contained audit report with its CSP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { freePort } from '../helpers/sshd.js';
import { buildDemoStore, type DemoStore } from './demo-store.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function waitFor(check: () => Promise<boolean>, ms: number, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out; daemon output:\n${log()}`);
}

describe('driftd serve: GET /report/:cluster', () => {
  let demo: DemoStore;
  let daemon: ChildProcess | undefined;
  let base: string;
  let output = '';

  beforeAll(async () => {
    demo = await buildDemoStore();
    const port = await freePort('127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    // The demo config, served: loopback only, no scheduled run in the test's lifetime.
    const config = readFileSync(demo.configFile, 'utf8').replace(
      'database: ./driftd.db',
      `database: ./driftd.db\nlisten: 127.0.0.1:${port}\nschedule: "0 0 1 1 *"`,
    );
    writeFileSync(demo.configFile, config);
    daemon = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), 'serve', '--config', demo.configFile], {
      cwd: REPO,
      env: { ...process.env, DRIFTD_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    daemon.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      async () => (await fetch(`${base}/readyz`)).status === 200,
      60_000,
      () => output,
    );
  }, 120_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon?.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    demo?.cleanup();
  });

  it('serves the audit report of the last 30 days with its CSP, and 404 for an unknown cluster', async () => {
    const res = await fetch(`${base}/report/erp-demo`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<h1>driftd parity audit: erp-demo</h1>');
    expect(html).toContain('GET /report/erp-demo (driftd serve --config');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('data-chain="ok"');
    // The daemon's own first run is in the store and in the report.
    const store = await Store.open(demo.dbFile, { readonly: true });
    try {
      const latest = await store.latestRun('erp-demo');
      expect(latest?.id).toBe(6);
      expect(html).toContain(latest?.hash ?? 'missing');
      const inPeriod = (await store.runs({ cluster: 'erp-demo', since: new Date(Date.now() - 30 * 86_400_000).toISOString() })).length;
      expect(html).toMatch(new RegExp(`data-figure="runs"><dt>Runs in period</dt><dd>${inPeriod}</dd>`));
    } finally {
      await store.close();
    }
    expect((await fetch(`${base}/report/nope`)).status).toBe(404);
  }, 60_000);
});
