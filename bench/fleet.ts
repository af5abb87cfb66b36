/**
 * Fleet scale (issue #28): one whole `driftd serve` run over N simulated nodes (1000 in the
 * full run) behind real OpenSSH sshd processes that answer with recorded outputs, so the
 * figures are driftd's own cost (SSH, parsing, judging, storing, the metrics swap), not the
 * nodes'.
 *
 * - The nodes: `fixtures/demo/erp-{a,b,c}` (real command outputs, provenance in
 *   fixtures/README.md), one demo node per fleet node, so every cluster is a copy of the
 *   demo cluster and finds the demo's drift.
 * - Each node has its own loopback address 127.1.x.y (all on one port) and its own entry in
 *   one generated known_hosts (strict host-key checking, as in production). OpenSSH listens
 *   on at most 16 sockets per sshd (MAX_LISTEN_SOCKS), so N nodes take ceil(N/16) sshd
 *   processes, each with its own host key; nodes are dealt round robin over them.
 * - Each sshd's ForceCommand (`replay.awk`, one mawk process) reads driftd's batch script on
 *   stdin up to the start marker (for the run's nonce), looks its node up by
 *   SSH_CONNECTION's local address and port, and prints that node's pre-rendered answer
 *   (the recorded output of every command of the batch, framed by the batch markers) with
 *   the nonce put in. No command of the batch runs on the "node".
 * - sshd runs with `-r` (no re-exec per connection): the node side is as cheap as OpenSSH
 *   allows, and it is measured too (the sshd masters' reaped children's CPU time).
 * - driftd logs in as `driftd-fleet`, a system user whose shell is /bin/sh, created here if
 *   missing (needs root, as the lab does for its user). sshd runs a ForceCommand through
 *   the user's login shell, and Debian's bash sources ~/.bashrc for ssh commands: root's
 *   .bashrc on a developer machine (pyenv, nvm...) can cost more than the node itself.
 *
 * The daemon is the built CLI (`node dist/cli/bin.js serve`, bench/dist.ts) on its own
 * config, read through its JSON log: `driftd serving`, one `run stored` per cluster, then
 * `run finished` (the run's own duration: collect, judge, store, metrics prepare and swap).
 * Then its peak RSS (VmHWM, worker threads included) and CPU time are read from /proc,
 * /metrics is scraped to check that the view holds every node up, and it gets SIGTERM.
 *
 * Every sshd started here is stopped by its PID in a `finally` (and from run.ts's signal
 * handler through stopActiveFleets), and the temp dir is removed.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { commandsOf } from '../src/collect/collect-node.js';
import { collectorContext } from '../src/collect/collect-clusters.js';
import { mapWithConcurrency } from '../src/collect/pool.js';
import { collectorsFor } from '../src/collectors/registry.js';
import { loadConfig } from '../src/config/load.js';
import { MARKER_PREFIX } from '../src/transports/batch.js';
import { readRecording } from '../src/transports/replay.js';
import type { CommandSpec } from '../src/transports/transport.js';
import { freePort, generateKey, SSHD_PATH, type PublicKey } from '../test/helpers/sshd.js';

const REPO_ROOT = join(import.meta.dirname, '..');
const DEMO = join(REPO_ROOT, 'fixtures', 'demo');
const VARIANTS = ['erp-a', 'erp-b', 'erp-c'] as const;
/** The demo cluster's facets and files (examples/demo.yaml). */
const FACETS = ['os', 'kernel', 'packages', 'modules', 'sysctl', 'services', 'files', 'corosync', 'pacemaker', 'drbd'];
const FILES = ['/etc/hosts', '/etc/sysctl.d/*.conf', '/etc/corosync/corosync.conf'];
/** sshd.c MAX_LISTEN_SOCKS. */
const LISTEN_PER_SSHD = 16;
/** In the pre-rendered answers, replaced by the run's nonce on the node. */
const NONCE_PLACEHOLDER = 'XNONCEX';
/** A run that takes longer than this is a broken harness, not a slow driftd. */
const RUN_TIMEOUT_MS = 15 * 60 * 1000;

export interface FleetStore {
  label: string;
  /** The config's `database` for a run whose temp dir is `dir`. */
  database: (dir: string) => string;
  /** The config's `databasePasswordFile` (PostgreSQL). */
  passwordFile?: string;
  /** CPU used by the store's server processes so far (PostgreSQL's reaped backends), if any. */
  serverCpuMs?: () => number;
}

export interface FleetOptions {
  nodes: number;
  /** The config's `concurrency` (driftd's default is 16). */
  concurrency: number;
  /** `node <bin> serve`: the built CLI (bench/dist.ts). */
  bin: string;
  /** The store the run writes to. Default: a SQLite file in the run's temp dir. */
  store?: FleetStore;
  /**
   * `driftd serve` processes sharing the clusters (README "Several instances"; PostgreSQL
   * only), all spawned at once on the same config but their `instance.id` and port.
   */
  instances?: number;
}

/** One `driftd serve` of the fleet run. */
export interface InstanceSummary {
  id: string;
  /** From spawning it to its `run finished` line (start-up, config, first run). */
  wallMs: number;
  /** The run itself as the daemon logs it (`run finished` seconds). */
  runSeconds: number;
  /** From spawn to `driftd serving` (listening, run triggered). */
  startupMs: number;
  /** VmHWM after the run (main thread and parse workers). */
  peakRssMb: number;
  /** User + system CPU over start-up and the run. */
  cpuMs: number;
  /** `run stored` lines: the clusters this instance audited. */
  clustersStored: number;
  /** `driftd_node_up ... 1` series in its /metrics after the run. */
  nodesUp: number;
  findings: number;
  /** VmRSS sampled over the run. */
  rssTimeline: { atS: number; rssMb: number }[];
  /** When the highest sampled RSS was seen, in seconds after spawn. */
  peakRssAtS: number;
}

export interface FleetSummary {
  nodes: number;
  clusters: number;
  sshdProcesses: number;
  concurrency: number;
  store: string;
  instances: number;
  /** From spawning the instances to the last one's `run finished`. */
  wallMs: number;
  /** The longest instance run (`run finished` seconds). */
  runSeconds: number;
  /** The slowest instance's spawn to `driftd serving`. */
  startupMs: number;
  /** The highest VmHWM of any instance. */
  peakRssMb: number;
  /** User + system CPU of every instance together. */
  daemonCpuMs: number;
  /** CPU of the simulated nodes: the sshd masters' reaped children (sessions, mawk). */
  nodesCpuMs: number;
  /** CPU of the store's server (PostgreSQL backends), null for SQLite (in-process). */
  storeCpuMs: number | null;
  /** `driftd_node_up ... 1` series over every instance's /metrics: each node exactly once. */
  nodesUp: number;
  findings: number;
  databaseBytes: number | null;
  perInstance: InstanceSummary[];
}

export const FLEET_USER = 'driftd-fleet';

/** Why the fleet cannot run here, or null. */
export function fleetUnavailable(): string | null {
  if (process.getuid?.() !== 0) return `needs root: it runs sshd for its own user ${FLEET_USER} (useradd)`;
  return null;
}

/** The fleet's login user, with /bin/sh as shell so no shell start-up file runs per session. */
function ensureFleetUser(): string {
  const known = spawnSync('getent', ['passwd', FLEET_USER], { encoding: 'utf8' });
  if (known.status === 0) {
    if (!known.stdout.includes(':driftd fleet bench (bench/fleet.ts):')) {
      throw new Error(`user ${FLEET_USER} exists and was not created by bench/fleet.ts; refusing to use it`);
    }
  } else {
    execFileSync('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/bin/sh',
      '--comment',
      'driftd fleet bench (bench/fleet.ts)',
      FLEET_USER,
    ]);
  }
  // sshd without PAM refuses a locked ("!") account even for key auth; "*" has no password yet is not locked.
  execFileSync('usermod', ['-p', '*', FLEET_USER]);
  return FLEET_USER;
}

interface Sshd {
  child: ChildProcess;
  pid: number;
  dir: string;
  addresses: string[];
  log: string;
}

interface Fleet {
  dir: string;
  sshds: Sshd[];
  daemons: ChildProcess[];
}

/** Fleets not yet torn down, for a signal handler. */
const active = new Set<Fleet>();

function nodeAddress(index: number): string {
  // 127.1.0.1 ... 127.1.3.250 for 1000 nodes: loopback only, away from the lab's 127.0.0.x.
  return `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

interface FleetNode {
  name: string;
  cluster: string;
  host: string;
  variant: (typeof VARIANTS)[number];
}

/** Clusters of three demo nodes (a, b, c); a remainder of one or two joins the last cluster. */
function planNodes(count: number): { nodes: FleetNode[]; clusters: number } {
  const clusters = Math.max(1, Math.floor(count / 3));
  const nodes: FleetNode[] = [];
  for (let i = 0; i < count; i += 1) {
    const c = Math.min(Math.floor(i / 3), clusters - 1);
    const cluster = `fleet-${String(c + 1).padStart(4, '0')}`;
    const variant = VARIANTS[(i - c * 3) % 3] as (typeof VARIANTS)[number];
    nodes.push({ name: `${cluster}-${i - c * 3 + 1}`, cluster, host: nodeAddress(i), variant });
  }
  return { nodes, clusters };
}

function configYaml(options: {
  nodes: readonly FleetNode[];
  database: string;
  listen: string;
  concurrency: number;
  port: number;
  user: string;
  identityFile: string;
  knownHosts: string;
  passwordFile?: string;
  /** Sharing the clusters with other instances (PostgreSQL). */
  instance?: { id: string; leaseSeconds: number };
}): string {
  const lines = [
    `database: ${JSON.stringify(options.database)}`,
    ...(options.passwordFile ? [`databasePasswordFile: ${JSON.stringify(options.passwordFile)}`] : []),
    ...(options.instance ? [`instance: { id: ${options.instance.id}, leaseSeconds: ${options.instance.leaseSeconds} }`] : []),
    `listen: ${options.listen}`,
    // Never fires during the bench: the run measured is the one `serve` starts with.
    'schedule: "0 0 1 1 *"',
    `concurrency: ${options.concurrency}`,
    'logLevel: info',
    `ssh: { user: ${options.user}, identityFile: ${options.identityFile}, knownHosts: ${options.knownHosts}, port: ${options.port} }`,
    'clusters:',
  ];
  let current = '';
  for (const node of options.nodes) {
    if (node.cluster !== current) {
      current = node.cluster;
      lines.push(`  - name: ${node.cluster}`, `    facets: [${FACETS.join(', ')}]`, `    files: [${FILES.join(', ')}]`, '    nodes:');
    }
    lines.push(`      - { name: ${node.name}, host: ${node.host} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** A node's whole answer to the batch, per stream: recorded outputs framed by the markers. */
async function renderAnswer(variantDir: string, specs: readonly CommandSpec[]): Promise<{ out: string; err: string }> {
  const marker = (suffix: string): string => `\n${MARKER_PREFIX}${NONCE_PLACEHOLDER}:${suffix}\n`;
  let out = marker('start');
  let err = marker('start');
  for (const [index, spec] of specs.entries()) {
    const recorded = await readRecording(variantDir, spec.id);
    if (recorded.error !== undefined || recorded.exitCode === null) {
      throw new Error(`${variantDir}: recording ${spec.id} is not a finished command (${recorded.error ?? 'no exit code'})`);
    }
    const end = marker(`end:${index}:${recorded.exitCode}`);
    out += recorded.stdout + end;
    err += recorded.stderr + end;
  }
  return { out, err };
}

/**
 * The node's forced command: one mawk process (Debian's required awk) that finds its node
 * by SSH_CONNECTION's local address and port, reads the batch script on stdin up to the
 * start line for the run's nonce, and prints the node's answer per stream with the nonce
 * put in. One exec per session after sshd's own, instead of a shell loop reading stdin a
 * byte at a time and two sed.
 */
function replayProgram(dir: string): string {
  return [
    '# driftd fleet bench: a node that answers with recorded outputs (ForceCommand); nothing of the batch runs.',
    'function answer(file, dest,   line) {',
    `  while ((getline line < file) > 0) { gsub(/${MARKER_PREFIX}${NONCE_PLACEHOLDER}:/, "${MARKER_PREFIX}" nonce ":", line); print line > dest }`,
    '  close(file)',
    '}',
    'BEGIN {',
    // SSH_CONNECTION = client address, client port, local address, local port: which node this is.
    '  split(ENVIRON["SSH_CONNECTION"], c, " ")',
    `  if ((getline variant < ("${dir}/nodes/" c[3] "_" c[4])) <= 0) exit 97`,
    '  nonce = ""',
    // The batch's start line: printf '\n@@driftd:%s:start\n' NONCE; printf ... >&2
    '  while ((getline line) > 0) {',
    `    if (index(line, "${MARKER_PREFIX}%s:start") > 0) { split(line, w, " "); nonce = w[3]; sub(/;$/, "", nonce); break }`,
    '  }',
    '  if (nonce == "") exit 98',
    `  answer("${dir}/answers/" variant ".err", "/dev/stderr")`,
    `  answer("${dir}/answers/" variant ".out", "/dev/stdout")`,
    '  exit 0',
    '}',
    '',
  ].join('\n');
}

function sshdConfig(dir: string, addresses: readonly string[], port: number, user: string, fleetDir: string): string {
  return [
    ...addresses.map((a) => `ListenAddress ${a}:${port}`),
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(fleetDir, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    `ForceCommand exec /usr/bin/mawk -f ${join(fleetDir, 'replay.awk')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    // driftd opens up to `concurrency` connections at once, possibly to one sshd.
    'MaxStartups 256',
    'LogLevel INFO',
    '',
  ].join('\n');
}

async function startFleetSshd(dir: string, addresses: string[], port: number, user: string, fleetDir: string): Promise<Sshd> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sshd_config'), sshdConfig(dir, addresses, port, user, fleetDir));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn(SSHD_PATH, ['-D', '-e', '-r', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error(`sshd did not start for ${addresses.join(', ')}`);
  const sshd: Sshd = { child, pid: child.pid, dir, addresses, log: '' };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    // Keep the start-up lines and the last errors, not every session's lines.
    sshd.log = (sshd.log + text).slice(-20_000);
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listening = (sshd.log.match(/Server listening on /g) ?? []).length;
    if (listening === addresses.length) return sshd;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd for ${addresses[0]}... exited:\n${sshd.log}`);
    if (Date.now() > deadline) {
      await stopSshd(sshd);
      throw new Error(`sshd listened on ${listening}/${addresses.length} addresses within 15 s:\n${sshd.log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function stopSshd(sshd: Sshd): Promise<void> {
  return stopChild(sshd.child, 3000);
}

/** SIGTERM to this child's PID, SIGKILL after `graceMs`; resolves when it has exited. */
function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Field n (1-based, as in proc(5)) of /proc/PID/stat; the command name may contain spaces. */
function procStat(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state).
  return [0, 0, 0, ...rest.map(Number)];
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function cpuMsOf(pid: number, children: boolean): number {
  const f = procStat(pid);
  // utime 14, stime 15, cutime 16, cstime 17
  const ticks = children ? (f[16] ?? 0) + (f[17] ?? 0) : (f[14] ?? 0) + (f[15] ?? 0);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** CPU of a process's reaped children so far (PostgreSQL's backends that have exited). */
export function cpuMsOfChildren(pid: number): number {
  return cpuMsOf(pid, true);
}

function peakRssMbOf(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no VmHWM`);
  return Number(match[1]) / 1024;
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics answered ${res.statusCode}`))));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
}

interface LogLine {
  msg?: string;
  seconds?: number;
  failed?: boolean;
  node?: string;
  error?: string;
  level?: number;
}

interface Watched {
  child: ChildProcess;
  /** Resolves at the instance's `run finished` line; rejects if it exits first or its run failed. */
  finished: Promise<void>;
  /** Its figures after the run (reads /proc and scrapes /metrics); call before stopping it. */
  summarise: () => Promise<InstanceSummary>;
}

/** Spawns one `driftd serve` and follows its JSON log up to its first `run finished`. */
function watchDaemon(
  fleet: Fleet,
  bin: string,
  instance: { id: string; configFile: string; listenPort: number },
  started: number,
): Watched {
  // Diagnostics only: e.g. DRIFTD_FLEET_NODE_ARGS="--trace-gc" (its lines are echoed to stderr).
  const nodeArgs = (process.env['DRIFTD_FLEET_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const daemon = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--config', instance.configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fleet.daemons.push(daemon);
  const pid = daemon.pid;
  if (pid === undefined) throw new Error(`driftd serve ${instance.id} did not start`);
  // RSS over the run, to see when the peak happens (VmHWM gives only its height).
  const rssSamples: { atMs: number; rssMb: number }[] = [];
  const sampler = setInterval(() => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) rssSamples.push({ atMs: performance.now() - started, rssMb: Number(match[1]) / 1024 });
    } catch {
      // exited
    }
  }, 250);
  sampler.unref();
  let stderr = '';
  daemon.stderr?.setEncoding('utf8');
  daemon.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-20_000)));
  let startupMs = NaN;
  let wallMs = NaN;
  let stored = 0;
  let runSeconds = NaN;
  const unreachable: string[] = [];
  const errors: string[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${instance.id}: no 'run finished' within ${RUN_TIMEOUT_MS / 1000} s`)),
      RUN_TIMEOUT_MS,
    );
    daemon.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`driftd serve ${instance.id} exited (${code ?? signal}) before its run finished:\n${stderr}`));
    });
    const lines = createInterface({ input: daemon.stdout as NodeJS.ReadableStream });
    lines.on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        if (nodeArgs.length > 0) console.error(`   driftd ${instance.id}: ${text}`);
        return;
      }
      if (line.msg === 'driftd serving') startupMs = performance.now() - started;
      // The first run's only: an instance done early may audit a cluster handed back by a
      // slower one afterwards, which is a later run, not a second auditor of this one.
      else if (line.msg === 'run stored' && Number.isNaN(wallMs)) stored += 1;
      else if (line.msg === 'node unreachable') unreachable.push(`${line.node ?? '?'}: ${line.error ?? '?'}`);
      else if (line.msg === 'run finished' && Number.isNaN(wallMs)) {
        clearTimeout(timer);
        wallMs = performance.now() - started;
        runSeconds = line.seconds ?? NaN;
        clearInterval(sampler);
        if (line.failed) reject(new Error(`${instance.id}: the daemon's run failed:\n${errors.slice(-5).join('\n')}\n${stderr}`));
        else if (unreachable.length > 0)
          reject(new Error(`${unreachable.length} fleet node(s) unreachable, first: ${unreachable.slice(0, 3).join('; ')}`));
        else resolve();
      } else if ((line.level ?? 0) >= 50 && line.msg?.startsWith('finding ') !== true) {
        // Errors other than the findings' own log lines (critical findings log at error level).
        errors.push(text.slice(0, 2000));
      }
    });
  });
  const summarise = async (): Promise<InstanceSummary> => {
    const peakRssMb = peakRssMbOf(pid);
    const cpuMs = cpuMsOf(pid, false);
    const body = await scrape(instance.listenPort);
    if (errors.length > 0)
      console.error(`   driftd ${instance.id} logged ${errors.length} error(s) during the run, last: ${errors.at(-1)}`);
    const peak = rssSamples.reduce((a, b) => (b.rssMb > a.rssMb ? b : a), { atMs: 0, rssMb: 0 });
    return {
      id: instance.id,
      wallMs,
      runSeconds,
      startupMs,
      peakRssMb,
      cpuMs,
      clustersStored: stored,
      nodesUp: body.split('\n').filter((l) => l.startsWith('driftd_node_up{') && l.endsWith(' 1')).length,
      findings: body
        .split('\n')
        .filter((l) => l.startsWith('driftd_findings{'))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0),
      rssTimeline: rssSamples
        .filter((_, i) => i % 4 === 0)
        .map((r) => ({ atS: Math.round(r.atMs / 100) / 10, rssMb: Math.round(r.rssMb) })),
      peakRssAtS: Math.round(peak.atMs / 100) / 10,
    };
  };
  return { child: daemon, finished, summarise };
}

export async function measureFleet(options: FleetOptions): Promise<FleetSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'driftd-bench-fleet-'));
  const fleet: Fleet = { dir, sshds: [], daemons: [] };
  active.add(fleet);
  try {
    const user = ensureFleetUser();
    const { nodes, clusters } = planNodes(options.nodes);
    const port = await freePort(nodes[0]?.host ?? '127.1.0.1');
    const clientKey = generateKey(join(dir, 'id_ed25519'));
    // The fleet user reads the authorized key, the replay script and the answers.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'authorized_keys'), `${clientKey.type} ${clientKey.base64}\n`, { mode: 0o644 });
    const database = options.store?.database(dir) ?? join(dir, 'fleet.db');
    const knownHostsFile = join(dir, 'known_hosts');
    const instanceCount = options.instances ?? 1;
    if (instanceCount > 1 && options.store === undefined) throw new Error('several instances share a PostgreSQL store, not SQLite');
    const instances: { id: string; configFile: string; listenPort: number }[] = [];
    for (let i = 1; i <= instanceCount; i += 1) {
      const id = `bench-${i}`;
      const listenPort = await freePort('127.0.0.1');
      const configFile = join(dir, `driftd-${id}.yaml`);
      writeFileSync(
        configFile,
        configYaml({
          nodes,
          database,
          listen: `127.0.0.1:${listenPort}`,
          concurrency: options.concurrency,
          port,
          user,
          identityFile: join(dir, 'id_ed25519'),
          knownHosts: knownHostsFile,
          ...(options.store?.passwordFile ? { passwordFile: options.store.passwordFile } : {}),
          // The lease outlives any stall of a busy instance's event loop by far.
          ...(options.store ? { instance: { id, leaseSeconds: 60 } } : {}),
        }),
      );
      instances.push({ id, configFile, listenPort });
    }
    const configFile = instances[0]?.configFile ?? '';

    // The batch every node receives (all clusters share facets and files), answered per demo node.
    const loaded = loadConfig(configFile);
    const first = loaded.config.clusters[0];
    if (!first) throw new Error('fleet config has no cluster');
    const specs = commandsOf(collectorsFor(first.facets), collectorContext(loaded.config, first));
    mkdirSync(join(dir, 'answers'));
    mkdirSync(join(dir, 'nodes'));
    for (const variant of VARIANTS) {
      const answer = await renderAnswer(join(DEMO, variant), specs);
      writeFileSync(join(dir, 'answers', `${variant}.out`), answer.out);
      writeFileSync(join(dir, 'answers', `${variant}.err`), answer.err);
    }
    for (const node of nodes) writeFileSync(join(dir, 'nodes', `${node.host}_${port}`), `${node.variant}\n`);
    writeFileSync(join(dir, 'replay.awk'), replayProgram(dir), { mode: 0o644 });

    // ceil(N/16) sshd, nodes dealt round robin; each sshd its own host key.
    const sshdCount = Math.ceil(nodes.length / LISTEN_PER_SSHD);
    const groups = Array.from({ length: sshdCount }, (_, j) => nodes.filter((_, i) => i % sshdCount === j));
    const hostKeys: PublicKey[] = groups.map((_, j) => {
      mkdirSync(join(dir, `sshd-${j}`));
      return generateKey(join(dir, `sshd-${j}`, 'ssh_host_ed25519_key'));
    });
    writeFileSync(
      knownHostsFile,
      groups.flatMap((group, j) => group.map((node) => `[${node.host}]:${port} ${hostKeys[j]?.type} ${hostKeys[j]?.base64}`)).join('\n') +
        '\n',
    );
    console.log(`-- fleet: ${nodes.length} nodes in ${clusters} clusters behind ${sshdCount} sshd (127.1.x.y:${port})`);
    await mapWithConcurrency(
      groups.map((group, j) => ({ group, j })),
      8,
      async ({ group, j }) => {
        const sshd = await startFleetSshd(
          join(dir, `sshd-${j}`),
          group.map((n) => n.host),
          port,
          user,
          dir,
        );
        fleet.sshds.push(sshd);
      },
    );

    if (process.env['FLEET_DEBUG_PAUSE']) {
      console.log(`DEBUG pause: ${dir} port ${port}`);
      await new Promise((r) => setTimeout(r, Number(process.env['FLEET_DEBUG_PAUSE']) * 1000));
    }
    console.log(
      `-- fleet: ${instanceCount} driftd serve on ${options.store?.label ?? 'sqlite'}, one run over ${nodes.length} nodes (concurrency ${options.concurrency})`,
    );
    const started = performance.now();
    const watched = instances.map((instance) => watchDaemon(fleet, options.bin, instance, started));
    const results = await Promise.allSettled(watched.map((w) => w.finished));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    const wallMs = performance.now() - started;
    const perInstance: InstanceSummary[] = [];
    for (const w of watched) perInstance.push(await w.summarise());
    await Promise.all(watched.map((w) => stopChild(w.child, 20_000)));
    fleet.daemons = [];
    const nodesCpuMs = fleet.sshds.reduce((sum, s) => sum + cpuMsOf(s.pid, true), 0);
    // The store server's backends exit when the instances disconnect, then are reaped.
    if (options.store?.serverCpuMs) await new Promise((resolve) => setTimeout(resolve, 1000));

    const stored = perInstance.reduce((sum, i) => sum + i.clustersStored, 0);
    if (stored !== clusters)
      throw new Error(`${stored} of ${clusters} clusters stored (${perInstance.map((i) => `${i.id}: ${i.clustersStored}`).join(', ')})`);
    const nodesUp = perInstance.reduce((sum, i) => sum + i.nodesUp, 0);
    if (nodesUp !== nodes.length) throw new Error(`/metrics of all instances show ${nodesUp} of ${nodes.length} nodes up`);
    let databaseBytes: number | null = null;
    try {
      databaseBytes = statSync(database).size;
    } catch {
      databaseBytes = null; // not a file (another store)
    }
    return {
      nodes: nodes.length,
      clusters,
      sshdProcesses: sshdCount,
      concurrency: options.concurrency,
      store: options.store?.label ?? 'sqlite',
      instances: instanceCount,
      wallMs,
      runSeconds: Math.max(...perInstance.map((i) => i.runSeconds)),
      startupMs: Math.max(...perInstance.map((i) => i.startupMs)),
      peakRssMb: Math.max(...perInstance.map((i) => i.peakRssMb)),
      daemonCpuMs: perInstance.reduce((sum, i) => sum + i.cpuMs, 0),
      nodesCpuMs,
      storeCpuMs: options.store?.serverCpuMs?.() ?? null,
      nodesUp,
      findings: perInstance.reduce((sum, i) => sum + i.findings, 0),
      databaseBytes,
      perInstance,
    };
  } finally {
    await teardown(fleet);
  }
}

async function teardown(fleet: Fleet): Promise<void> {
  active.delete(fleet);
  await Promise.all(fleet.daemons.map((d) => stopChild(d, 5000)));
  await Promise.all(fleet.sshds.map(stopSshd));
  rmSync(fleet.dir, { recursive: true, force: true });
}

/** For run.ts's SIGINT/SIGTERM handler: the daemon and every sshd of a fleet still up. */
export async function stopActiveFleets(): Promise<void> {
  await Promise.all([...active].map(teardown));
}
