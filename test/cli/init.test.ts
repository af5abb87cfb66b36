/**
 * `driftd init --node HOST` against real sshd nodes on 127.0.0.1-3 sharing one port: the
 * seed's forced command plays its corosync.conf. Nothing is trusted silently: without a
 * confirmation nothing is written; with the fingerprints confirmed the known_hosts it
 * writes is accepted by OpenSSH's own client under strict host-key checking.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { membersFromCorosyncConf, membersFromCrmNode } from '../../src/cli/init/members.js';
import { freePort, sshdAvailable, sshdSkipReason, startSshd, type SshdServer } from '../helpers/sshd.js';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'src/cli/bin.ts');

async function driftd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: REPO, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const COROSYNC = (port: number): string => `# corosync.conf as pcs writes it (trimmed), members on 127.0.0.1-3
totem {
    version: 2
    cluster_name: erp-lab
    transport: knet
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        name: erp-a
        nodeid: 1
    }
    node {
        ring0_addr: 127.0.0.2
        name: erp-b
        nodeid: 2
    }
    node {
        ring0_addr: 127.0.0.3
        name: erp-c
        nodeid: 3
    }
}
# port ${port}
`;

describe('member parsers (pure)', () => {
  it('corosync.conf nodelist: names, ring0_addr, cluster_name', () => {
    expect(membersFromCorosyncConf(COROSYNC(22))).toEqual({
      ok: true,
      clusterName: 'erp-lab',
      members: [
        { name: 'erp-a', address: '127.0.0.1' },
        { name: 'erp-b', address: '127.0.0.2' },
        { name: 'erp-c', address: '127.0.0.3' },
      ],
    });
    expect(membersFromCorosyncConf('totem {\n version: 2\n}\n')).toMatchObject({ ok: false });
    expect(membersFromCorosyncConf('nodelist {\n')).toMatchObject({ ok: false });
  });

  it('crm_node -l', () => {
    expect(membersFromCrmNode('1 erp-a member\n2 erp-b member\n')).toEqual({
      ok: true,
      clusterName: null,
      members: [
        { name: 'erp-a', address: 'erp-a' },
        { name: 'erp-b', address: 'erp-b' },
      ],
    });
    expect(membersFromCrmNode('')).toMatchObject({ ok: false });
  });
});

const suite = sshdAvailable ? describe : describe.skip;

suite(sshdAvailable ? 'driftd init against real sshd nodes' : `driftd init (${sshdSkipReason})`, () => {
  let dir: string;
  let nodes: SshdServer[] = [];
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-init-'));
    port = await freePort('127.0.0.1');
    writeFileSync(path.join(dir, 'corosync.conf'), COROSYNC(port));
    nodes = [
      await startSshd({ host: '127.0.0.1', port, authorizedKeyOptions: `command="cat ${path.join(dir, 'corosync.conf')}"` }),
      await startSshd({ host: '127.0.0.2', port }),
      await startSshd({ host: '127.0.0.3', port }),
    ];
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const seedArgs = (out: string): string[] => [
    'init',
    '--node',
    '127.0.0.1',
    '--port',
    String(port),
    '--user',
    'root',
    '--identity',
    nodes[0]?.identityFile ?? '',
    '--out',
    out,
  ];

  it('without a confirmation: shows the seed fingerprint, writes nothing, exit 2', async () => {
    const out = path.join(dir, 'none', 'driftd.yaml');
    const r = await driftd(seedArgs(out));
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`127.0.0.1:${port}  ssh-ed25519  ${nodes[0]?.hostKeyFingerprint}`);
    expect(r.stderr).toContain(`rerun with --accept ${nodes[0]?.hostKeyFingerprint}`);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('the seed confirmed, the members not: lists every member fingerprint, writes nothing', async () => {
    const out = path.join(dir, 'driftd-seed-only.yaml');
    const r = await driftd([...seedArgs(out), '--accept', nodes[0]?.hostKeyFingerprint ?? '']);
    expect(r.code).toBe(2);
    for (const n of nodes.slice(1)) expect(r.stdout).toContain(`${n.host}:${port}  ssh-ed25519  ${n.hostKeyFingerprint}`);
    expect(r.stderr).toContain('not confirmed by --accept: erp-b');
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('a fingerprint that does not match is refused', async () => {
    const out = path.join(dir, 'driftd-wrong.yaml');
    const r = await driftd([...seedArgs(out), '--accept', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`not confirmed by --accept: 127.0.0.1 ${nodes[0]?.hostKeyFingerprint}`);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('on a terminal it asks; anything but y writes nothing (a real pty through script(1))', async () => {
    const out = path.join(dir, 'driftd-tty.yaml');
    const command = [process.execPath, '--import', 'tsx', BIN, ...seedArgs(out)].map((a) => `'${a}'`).join(' ');
    // script gives driftd a pseudo-terminal; "n" answers the first question.
    const tty = spawnSync('/usr/bin/script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: REPO,
      input: 'n\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(tty.stdout).toContain(nodes[0]?.hostKeyFingerprint);
    expect(tty.stdout).toContain('Do these fingerprints match what the nodes show? [y/N]');
    expect(tty.stdout).toContain('fingerprints not confirmed; nothing written');
    expect(tty.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('every key confirmed: a config driftd loads and a known_hosts OpenSSH accepts strictly', async () => {
    const out = path.join(dir, 'driftd.yaml');
    const r = await driftd([...seedArgs(out), '--accept', nodes.map((n) => n.hostKeyFingerprint).join(',')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out} (cluster erp-lab, 3 nodes)`);
    const loaded = loadConfig(out);
    expect(loaded.config.clusters).toHaveLength(1);
    expect(loaded.config.clusters[0]?.name).toBe('erp-lab');
    expect(loaded.config.clusters[0]?.nodes.map((n) => [n.name, n.host])).toEqual([
      ['erp-a', '127.0.0.1'],
      ['erp-b', '127.0.0.2'],
      ['erp-c', '127.0.0.3'],
    ]);
    expect(loaded.config.ssh.port).toBe(port);
    const knownHosts = path.join(dir, 'known_hosts');
    // Exactly the line each sshd's own host key gives (`[host]:port type key`, as ssh-keyscan -p writes).
    expect(readFileSync(knownHosts, 'utf8').trim().split('\n')).toEqual(nodes.map((n) => readFileSync(n.knownHosts, 'utf8').trim()));
    // OpenSSH's own client, strict checking, only this known_hosts: each member connects.
    for (const n of nodes.slice(1)) {
      const ssh = spawnSync(
        '/usr/bin/ssh',
        [
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          `UserKnownHostsFile=${knownHosts}`,
          '-o',
          'GlobalKnownHostsFile=/dev/null',
          '-i',
          n.identityFile,
          '-p',
          String(port),
          `root@${n.host}`,
          'echo',
          'hello',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(ssh.stderr).not.toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION/);
      expect(ssh.stdout.trim()).toBe('hello');
    }
    // Never over an existing file.
    const again = await driftd([...seedArgs(out), '--accept', nodes.map((n) => n.hostKeyFingerprint).join(',')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('driftd init never overwrites');
  }, 90_000);

  it('--inventory: an Ansible INI inventory, groups become clusters, every host key confirmed', async () => {
    const inventory = path.join(dir, 'hosts.ini');
    writeFileSync(
      inventory,
      `[db]\nerp-a ansible_host=127.0.0.1\n\n[erp]\nerp-b ansible_host=127.0.0.2\nerp-c ansible_host=127.0.0.3 ansible_port=${port}\n`,
    );
    const out = path.join(dir, 'inv', 'driftd.yaml');
    mkdirSync(path.dirname(out));
    const base = ['init', '--inventory', inventory, '--port', String(port), '--identity', nodes[0]?.identityFile ?? '', '--out', out];
    const unconfirmed = await driftd(base);
    expect(unconfirmed.code).toBe(2);
    for (const n of nodes) expect(unconfirmed.stdout).toContain(n.hostKeyFingerprint);
    expect(existsSync(out)).toBe(false);
    const unknownGroup = await driftd([...base, '--group', 'web']);
    expect(unknownGroup.stderr).toContain('--group web: not in the inventory (groups with hosts: db, erp)');
    const r = await driftd([...base, '--accept', nodes.map((n) => n.hostKeyFingerprint).join(',')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const loaded = loadConfig(out);
    expect(loaded.config.clusters.map((c) => [c.name, c.nodes.map((n) => n.host)])).toEqual([
      ['db', ['127.0.0.1']],
      ['erp', ['127.0.0.2', '127.0.0.3']],
    ]);
    expect(
      readFileSync(path.join(dir, 'inv', 'known_hosts'), 'utf8')
        .trim()
        .split('\n'),
    ).toEqual(nodes.map((n) => readFileSync(n.knownHosts, 'utf8').trim()));
  }, 90_000);
});
