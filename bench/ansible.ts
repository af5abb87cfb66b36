/**
 * Measurement 2: Debian's Ansible gathering OS, kernel and package facts on the same
 * nodes (a two-task playbook: `setup` with gather_subset=!all,min, then `package_facts`),
 * with forks = driftd's concurrency. Ansible is given its fastest usual setup: pipelining
 * on (no per-task file copies; the harness sshd has no sftp subsystem anyway) and its
 * default ControlMaster/ControlPersist=60s, which reuses one connection per host across
 * the two tasks. Each run starts with a fresh control directory and its masters are
 * closed afterwards, so no run inherits a warm connection.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchNodes } from './nodes.js';
import { nodeName } from './nodes.js';
import { median, timeMs } from './stats.js';
import { driftdWithFacets, SSH_CLIENT } from './collection.js';
import { loadConfig } from '../src/config/load.js';
import type { FacetName } from '../src/core/snapshot.js';

export const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
const NODE_PYTHON = '/usr/bin/python3';

/** null when Ansible can run here; otherwise why not (said loudly by the caller). */
export function ansibleUnavailable(): string | null {
  if (!existsSync(ANSIBLE_PLAYBOOK)) return `${ANSIBLE_PLAYBOOK} not found (apt-get install -y ansible)`;
  if (!existsSync(NODE_PYTHON)) return `${NODE_PYTHON} not found on the nodes (this machine): Ansible modules need it`;
  return null;
}

export function ansibleVersion(): string | null {
  const out = spawnSync(ANSIBLE_PLAYBOOK, ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? (out.stdout.split('\n')[0] ?? '').trim() : null;
}

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: os and kernel facts
      ansible.builtin.setup:
        gather_subset: ['!all', 'min']
    - name: installed packages
      ansible.builtin.package_facts:
        manager: auto
`;

export interface AnsibleSample {
  k: number;
  forks: number;
  runsMs: number[];
  medianMs: number;
  /** driftd collecting only the facts Ansible gathers here (os, kernel, packages), interleaved with Ansible's runs. */
  driftdSameScopeMs: number[];
  driftdSameScopeMedianMs: number;
}

/** What the playbook gathers, in driftd's terms. */
export const ANSIBLE_SCOPE: readonly FacetName[] = ['os', 'kernel', 'packages'];

export async function measureAnsible(nodes: BenchNodes, reps: number, warmUp: boolean): Promise<AnsibleSample> {
  const loaded = loadConfig(nodes.configFile);
  const dir = join(nodes.dir, 'ansible');
  mkdirSync(dir, { recursive: true });
  const inventory = join(dir, 'inventory.ini');
  const playbook = join(dir, 'facts.yml');
  const config = join(dir, 'ansible.cfg');
  writeFileSync(playbook, PLAYBOOK);
  writeFileSync(config, '[defaults]\n');
  writeFileSync(inventory, inventoryIni(nodes));
  if (warmUp) await runOnce(nodes, dir, inventory, playbook, config, 'warm-up');
  await driftdWithFacets(loaded, ANSIBLE_SCOPE);
  const runsMs: number[] = [];
  const driftdSameScopeMs: number[] = [];
  for (let rep = 0; rep < reps; rep += 1) {
    runsMs.push(await runOnce(nodes, dir, inventory, playbook, config, `run-${rep}`));
    driftdSameScopeMs.push(await driftdWithFacets(loaded, ANSIBLE_SCOPE));
  }
  return {
    k: nodes.servers.length,
    forks: nodes.concurrency,
    runsMs,
    medianMs: median(runsMs),
    driftdSameScopeMs,
    driftdSameScopeMedianMs: median(driftdSameScopeMs),
  };
}

function inventoryIni(nodes: BenchNodes): string {
  const lines = ['[bench]'];
  nodes.servers.forEach((s, i) => {
    const common = `-F /dev/null -o UserKnownHostsFile=${s.knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes`;
    lines.push(
      `${nodeName(i)} ansible_host=${s.host} ansible_port=${s.port} ansible_user=${s.user} ` +
        `ansible_ssh_private_key_file=${s.identityFile} ansible_ssh_common_args='${common}' ansible_python_interpreter=${NODE_PYTHON}`,
    );
  });
  return `${lines.join('\n')}\n`;
}

async function runOnce(nodes: BenchNodes, dir: string, inventory: string, playbook: string, config: string, tag: string): Promise<number> {
  const controlDir = join(dir, `cp-${tag}`);
  const home = join(dir, `home-${tag}`);
  mkdirSync(controlDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  try {
    const { ms, value } = await timeMs(
      () =>
        new Promise<{ code: number | null; output: string }>((resolve, reject) => {
          const child = spawn(ANSIBLE_PLAYBOOK, ['-i', inventory, '-f', String(nodes.concurrency), playbook], {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: {
              PATH: process.env['PATH'] ?? '/usr/bin:/bin',
              HOME: home,
              LANG: 'C.UTF-8',
              ANSIBLE_CONFIG: config,
              ANSIBLE_HOME: home,
              ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
              ANSIBLE_REMOTE_TMP: `/tmp/driftd-bench-ansible-${process.pid}`,
              ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
              ANSIBLE_NOCOLOR: '1',
              ANSIBLE_RETRY_FILES_ENABLED: '0',
              ANSIBLE_HOST_KEY_CHECKING: 'True',
              // Ansible's documented speed-up: modules go over stdin, no temp-file copy per task.
              ANSIBLE_PIPELINING: 'True',
            },
          });
          let output = '';
          child.stdout.setEncoding('utf8');
          child.stderr.setEncoding('utf8');
          child.stdout.on('data', (t: string) => {
            output += t;
          });
          child.stderr.on('data', (t: string) => {
            output += t;
          });
          child.once('error', reject);
          child.once('close', (code) => resolve({ code, output }));
        }),
    );
    const recap = value.output.slice(value.output.indexOf('PLAY RECAP'));
    const okHosts = (recap.match(/ok=2\s+changed=0\s+unreachable=0\s+failed=0/g) ?? []).length;
    if (value.code !== 0 || okHosts !== nodes.servers.length) {
      throw new Error(
        `ansible-playbook (${tag}) exited ${value.code}, ${okHosts}/${nodes.servers.length} hosts ok:\n${value.output.slice(-3000)}`,
      );
    }
    return ms;
  } finally {
    closeMasters(controlDir);
    rmSync(home, { recursive: true, force: true });
    rmSync(`/tmp/driftd-bench-ansible-${process.pid}`, { recursive: true, force: true });
  }
}

/** Ansible's ControlPersist masters outlive the run; close each through its own socket. */
function closeMasters(controlDir: string): void {
  for (const socket of readdirSync(controlDir)) {
    spawnSync(SSH_CLIENT, ['-F', '/dev/null', '-o', `ControlPath=${join(controlDir, socket)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
  }
  rmSync(controlDir, { recursive: true, force: true });
}
