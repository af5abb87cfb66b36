/**
 * Issue #22, case 4 (and 7): `driftd serve` validates everything it needs before it
 * listens, and a bad setting exits 2 with file:line:col or a plain message, never a stack
 * trace or exit 3, and never a daemon left listening with /readyz 503. A second serve on
 * the same database is refused. `check`/`collect` refuse a bad timezone or schedule too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/sshd.js';
import { driftd, REPO } from './cli-driftd.js';
import { fetchOrNull, spawnServe, waitFor, type ServeProcess } from './serve-process.js';

let dir: string;
const children: ServeProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'driftd-startup-'));
});

afterAll(() => {
  for (const c of children) c.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const REPLAY = path.join(REPO, 'fixtures/demo/erp-a');

/** A config whose line 3 is `lines[0]`, ..., with a replay node so nothing needs SSH. */
function config(name: string, top: string[], nodes: string[] = [`      - { name: a, transport: replay, path: ${REPLAY} }`]): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `database: ${path.join(dir, `${name}.db`)}`,
      'schedule: "0 0 1 1 *"',
      ...top,
      'clusters:',
      '  - name: c',
      '    facets: [os, packages]',
      '    nodes:',
      ...nodes,
      '',
    ].join('\n'),
  );
  return file;
}

async function refused(file: string): Promise<string> {
  const serve = spawnServe(file);
  children.push(serve);
  const exit = await Promise.race([serve.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000))]);
  serve.kill();
  const out = serve.output();
  expect(exit, `serve did not exit; output:\n${out}`).not.toBeNull();
  expect(exit?.code, out).toBe(2);
  expect(out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack trace
  expect(out).not.toMatch(/internal error/);
  return out;
}

describe('serve refuses to start, exit 2 with a position or a plain message', () => {
  it('an invalid timezone (file:line:col), instead of listening forever with /readyz 503', async () => {
    const port = await freePort('127.0.0.1');
    const file = config('tz', [`listen: 127.0.0.1:${port}`, 'timezone: Mars/Olympus']);
    const out = await refused(file);
    expect(out).toContain(`${file}:4:1: timezone: "Mars/Olympus" is not a known IANA time zone`);
    expect(await fetchOrNull(`http://127.0.0.1:${port}/readyz`)).toBeNull();
  }, 40_000);

  it('an invalid schedule', async () => {
    const file = config('cron', ['listen: 127.0.0.1:1']);
    writeFileSync(file, (await import('node:fs')).readFileSync(file, 'utf8').replace('"0 0 1 1 *"', '"every night"'));
    expect(await refused(file)).toContain(`${file}:2:1: schedule: "every night" is not a valid cron expression`);
  }, 40_000);

  it('a listen port out of range', async () => {
    const file = config('port', ['listen: 127.0.0.1:99999']);
    expect(await refused(file)).toContain(`${file}:3:1: listen: port 99999 is out of range (1-65535)`);
  }, 40_000);

  it('a missing token file, a FIFO and /dev/zero as token file (refused, no hang, no endless read)', async () => {
    const port = await freePort('127.0.0.1');
    const missing = config('tok-missing', [`listen: 127.0.0.1:${port}`, `http: { tokenFile: ${path.join(dir, 'nope')} }`]);
    expect(await refused(missing)).toMatch(new RegExp(`${missing}:4:\\d+: http.tokenFile: cannot read .*nope \\(ENOENT\\)`));
    const fifo = path.join(dir, 'token.fifo');
    execFileSync('/usr/bin/mkfifo', [fifo]);
    const fifoConfig = config('tok-fifo', [`listen: 127.0.0.1:${port}`, `http: { tokenFile: ${fifo} }`]);
    expect(await refused(fifoConfig)).toMatch(/token file .*token\.fifo is a FIFO \(named pipe\); it must be a regular file/);
    const zero = config('tok-zero', [`listen: 127.0.0.1:${port}`, 'http: { tokenFile: /dev/zero }']);
    expect(await refused(zero)).toMatch(/token file \/dev\/zero is a character device/);
  }, 90_000);

  it('a missing identity file is found at start, with file:line:col (not at run time)', async () => {
    const port = await freePort('127.0.0.1');
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    const file = config(
      'ident',
      [`listen: 127.0.0.1:${port}`],
      [`      - { name: s, host: 127.0.0.1, ssh: { identityFile: ${path.join(dir, 'no_key')}, knownHosts: ${knownHosts} } }`],
    );
    expect(await refused(file)).toMatch(new RegExp(`${file}:8:44: ssh.identityFile of node s: cannot read .*no_key \\(ENOENT\\)`));
  }, 40_000);

  it('a missing database directory', async () => {
    const port = await freePort('127.0.0.1');
    const file = config('db', [`listen: 127.0.0.1:${port}`]);
    writeFileSync(
      file,
      (await import('node:fs')).readFileSync(file, 'utf8').replace(/^database: .*$/m, `database: ${path.join(dir, 'absent', 'x.db')}`),
    );
    expect(await refused(file)).toMatch(new RegExp(`${file}:1:1: database: directory .*absent does not exist`));
  }, 40_000);

  it('a port in use and an address this machine does not have: plain messages', async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
    );
    try {
      const file = config('inuse', [`listen: 127.0.0.1:${port}`]);
      expect(await refused(file)).toMatch(new RegExp(`${file}:3:1: listen 127.0.0.1:${port}: port ${port} on 127.0.0.1 is already in use`));
    } finally {
      busy.close();
    }
    const file = config('noaddr', ['listen: 192.0.2.1:10731']);
    expect(await refused(file)).toMatch(/listen 192\.0\.2\.1:10731: 192\.0\.2\.1 is not an address of this machine/);
  }, 60_000);
});

describe('one daemon per database (case 7)', () => {
  it('a second serve on the same SQLite file refuses to start with a clear message; the first keeps serving', async () => {
    const [p1, p2] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
    const first = config('lock1', [`listen: 127.0.0.1:${p1}`]);
    const second = path.join(dir, 'lock2.yaml');
    writeFileSync(second, (await import('node:fs')).readFileSync(first, 'utf8').replace(`127.0.0.1:${p1}`, `127.0.0.1:${p2}`));
    const serve = spawnServe(first);
    children.push(serve);
    await waitFor(async () => (await fetchOrNull(`http://127.0.0.1:${p1}/readyz`))?.status === 200, 30_000, serve.output);
    const out = await refused(second);
    expect(out).toMatch(/another driftd serve is already using the database .*lock1\.db/);
    expect(await fetchOrNull(`http://127.0.0.1:${p2}/healthz`)).toBeNull();
    expect((await fetchOrNull(`http://127.0.0.1:${p1}/healthz`))?.status).toBe(200);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    // The lock goes with the process: a new serve on the file starts.
    const again = spawnServe(first);
    children.push(again);
    await waitFor(async () => (await fetchOrNull(`http://127.0.0.1:${p1}/readyz`))?.status === 200, 30_000, again.output);
    again.child.kill('SIGKILL');
    await again.exited;
    const afterKill = spawnServe(first);
    children.push(afterKill);
    await waitFor(async () => (await fetchOrNull(`http://127.0.0.1:${p1}/readyz`))?.status === 200, 30_000, afterKill.output);
    afterKill.child.kill('SIGTERM');
    expect((await afterKill.exited).code).toBe(0);
  }, 120_000);
});

describe('check and collect refuse what serve would refuse', () => {
  it('an invalid timezone or schedule is exit 2 with file:line:col', async () => {
    const tz = config('cli-tz', ['timezone: Nowhere/Land']);
    for (const command of ['check', 'collect']) {
      const result = await driftd([command, '--config', tz, ...(command === 'check' ? ['--cluster', 'c'] : [])]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${tz}:3:1: timezone: "Nowhere/Land" is not a known IANA time zone`);
    }
  }, 60_000);
});
