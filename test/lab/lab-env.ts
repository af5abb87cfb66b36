/**
 * The lab as the scenario tests see it: where `lab.sh up` left things, how to drift a
 * node (seed.sh), and how to run the real `driftd check` against it. I/O only; the
 * assertions live in the tests.
 */
import { createServer } from 'node:net';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckReportSchema, type CheckReport } from '../../src/core/check-report.js';

const LAB_SRC = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(LAB_SRC, '..', '..');
export const LAB_DIR = process.env.DRIFTD_LAB_DIR ?? '/var/lib/driftd-lab';
export const LAB_CONFIG = join(LAB_DIR, 'driftd.yaml');
export const LAB_CLUSTER = 'lab';
export const LAB_PORT = Number(process.env.DRIFTD_LAB_PORT ?? '2222');

export class LabNotUpError extends Error {
  override readonly name = 'LabNotUpError';
}

/** Why the lab cannot be used, or null when it is up (`lab.sh status` exits 0). */
export function labUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'the lab needs root';
  if (!existsSync(LAB_CONFIG)) return `no ${LAB_CONFIG}: run \`bash test/lab/lab.sh up\` (or \`npm run test:lab\`)`;
  const status = spawnSync('bash', [join(LAB_SRC, 'lab.sh'), 'status'], { encoding: 'utf8' });
  if (status.status !== 0) return `lab.sh status exited ${status.status}: ${status.stdout.trim()}`;
  return null;
}

export function labNodes(): string[] {
  return readFileSync(join(LAB_DIR, 'nodes.list'), 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

export function nodeAddress(node: string): string {
  const index = labNodes().indexOf(node);
  if (index < 0) throw new LabNotUpError(`no node ${node} in the lab`);
  return `127.0.0.${index + 2}`;
}

/** Runs `seed.sh NODE ACTION ARGS...`; throws with seed.sh's stderr when it fails. */
export function seed(node: string, action: string, ...args: string[]): void {
  execFileSync('bash', [join(LAB_SRC, 'seed.sh'), node, action, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function seedWithInput(node: string, action: string, input: string, ...args: string[]): void {
  execFileSync('bash', [join(LAB_SRC, 'seed.sh'), node, action, ...args], { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

export function resetAllNodes(): void {
  for (const node of labNodes()) seed(node, 'reset');
}

/**
 * corosync started in every node's root (seed.sh NODE corosync-start) and waited for
 * until each node counts every node as a joined member: one real cluster over knet on
 * 127.0.0.N. Throws with the last poll's counts when it does not form in time.
 */
export async function startCorosyncCluster(timeoutMs = 40_000): Promise<void> {
  const nodes = labNodes();
  for (const node of nodes) seed(node, 'corosync-start');
  const joined = (node: string) =>
    sshLogin(
      node,
      "/usr/sbin/corosync-cmapctl -b runtime.members | grep -c '^runtime[.]members[.][0-9]*[.]status (str) = joined$'",
    ).stdout.trim();
  await waitFor(
    `corosync membership of all ${nodes.length} nodes`,
    async () => {
      const counts = nodes.map((node) => `${node}: ${joined(node)}`).join(', ');
      if (nodes.every((node) => counts.includes(`${node}: ${nodes.length}`))) return true;
      throw new Error(`joined members per node: ${counts}; see ${LAB_DIR}/nodes/<node>/corosync.log`);
    },
    timeoutMs,
  );
}

/** Where `crm_mon` (run as the lab user on NODE) says each resource runs, and who is online. */
export interface PacemakerStatus {
  online: string[];
  resources: Record<string, { agent: string; nodes: string[] }>;
}

/** `crm_mon --output-as=xml` over SSH on NODE, reduced to who is online and what runs where. */
export function pacemakerStatus(node: string): PacemakerStatus {
  const login = sshLogin(node, '/usr/sbin/crm_mon --one-shot --output-as=xml');
  if (login.exitCode !== 0) throw new Error(`crm_mon on ${node} exited ${login.exitCode}: ${login.stderr.trim()}`);
  const online = [...login.stdout.matchAll(/<node name="([^"]+)"[^>]* online="true"/g)].map((m) => m[1] as string);
  const resources: PacemakerStatus['resources'] = {};
  for (const m of login.stdout.matchAll(/<resource id="([^"]+)" resource_agent="([^"]+)" role="Started"[^>]*>([\s\S]*?)<\/resource>/g)) {
    const nodes = [...(m[3] ?? '').matchAll(/<node name="([^"]+)"/g)].map((n) => n[1] as string);
    resources[m[1] as string] = { agent: m[2] as string, nodes };
  }
  return { online: online.sort(), resources };
}

/**
 * A real Pacemaker cluster on every node (issue #26): corosync first (startCorosyncCluster),
 * then `seed.sh NODE pacemaker-start` on each, waited for until `crm_mon` on the first node
 * shows every node online and every resource of files/cib-live.xml started. Throws with the
 * last crm_mon reading when it does not settle in time. `resetAllNodes()` stops it all.
 */
export async function startPacemakerCluster(timeoutMs = 120_000): Promise<PacemakerStatus> {
  const nodes = labNodes();
  await startCorosyncCluster();
  for (const node of nodes) seed(node, 'pacemaker-start');
  const wanted = ['fence-erp-a', 'fence-erp-b', 'fence-erp-c', 'erp-vip', 'erp-app'];
  return waitFor(
    `Pacemaker on all ${nodes.length} nodes with every resource started`,
    async () => {
      const status = pacemakerStatus(nodes[0] as string);
      const started = wanted.filter((id) => (status.resources[id]?.nodes.length ?? 0) > 0);
      if (status.online.length === nodes.length && started.length === wanted.length) return status;
      throw new Error(
        `online: ${status.online.join(' ')}; started: ${started.join(' ')}; see ${LAB_DIR}/roots/<node>/var/log/pacemaker/pacemaker.log`,
      );
    },
    timeoutMs,
  );
}

/**
 * Pacemaker stopped on every node at once (`seed.sh NODE pacemaker-stop` side by side):
 * one node after the other would move the resources to each next node first.
 */
export async function stopPacemakerCluster(): Promise<void> {
  await Promise.all(
    labNodes().map(
      (node) =>
        new Promise<void>((resolveStop, reject) => {
          const child = spawn('bash', [join(LAB_SRC, 'seed.sh'), node, 'pacemaker-stop'], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('error', reject);
          child.on('close', (code) =>
            code === 0 ? resolveStop() : reject(new Error(`seed.sh ${node} pacemaker-stop exited ${code}: ${stderr}`)),
          );
        }),
    ),
  );
}

/** SHA256 fingerprint of the host key the node's sshd currently serves (ssh-keygen -lf). */
export function hostKeyFingerprint(node: string): string {
  const line = execFileSync('ssh-keygen', ['-lf', join(LAB_DIR, 'nodes', node, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' });
  const fingerprint = line.split(' ')[1];
  if (!fingerprint?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -lf output: ${line}`);
  return fingerprint;
}

export interface LoginResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** One login with OpenSSH itself, strict host-key checking against the lab's known_hosts. */
export function sshLogin(node: string, command: string): LoginResult {
  const result = spawnSync(
    'ssh',
    [
      '-n',
      '-p',
      String(LAB_PORT),
      '-i',
      join(LAB_DIR, 'client', 'id_ed25519'),
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${join(LAB_DIR, 'client', 'known_hosts')}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'ConnectTimeout=5',
      `driftd-lab@${nodeAddress(node)}`,
      command,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface CheckRun {
  exitCode: number | null;
  report: CheckReport;
  stderr: string;
}

/**
 * The CLI entry point: src/cli/bin.ts runs the program, while main.ts only exports it
 * (the brief names main.ts; use it if it is ever made runnable and bin.ts goes away).
 */
export const CLI_ENTRY = existsSync(join(REPO_ROOT, 'src', 'cli', 'bin.ts')) ? 'src/cli/bin.ts' : 'src/cli/main.ts';

/** The real CLI: `tsx src/cli/bin.ts check --config LAB --cluster lab --json`. */
export function runCheck(extraArgs: string[] = [], config = LAB_CONFIG): CheckRun {
  const result = spawnSync(
    join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [CLI_ENTRY, 'check', '--config', config, '--cluster', LAB_CLUSTER, '--json', ...extraArgs],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new Error(
      `driftd check exited ${result.status} without a JSON report.\nstdout: ${result.stdout.slice(0, 2000)}\nstderr: ${result.stderr.slice(0, 4000)}`,
    );
  }
  return { exitCode: result.status, report: CheckReportSchema.parse(parsed), stderr: result.stderr };
}

export interface SimulateRun {
  exitCode: number | null;
  /** `driftd simulate --json`, as printed (its schema is the simulate command's own). */
  json: unknown;
  stderr: string;
}

/** The real CLI: `tsx src/cli/bin.ts simulate --config LAB --cluster lab --fail NODE --json`. */
export function runSimulate(failNode: string, config = LAB_CONFIG): SimulateRun {
  const result = spawnSync(
    join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [CLI_ENTRY, 'simulate', '--config', config, '--cluster', LAB_CLUSTER, '--fail', failNode, '--json'],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  try {
    return { exitCode: result.status, json: JSON.parse(result.stdout), stderr: result.stderr };
  } catch {
    throw new Error(
      `driftd simulate exited ${result.status} without JSON.\nstdout: ${result.stdout.slice(0, 2000)}\nstderr: ${result.stderr.slice(0, 4000)}`,
    );
  }
}

/** A free TCP port on 127.0.0.1, for a daemon under test. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `probe` until it returns a value (errors count as "not yet"), or times out. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
  );
}
