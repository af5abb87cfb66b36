/**
 * The Debian package (issue #27): `npm run package:deb` builds it, and it installs and
 * starts on a fresh Debian 12 root that has neither Node.js, npm nor a compiler: the lab's
 * debootstrap'd base root (test/lab/lab.sh), copied, with the package installed by the real
 * dpkg inside a chroot. The service's own ExecStart, run as the unit's user, serves metrics.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '../..');
const CACHE = process.env.DRIFTD_LAB_CACHE ?? '/var/cache/driftd-lab';
const PORT = 10_797;

function findBase(): string | undefined {
  if (!existsSync(CACHE)) return undefined;
  return readdirSync(CACHE)
    .filter((name) => /^base-bookworm-[0-9a-f]+$/.test(name))
    .map((name) => join(CACHE, name))
    .find((dir) => existsSync(join(dir, '.driftd-lab-complete')));
}

const base = findBase();
const unavailable =
  process.getuid?.() !== 0
    ? 'needs root (dpkg and chroot)'
    : base === undefined
      ? `no lab base root in ${CACHE} (run lab.sh up)`
      : undefined;
if (unavailable) {
  if (process.env.CI) throw new Error(`the package test cannot run under CI: ${unavailable}`);
  console.warn(`SKIPPING the Debian package test: ${unavailable}`);
}
const describeRoot = unavailable ? describe.skip : describe;

/** A clean environment: nothing of this machine's Node set-up leaks into the root. */
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

/**
 * Copies the base root with cp (device nodes in /dev included): /usr hard-linked (dpkg
 * replaces files, never writes into them, so the cache stays intact), the rest copied.
 */
function cloneRoot(from: string, to: string): void {
  mkdirSync(to);
  for (const name of readdirSync(from)) {
    const r = spawnSync('cp', [name === 'usr' ? '-al' : '-a', join(from, name), join(to, name)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cp ${join(from, name)} ${join(to, name)}: ${r.stderr}`);
  }
}

/** argv run inside the root: its own mount namespace with /proc, so nothing stays mounted on the host. */
function inRootArgs(root: string, argv: readonly string[], user?: string): string[] {
  const chroot = user ? ['chroot', `--userspec=${user}`, root] : ['chroot', root];
  // No --fork: the PID stays the same through mount, chroot and exec, so it can be ended by PID.
  return [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount -t proc proc "$1/proc" && shift && exec "$@"',
    'sh',
    root,
    ...chroot,
    ...argv,
  ];
}

function inRoot(root: string, argv: readonly string[], user?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('unshare', inRootArgs(root, argv, user), { env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeRoot(unavailable ? `Debian package (SKIPPED: ${unavailable})` : 'Debian package on a fresh Debian 12 root', () => {
  let work: string;
  let root: string;
  let deb: string;
  let server: ChildProcess | undefined;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'driftd-deb-'));
    const built = spawnSync('npm', ['run', '-s', 'package:deb', '--', join(work, 'out')], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 540_000,
    });
    expect(built.status, built.stderr).toBe(0);
    deb = built.stdout.trim().split('\n').pop() ?? '';
    expect(deb).toMatch(/driftd_\d+\.\d+\.\d+-1_[a-z0-9]+\.deb$/);
    root = join(work, 'root');
    cloneRoot(base as string, root);
    cpSync(deb, join(root, 'tmp', 'driftd.deb'));
  }, 600_000);

  afterAll(() => {
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the root is a host without Node.js, npm or a compiler', () => {
    const r = inRoot(root, ['sh', '-c', 'for p in node nodejs npm cc gcc c++ make; do command -v $p; done; exit 0']);
    expect(r.stdout.trim()).toBe('');
  });

  it('dpkg -i installs it: the service user, a private state directory, the config a conffile readable by driftd', () => {
    const r = inRoot(root, ['dpkg', '-i', '/tmp/driftd.deb']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(inRoot(root, ['dpkg-query', '-W', '-f', '${Status}', 'driftd']).stdout).toBe('install ok installed');
    expect(inRoot(root, ['getent', 'passwd', 'driftd']).stdout).toMatch(/^driftd:x:\d+:\d+:.*:\/var\/lib\/driftd:/);
    expect(inRoot(root, ['stat', '-c', '%U:%G %a', '/var/lib/driftd']).stdout.trim()).toBe('driftd:driftd 700');
    expect(inRoot(root, ['stat', '-c', '%U:%G %a', '/etc/driftd/driftd.yaml']).stdout.trim()).toBe('root:driftd 640');
    expect(readFileSync(join(root, 'var/lib/dpkg/info/driftd.conffiles'), 'utf8')).toContain('/etc/driftd/driftd.yaml');
  });

  it('driftd runs on its own runtime: --version, and check on the bundled demo gives the documented verdict', () => {
    const version = inRoot(root, ['driftd', '--version']);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
    const check = inRoot(root, ['driftd', 'check', '--config', '/usr/lib/driftd/examples/demo.yaml', '--cluster', 'erp-demo', '--json']);
    expect(check.status, check.stderr).toBe(1);
    const report = JSON.parse(check.stdout) as { ready: boolean; summary: { critical: number } };
    expect(report.ready).toBe(false);
    expect(report.summary.critical).toBe(3);
  });

  it("the unit's ExecStart, as the unit's user, starts the daemon: it audits this host and serves metrics", async () => {
    const unit = readFileSync(join(root, 'lib/systemd/system/driftd.service'), 'utf8');
    const execStart = /^ExecStart=(.+)$/m.exec(unit)?.[1]?.split(/\s+/) ?? [];
    const user = /^User=(.+)$/m.exec(unit)?.[1] ?? '';
    expect(execStart[0]).toBe('/usr/bin/driftd');
    expect(user).toBe('driftd');
    const config = join(root, 'etc/driftd/driftd.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^listen: .*$/m, `listen: 127.0.0.1:${PORT}`));
    server = spawn('unshare', inRootArgs(root, execStart, `${user}:${user}`), { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    let metrics = '';
    for (let i = 0; i < 120 && !/driftd_cluster_ready\{cluster="this-host"\}/.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 500));
      metrics = await fetch(`http://127.0.0.1:${PORT}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
    }
    expect(metrics, log).toMatch(/^driftd_cluster_ready\{cluster="this-host"\} [01]$/m);
    expect(log).toContain('run finished');
    server.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => server?.once('exit', (c) => r(c)));
    expect(code, log).toBe(0);
    // The history it wrote belongs to the service user.
    expect(inRoot(root, ['stat', '-c', '%U', '/var/lib/driftd/driftd.db']).stdout.trim()).toBe('driftd');
  });

  it('dpkg --purge removes the program and its key, and keeps the history (it is evidence)', () => {
    const r = inRoot(root, ['dpkg', '--purge', 'driftd']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(existsSync(join(root, 'usr/lib/driftd'))).toBe(false);
    expect(existsSync(join(root, 'usr/bin/driftd'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/driftd/driftd.db'))).toBe(true);
    expect(r.stderr).toContain('the history in /var/lib/driftd is kept');
  });
});
