/**
 * `driftd collect` end to end through the real CLI and real sshd nodes on loopback:
 * every facet of this machine over SSH in one connection, and each way a node can fail
 * (unknown host key, changed key, wrong user, closed port, a command that never ends)
 * failing alone, with a clear error, within its timeouts.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { countSessions, freePort, sshdAvailable, sshdSkipReason, startSshd, type SshdServer } from '../helpers/sshd.js';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const suite = sshdAvailable ? describe : describe.skip;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function driftd(args: string[]): Promise<CliResult> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), ...args], {
      cwd: REPO,
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', ms: Date.now() - started };
  }
}

function sshNode(
  name: string,
  s: SshdServer,
  over: Partial<{ user: string; knownHosts: string; port: number; host: string }> = {},
): string {
  return `      - { name: ${name}, host: ${over.host ?? s.host}, port: ${over.port ?? s.port}, ssh: { user: ${over.user ?? s.user}, identityFile: ${s.identityFile}, knownHosts: ${over.knownHosts ?? s.knownHosts} } }`;
}

suite(sshdAvailable ? 'driftd collect over real sshd nodes' : `driftd collect (${sshdSkipReason})`, () => {
  let dir: string;
  let good: SshdServer;
  let other: SshdServer;
  let hanging: SshdServer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-collect-'));
    good = await startSshd({ host: '127.0.0.1' });
    other = await startSshd({ host: '127.0.0.3' });
    // A forced command that never ends stands in for a hung node.
    hanging = await startSshd({ host: '127.0.0.4', authorizedKeyOptions: 'command="/bin/sleep 1000"' });
  }, 60_000);

  afterAll(async () => {
    await good?.stop();
    await other?.stop();
    await hanging?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('collects every facet of this machine over one SSH connection; packages equal dpkg-query', async () => {
    const before = countSessions(good.log());
    const config = path.join(dir, 'one.yaml');
    writeFileSync(
      config,
      ['clusters:', '  - name: self', '    files: [/etc/hosts, /etc/os-release]', '    nodes:', sshNode('me', good), ''].join('\n'),
    );
    const result = await driftd(['collect', '--config', config, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [snap] = JSON.parse(result.stdout) as NodeSnapshot[];
    if (!snap) throw new Error('no snapshot');
    expect(snap.error).toBeUndefined();
    const statuses = Object.fromEntries(Object.entries(snap.facets).map(([k, f]) => [k, f?.status]));
    expect(statuses).toMatchObject({ os: 'ok', kernel: 'ok', packages: 'ok', sysctl: 'ok', services: 'ok', files: 'ok' });
    // This kernel has no loadable-module support: unsupported with the reason, not an error.
    if (!existsSync('/proc/modules')) {
      expect(snap.facets.modules?.status).toBe('unsupported');
      expect(snap.facets.modules?.error).toMatch(/\/proc\/modules/);
    }
    for (const facet of ['corosync', 'pacemaker', 'drbd'] as const) {
      expect(['ok', 'unsupported']).toContain(snap.facets[facet]?.status);
    }
    // Issue #25's facets travel in the same batch (the session counts below): read here, or
    // unsupported where the tool is absent, never an error.
    for (const facet of ['identity', 'network', 'drivers', 'multipath'] as const) {
      expect(['ok', 'unsupported'], `${facet}: ${snap.facets[facet]?.error}`).toContain(snap.facets[facet]?.status);
    }
    if (existsSync('/etc/machine-id')) {
      expect(snap.facets.identity?.items['machine-id']?.value).toBe(readFileSync('/etc/machine-id', 'utf8').trim());
    }
    const local = execFileSync('/usr/bin/dpkg-query', ['-W', '-f', '${db:Status-Abbrev}\t${binary:Package}\t${Version}\n'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.startsWith('ii '))
      .map((l) => l.split('\t'));
    const items = snap.facets.packages?.items ?? {};
    expect(Object.keys(items).length).toBe(local.length);
    for (const [, name, version] of local) {
      const key = name ?? '';
      const bare = key.replace(/:[a-z0-9]+$/, '');
      expect(items[key]?.value ?? items[bare]?.value).toBe(version);
    }
    const after = countSessions(good.log());
    expect(after.connections - before.connections).toBe(1);
    expect(after.execs - before.execs).toBe(1);
  }, 60_000);

  it('each broken node fails alone, clearly, within its timeouts; the others still collect', async () => {
    const closedPort = await freePort('127.0.0.1');
    const config = path.join(dir, 'mixed.yaml');
    writeFileSync(
      config,
      [
        'concurrency: 8',
        'ssh: { connectTimeoutSeconds: 4, commandTimeoutSeconds: 4 }',
        'clusters:',
        '  - name: mixed',
        '    facets: [os, kernel, packages]',
        '    nodes:',
        sshNode('ok1', good),
        sshNode('ok2', other),
        // The known_hosts of another server: this host's key is not in it.
        sshNode('unknownkey', other, { knownHosts: good.knownHosts }),
        // An entry for this host and port, but with a different key: a changed host key.
        `      - { name: changedkey, host: ${good.host}, port: ${good.port}, ssh: { user: root, identityFile: ${good.identityFile}, knownHosts: ${path.join(dir, 'changed_known_hosts')} } }`,
        sshNode('wronguser', good, { user: 'nobody' }),
        sshNode('closed', good, { port: closedPort }),
        sshNode('hangs', hanging),
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'changed_known_hosts'), `[${good.host}]:${good.port} ${other.hostKey.type} ${other.hostKey.base64}\n`);
    const result = await driftd(['collect', '--config', config, '--json']);
    expect(result.code).toBe(1);
    const snaps = new Map((JSON.parse(result.stdout) as NodeSnapshot[]).map((s) => [s.node, s]));
    expect(snaps.get('ok1')?.error).toBeUndefined();
    expect(snaps.get('ok2')?.error).toBeUndefined();
    expect(snaps.get('ok1')?.facets.packages?.status).toBe('ok');
    expect(snaps.get('unknownkey')?.error).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(snaps.get('unknownkey')?.error).toContain(other.hostKeyFingerprint);
    expect(snaps.get('unknownkey')?.error).toMatch(/not in|unknown|no entry/i);
    expect(snaps.get('changedkey')?.error).toContain(good.hostKeyFingerprint);
    expect(snaps.get('changedkey')?.error).toMatch(/changed|mismatch|does not match/i);
    expect(snaps.get('wronguser')?.error).toMatch(/nobody/);
    expect(snaps.get('wronguser')?.error).toMatch(/auth|refused/i);
    expect(snaps.get('closed')?.error).toMatch(/refused/i);
    const hung = snaps.get('hangs');
    const hungFailed = hung?.error !== undefined || Object.values(hung?.facets ?? {}).every((f) => f?.status === 'error');
    expect(hungFailed).toBe(true);
    expect(JSON.stringify(hung)).toMatch(/timeout|did not start|never started|io/i);
    // Everything in parallel: bounded by the 4 s timeouts, not their sum.
    expect(result.ms).toBeLessThan(25_000);
  }, 60_000);

  it('a file path full of shell metacharacters runs nothing on the node', async () => {
    const marker = path.join(dir, `pwned-${process.pid}`);
    const config = path.join(dir, 'meta.yaml');
    const evil = [
      `/tmp/x; touch ${marker}`,
      `/tmp/$(touch ${marker})`,
      `/tmp/\`touch ${marker}\``,
      `/tmp/x' ; touch ${marker}; '`,
      `/tmp/x" && touch ${marker} && "`,
    ];
    writeFileSync(
      config,
      [
        'clusters:',
        '  - name: meta',
        '    facets: [files]',
        `    files: ${JSON.stringify(evil)}`,
        '    nodes:',
        sshNode('me', good),
        '      - { name: here, transport: local }',
        '',
      ].join('\n'),
    );
    const result = await driftd(['collect', '--config', config, '--json']);
    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const snaps = JSON.parse(result.stdout) as NodeSnapshot[];
    for (const snap of snaps) {
      expect(snap.facets.files?.status).toBe('ok');
      for (const pattern of evil) expect(snap.facets.files?.items[pattern]?.value).toBe('absent');
    }
  }, 60_000);

  it('records a live node and replays it to the same snapshot', async () => {
    const config = path.join(dir, 'rec.yaml');
    writeFileSync(config, ['clusters:', '  - name: rec', '    facets: [os, packages]', '    nodes:', sshNode('me', good), ''].join('\n'));
    const recordDir = path.join(dir, 'recording');
    const live = await driftd(['collect', '--config', config, '--json', '--record', recordDir]);
    expect(live.code).toBe(0);
    const replayConfig = path.join(dir, 'replay.yaml');
    writeFileSync(
      replayConfig,
      [
        'clusters:',
        '  - name: rec',
        '    facets: [os, packages]',
        '    nodes:',
        `      - { name: me, transport: replay, path: ${path.join(recordDir, 'me')} }`,
        '',
      ].join('\n'),
    );
    const replayed = await driftd(['collect', '--config', replayConfig, '--json']);
    const [a] = JSON.parse(live.stdout) as NodeSnapshot[];
    const [b] = JSON.parse(replayed.stdout) as NodeSnapshot[];
    expect(b?.facets.packages?.items).toEqual(a?.facets.packages?.items);
    expect(b?.facets.os?.items).toEqual(a?.facets.os?.items);
  }, 60_000);

  it('a bad config exits 2 with file:line:col', async () => {
    const config = path.join(dir, 'bad.yaml');
    writeFileSync(config, 'clusters:\n  - name: x\n    nodes:\n      - { name: a, hots: b }\n');
    const result = await driftd(['collect', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${config}:4:20: unknown key "hots"`);
  });
});
