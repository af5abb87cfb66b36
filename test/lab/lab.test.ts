import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
/**
 * The lab itself, checked with OpenSSH: every node answers as itself through its own
 * chrooted sshd, and each seed action does what the scenarios rely on. These do not need
 * driftd, so they say whether a failing scenario is the lab's fault or driftd's.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { labNodes, labUnavailableReason, resetAllNodes, seed, sshLogin, startCorosyncCluster } from './lab-env.js';

const unavailable = labUnavailableReason();
if (unavailable) console.warn(`SKIPPING lab infrastructure tests: ${unavailable}`);
const describeLab = unavailable ? describe.skip : describe;

describeLab(unavailable ? `lab infrastructure (SKIPPED: ${unavailable})` : 'lab infrastructure', () => {
  beforeEach(() => resetAllNodes());
  afterAll(() => resetAllNodes());

  it('every node answers over ssh with its own hostname, inside its own root', () => {
    for (const node of labNodes()) {
      const login = sshLogin(node, 'cat /etc/hostname; id -un; test -e /usr/sbin/debootstrap && echo host || echo chroot');
      expect(login.exitCode, login.stderr).toBe(0);
      expect(login.stdout.split('\n')).toEqual([node, 'driftd-lab', 'chroot', '']);
    }
  });

  it("every session runs in its node's own network namespace: its own eth0, MAC and address, none of it on the host", () => {
    const nodes = labNodes();
    const seen = nodes.map((node) => {
      const login = sshLogin(node, 'ip -o link show; ip -o -4 addr show dev eth0');
      expect(login.exitCode, `${node}: ${login.stderr}`).toBe(0);
      // veth0: eth0's peer, where the kernel has no dummy interfaces (lab.sh make_netns).
      const names = [...login.stdout.matchAll(/^\d+: ([^:@]+)[:@]/gm)].map((m) => m[1]).filter((n) => n !== 'veth0');
      expect(names, node).toEqual(['lo', 'eth0']);
      const mac = /eth0:.* mtu 1500 .*link\/ether ([0-9a-f:]{17})/.exec(login.stdout)?.[1];
      const addr = /inet (127\.0\.1\.\d+\/24)/.exec(login.stdout)?.[1];
      return { mac, addr };
    });
    // Each node its own MAC and address.
    expect(new Set(seen.map((s) => s.mac)).size, JSON.stringify(seen)).toBe(nodes.length);
    expect(new Set(seen.map((s) => s.addr)).size, JSON.stringify(seen)).toBe(nodes.length);
    const host = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    for (const { mac } of seen) expect(host).not.toContain(mac);
  });

  it("mtu changes the MTU of that node's NIC only; reset puts it back", () => {
    const [first, second] = labNodes();
    const mtu = 'ip -o link show dev eth0 | grep -o "mtu [0-9]*"';
    seed(second!, 'mtu', '9000');
    expect(sshLogin(second!, mtu).stdout.trim()).toBe('mtu 9000');
    expect(sshLogin(first!, mtu).stdout.trim()).toBe('mtu 1500');
    resetAllNodes();
    expect(sshLogin(second!, mtu).stdout.trim()).toBe('mtu 1500');
  });

  it('a package installed on one node is visible to dpkg-query over ssh on that node only', () => {
    const [first, second] = labNodes();
    seed(second!, 'install-deb', 'driftd-lab-tool', '1.0-1');
    const query = "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' driftd-lab-tool 2>/dev/null || true";
    expect(sshLogin(second!, query).stdout.trim()).toBe('driftd-lab-tool 1.0-1 ii');
    expect(sshLogin(first!, query).stdout.trim()).toBe('');
    seed(second!, 'install-deb', 'driftd-lab-tool', '1.0-2');
    expect(sshLogin(second!, query).stdout.trim()).toBe('driftd-lab-tool 1.0-2 ii');
  });

  it('file seeds change exactly the node they name', () => {
    const [first, second] = labNodes();
    seed(first!, 'sysctl-conf', 'vm.swappiness', '30');
    seed(first!, 'corosync-token', '10000');
    const read = 'grep swappiness /etc/sysctl.d/90-driftd-lab.conf; grep -E "^\\s*token:" /etc/corosync/corosync.conf';
    expect(sshLogin(first!, read).stdout.replace(/\s+/g, ' ').trim()).toBe('vm.swappiness = 30 token: 10000');
    // The baseline holds the host's live value: every node runs the host's kernel.
    const live = readFileSync('/proc/sys/vm/swappiness', 'utf8').trim();
    expect(sshLogin(second!, read).stdout.replace(/\s+/g, ' ').trim()).toBe(`vm.swappiness = ${live} token: 5000`);
  });

  it('sysctl-live changes what that node reads from /proc/sys only, leaving its file, the host and the peers alone; reset undoes it', () => {
    const [first, second] = labNodes();
    const host = readFileSync('/proc/sys/vm/swappiness', 'utf8').trim();
    const live = host === '33' ? '34' : '33';
    seed(second!, 'sysctl-live', 'vm.swappiness', live);
    const read = '/usr/sbin/sysctl -n vm.swappiness; grep swappiness /etc/sysctl.d/90-driftd-lab.conf';
    expect(sshLogin(second!, read).stdout.split('\n')).toEqual([live, `vm.swappiness = ${host}`, '']);
    expect(sshLogin(first!, read).stdout.split('\n')).toEqual([host, `vm.swappiness = ${host}`, '']);
    expect(readFileSync('/proc/sys/vm/swappiness', 'utf8').trim()).toBe(host);
    resetAllNodes();
    expect(sshLogin(second!, '/usr/sbin/sysctl -n vm.swappiness').stdout.trim()).toBe(host);
  });

  it('corosync-start on every node forms one real cluster of all of them, each answering corosync-cmapctl as the lab user; reset stops it', async () => {
    const nodes = labNodes();
    await startCorosyncCluster();
    nodes.forEach((node, i) => {
      const me = sshLogin(node, '/usr/sbin/corosync-cmapctl -g runtime.votequorum.this_node_id');
      expect(me.stdout, `${node}: ${me.stderr}`).toBe(`runtime.votequorum.this_node_id (u32) = ${i + 1}\n`);
    });
    resetAllNodes();
    expect(sshLogin(nodes[0]!, '/usr/sbin/corosync-cmapctl -g totem.token').exitCode).not.toBe(0);
  }, 90_000);

  it('a stopped node refuses connections and a rekeyed node fails host-key checking; reset brings both back', () => {
    const [first, , third] = labNodes();
    seed(third!, 'stop');
    const refused = sshLogin(third!, 'true');
    expect(refused.exitCode).toBe(255);
    expect(refused.stderr).toMatch(/Connection refused/);

    seed(first!, 'rekey');
    const rekeyed = sshLogin(first!, 'true');
    expect(rekeyed.exitCode).toBe(255);
    expect(rekeyed.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);

    resetAllNodes();
    expect(sshLogin(first!, 'true').exitCode).toBe(0);
    expect(sshLogin(third!, 'true').exitCode).toBe(0);
  });
});
