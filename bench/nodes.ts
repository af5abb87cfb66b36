/**
 * K benchmark nodes: one real OpenSSH sshd per loopback address 127.0.0.2 ... 127.0.0.(K+1),
 * started with the test harness, plus a driftd config naming them. Every sshd started
 * here is stopped by stopNodes (by its own PID, through the harness), even after a failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type SshdServer } from '../test/helpers/sshd.js';
import { mapWithConcurrency } from '../src/collect/pool.js';

export interface BenchNodes {
  servers: SshdServer[];
  dir: string;
  configFile: string;
  concurrency: number;
}

/** Nodes not yet stopped, so a signal handler can stop them before the process exits. */
const active = new Set<BenchNodes>();

export function nodeName(index: number): string {
  return `bench-${String(index + 1).padStart(3, '0')}`;
}

/** Starts K sshds; on any failure the ones already started are stopped before the error propagates. */
export async function startNodes(k: number, concurrency: number): Promise<BenchNodes> {
  if (k < 1 || k > 250) throw new Error(`K=${k}: loopback addresses 127.0.0.2-127.0.0.251 only`);
  const servers: SshdServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'driftd-bench-nodes-'));
  try {
    const started = await mapWithConcurrency(
      Array.from({ length: k }, (_, i) => i),
      8,
      async (i) => {
        const server = await startSshd({ host: `127.0.0.${i + 2}` });
        servers.push(server);
        return server;
      },
    );
    const configFile = join(dir, 'driftd.yaml');
    writeFileSync(configFile, configYaml(started, concurrency, join(dir, 'bench.db')));
    const nodes = { servers: started, dir, configFile, concurrency };
    active.add(nodes);
    return nodes;
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export async function stopNodes(nodes: BenchNodes): Promise<void> {
  active.delete(nodes);
  await Promise.all(nodes.servers.map((s) => s.stop()));
  rmSync(nodes.dir, { recursive: true, force: true });
}

/** Every facet (the default), one cluster, each node with its own port, key and known_hosts. */
function configYaml(servers: readonly SshdServer[], concurrency: number, database: string): string {
  const lines = [`database: ${database}`, `concurrency: ${concurrency}`, 'logLevel: silent', 'clusters:', '  - name: bench', '    nodes:'];
  servers.forEach((s, i) => {
    lines.push(
      `      - { name: ${nodeName(i)}, host: ${s.host}, port: ${s.port}, ssh: { user: ${s.user}, identityFile: ${s.identityFile}, knownHosts: ${s.knownHosts} } }`,
    );
  });
  return `${lines.join('\n')}\n`;
}

export async function stopActiveNodes(): Promise<void> {
  await Promise.all([...active].map((nodes) => stopNodes(nodes)));
}
