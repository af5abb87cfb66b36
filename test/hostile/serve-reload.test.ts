/**
 * Issue #22, case 4: SIGHUP and SIGTERM on a running `driftd serve`.
 * - A rejected reload (here an invalid timezone) leaves the previous schedule running.
 * - A changed http.tokenFile (new content, or a new path) + SIGHUP takes the new token.
 * - SIGTERM stops the daemon while its first run is still hanging (/readyz 503).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hostileCommand, sshdAvailable, startSshd, type SshdServer } from '../helpers/sshd.js';
import { REPO, sshNodeYaml } from './cli-driftd.js';
import { fetchOrNull, spawnServe, waitFor, type ServeProcess } from './serve-process.js';

let dir: string;
const children: ServeProcess[] = [];
let hanging: SshdServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'driftd-reload-'));
  if (sshdAvailable) hanging = await startSshd({ host: '127.0.0.1', authorizedKeyOptions: hostileCommand(dir, 'hang', 'hang') });
}, 30_000);

afterAll(async () => {
  for (const c of children) c.kill();
  await hanging?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runsTotal(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const match = /^driftd_runs_total (\d+)$/m.exec(text);
  return Number(match?.[1] ?? NaN);
}

describe('SIGHUP', () => {
  it('a rejected reload keeps the previous schedule running; a new token file content or path is taken', async () => {
    const port = await freePort('127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const tokenA = path.join(dir, 'token-a');
    const tokenB = path.join(dir, 'token-b');
    writeFileSync(tokenA, 'first-token\n');
    const file = path.join(dir, 'driftd.yaml');
    const yaml = (extra: string[], tokenFile = tokenA) =>
      [
        `database: ${path.join(dir, 'driftd.db')}`,
        `listen: 127.0.0.1:${port}`,
        'schedule: "*/2 * * * * *"',
        ...extra,
        `http: { tokenFile: ${tokenFile} }`,
        'clusters:',
        '  - name: c',
        '    facets: [os, packages]',
        '    nodes:',
        `      - { name: a, transport: replay, path: ${path.join(REPO, 'fixtures/demo/erp-a')} }`,
        '',
      ].join('\n');
    writeFileSync(file, yaml([]));
    const serve = spawnServe(file);
    children.push(serve);
    await waitFor(async () => (await fetchOrNull(`${base}/readyz`))?.status === 200, 30_000, serve.output);

    // The schedule runs every 2 s.
    const first = await runsTotal(base);
    await waitFor(async () => (await runsTotal(base)) >= first + 1, 10_000, serve.output);

    writeFileSync(file, yaml(['timezone: Mars/Olympus']));
    serve.child.kill('SIGHUP');
    await waitFor(() => /configuration reload rejected/.test(serve.output()), 10_000, serve.output);
    expect(serve.output()).toMatch(/Mars\/Olympus/);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^driftd_config_reload_success 0$/m);
    // Still scheduled: two more runs come after the rejected reload.
    const afterRejected = await runsTotal(base);
    await waitFor(async () => (await runsTotal(base)) >= afterRejected + 2, 15_000, serve.output);

    const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    expect((await fetch(`${base}/api/v1/clusters`, auth('first-token'))).status).toBe(200);
    // New content in the same file.
    writeFileSync(file, yaml([]));
    writeFileSync(tokenA, 'second-token\n');
    serve.child.kill('SIGHUP');
    await waitFor(async () => (await fetch(`${base}/api/v1/clusters`, auth('second-token'))).status === 200, 10_000, serve.output);
    expect((await fetch(`${base}/api/v1/clusters`, auth('first-token'))).status).toBe(401);
    // Another file.
    writeFileSync(tokenB, 'third-token\n');
    writeFileSync(file, yaml([], tokenB));
    serve.child.kill('SIGHUP');
    await waitFor(async () => (await fetch(`${base}/api/v1/clusters`, auth('third-token'))).status === 200, 10_000, serve.output);
    expect((await fetch(`${base}/api/v1/clusters`, auth('second-token'))).status).toBe(401);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^driftd_config_reload_success 1$/m);
    // A token file that became a directory is a rejected reload; the token stays.
    writeFileSync(file, yaml([], dir));
    serve.child.kill('SIGHUP');
    await waitFor(() => (serve.output().match(/configuration reload rejected/g) ?? []).length >= 2, 10_000, serve.output);
    expect(serve.output()).toMatch(/is a directory; it must be a regular file/);
    expect((await fetch(`${base}/api/v1/clusters`, auth('third-token'))).status).toBe(200);

    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('tokenFile');
  }, 90_000);
});

describe('SIGTERM', () => {
  (sshdAvailable ? it : it.skip)(
    'stops the daemon while its first run hangs on a node (/readyz 503)',
    async () => {
      const s = hanging as SshdServer;
      const port = await freePort('127.0.0.1');
      const base = `http://127.0.0.1:${port}`;
      const file = path.join(dir, 'hang.yaml');
      writeFileSync(
        file,
        [
          `database: ${path.join(dir, 'hang.db')}`,
          `listen: 127.0.0.1:${port}`,
          'schedule: "0 0 1 1 *"',
          'ssh: { commandTimeoutSeconds: 600 }',
          'clusters:',
          '  - name: c',
          '    facets: [os]',
          '    nodes:',
          sshNodeYaml('h', s),
          '',
        ].join('\n'),
      );
      const serve = spawnServe(file);
      children.push(serve);
      await waitFor(async () => (await fetchOrNull(`${base}/healthz`))?.status === 200, 30_000, serve.output);
      expect((await fetchOrNull(`${base}/readyz`))?.status).toBe(503);
      const signalled = Date.now();
      serve.child.kill('SIGTERM');
      const exit = await serve.exited;
      expect(exit.code).toBe(0);
      // The run is given its grace (20 s) and then aborted; never the 600 s command timeout.
      expect(Date.now() - signalled).toBeLessThan(30_000);
      expect(serve.output()).toMatch(/driftd stopped/);
    },
    60_000,
  );
});
