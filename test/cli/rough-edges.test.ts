/**
 * Issue #27's rough edges, through the real CLI: a closed stdout (`| head -1`) is quiet,
 * `serve --listen` and a busy port, a missing config file, a mistyped facet, `window status`
 * with no window open, and the README tour's JSON line really printing JSON.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/sshd.js';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'src/cli/bin.ts');
const STACK = /\n\s+at .+:\d+:\d+\)?\n/;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs driftd; with `closeStdout` the read end of its stdout is closed before it writes a
 * byte, so its first write fails with EPIPE whatever the output size (what `| head -1` does
 * once head has its line).
 */
function driftd(args: string[], options: { closeStdout?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout.destroy();
  else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'driftd-rough-'));
  config = path.join(dir, 'demo.yaml');
  // The demo's replayed cluster, with the database in the temporary folder.
  const demo = readFileSync(path.join(REPO, 'examples/demo.yaml'), 'utf8')
    .replace('./demo.db', path.join(dir, 'demo.db'))
    .replaceAll('../fixtures/', `${REPO}/fixtures/`)
    .replace(/\n {2}- name: this-host[\s\S]*$/, '\n');
  writeFileSync(config, demo);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a reader that closes early (driftd ... | head -1)', () => {
  it.each([
    ['collect --json', ['collect', '--json'], 0],
    ['check --json (not ready)', ['check', '--cluster', 'erp-demo', '--json'], 1],
    ['diff (nodes differ)', ['diff', 'erp-a', 'erp-c'], 1],
    ['rules explain', ['rules', 'explain', 'packages', 'openssl'], 0],
  ])(
    '%s: no EPIPE crash, nothing on stderr, the command own exit code',
    async (_name, args, code) => {
      const closed = await driftd([...args, '--config', config], { closeStdout: true });
      expect(closed.stderr).toBe('');
      expect(closed.code).toBe(code);
    },
    120_000,
  );

  it('--help and rules check too', async () => {
    for (const args of [['--help'], ['rules', 'check']]) {
      const closed = await driftd(args, { closeStdout: true });
      expect(closed.stderr).toBe('');
      expect(closed.code).toBe(0);
    }
  }, 60_000);

  it('through a real shell pipe into head -1, as the issue ran it', async () => {
    const { stdout, stderr } = await run(
      'bash',
      [
        '-c',
        `${JSON.stringify(process.execPath)} --import tsx src/cli/bin.ts collect --config ${config} --json | head -1; echo "exit \${PIPESTATUS[0]}"`,
      ],
      { cwd: REPO },
    );
    expect(stdout).toBe('[\nexit 0\n');
    expect(stderr).toBe('');
  }, 60_000);
});

describe('serve --listen HOST:PORT', () => {
  it('listens where the flag says, not where the config says', async () => {
    const port = await freePort('127.0.0.1');
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'serve', '--config', config, '--listen', `127.0.0.1:${port}`], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status, output).toBe(200);
      expect(output).toContain(`"port":${port}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('a busy port: exit 2, the address, what to do, no stack trace', async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
    );
    try {
      const r = await driftd(['serve', '--config', config, '--listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `driftd: cannot start: --listen 127.0.0.1:${port}: port ${port} on 127.0.0.1 is already in use (another driftd, or another program: \`ss -ltnp 'sport = :${port}'\`); stop it, or pick another port (\`listen:\` in the config, or \`driftd serve --listen HOST:PORT\`)`,
      );
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).not.toContain('internal error');
    } finally {
      busy.close();
    }
  }, 60_000);

  it.each([
    ['not HOST:PORT', 'localhost', 'expected HOST:PORT'],
    ['a port out of range', '127.0.0.1:70000', 'port 70000 is out of range (1-65535)'],
  ])(
    '%s is a usage error (exit 2)',
    async (_name, value, message) => {
      const r = await driftd(['serve', '--config', config, '--listen', value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    },
    60_000,
  );
});

describe('a missing config file says how to name one', () => {
  it.each([
    ['check', ['check', '--config', '/nonexistent/driftd.yaml'], '/nonexistent/driftd.yaml', {}],
    ['serve', ['serve', '--config', '/nonexistent/driftd.yaml'], '/nonexistent/driftd.yaml', {}],
    ['DRIFTD_CONFIG', ['collect'], '/nonexistent/env.yaml (from DRIFTD_CONFIG)', { DRIFTD_CONFIG: '/nonexistent/env.yaml' }],
  ])(
    '%s',
    async (_name, args, where, env) => {
      const r = await driftd(args, { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`driftd: no configuration file at ${where}; pass one with --config FILE or set DRIFTD_CONFIG=FILE`);
      expect(r.stderr).not.toMatch(STACK);
    },
    60_000,
  );
});

describe('a mistyped facet lists the valid ones', () => {
  it.each([
    ['rules explain FACET KEY', ['packagez', 'openssl'], '"packagez" is not a facet'],
    ['rules explain FACET/KEY', ['packagez/openssl'], '"packagez" (before the /) is not a facet'],
  ])(
    '%s',
    async (_name, args, message) => {
      const r = await driftd(['rules', 'explain', '--config', config, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `${message}; the facets are os, kernel, packages, modules, sysctl, services, files, corosync, pacemaker, drbd`,
      );
    },
    60_000,
  );

  it('diff --facet', async () => {
    const r = await driftd(['diff', '--config', config, 'erp-a', 'erp-c', '--facet', 'packagez']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are os, kernel, packages, modules, sysctl, services, files, corosync, pacemaker, drbd');
  }, 60_000);
});

describe('window status with no window open', () => {
  it('is an answer, exit 0, in text and JSON', async () => {
    const text = await driftd(['window', 'status', '--config', config]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('no open window on cluster erp-demo; open one with `driftd window start --cluster erp-demo`\n');
    const json = await driftd(['window', 'status', '--config', config, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ cluster: 'erp-demo', window: null, latest: {}, pendingNodes: [] });
  }, 60_000);
});

describe('the README tour', () => {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const tour = /A short tour on the same demo:\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = tour
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);

  it('never runs driftd through a bare `npm run` (its banner would land on stdout)', () => {
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) expect(line).not.toMatch(/^npm run (?!-s )/);
  });

  it('its --json line prints JSON that parses, and only that, on stdout', async () => {
    const line = lines.find((l) => l.includes(' check ') && l.endsWith('--json'));
    expect(line).toBeDefined();
    const { stdout } = await run('bash', ['-c', `${line ?? 'false'}; test $? -le 1`], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
    const parsed = JSON.parse(stdout) as { cluster: string; ready: boolean };
    expect(parsed.cluster).toBe('erp-demo');
    expect(parsed.ready).toBe(false);
  }, 120_000);
});
