/**
 * Measurement 1: driftd's collection of every facet against the physical limit, which is
 * OpenSSH's own `ssh` client running the SAME batch script (same CommandSpecs, same
 * framing) on the same nodes with the same concurrency. Runs alternate so drift in the
 * machine's load hits both sides alike; ratios are of medians from the same run.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { collectTargets, collectorContext, selectTargets } from '../src/collect/collect-clusters.js';
import { commandsOf } from '../src/collect/collect-node.js';
import { mapWithConcurrency } from '../src/collect/pool.js';
import { collectorsFor } from '../src/collectors/registry.js';
import { loadConfig, type LoadedConfig } from '../src/config/load.js';
import { buildBatchScript, demuxBatch } from '../src/transports/batch.js';
import { FACET_NAMES, type FacetName } from '../src/core/snapshot.js';
import type { CommandSpec } from '../src/transports/transport.js';
import type { BenchNodes } from './nodes.js';
import { median, timeMs } from './stats.js';

export const SSH_CLIENT = '/usr/bin/ssh';
const REPO_ROOT = join(import.meta.dirname, '..');

export interface CollectionSample {
  k: number;
  concurrency: number;
  commands: number;
  driftdMs: number[];
  sshFloorMs: number[];
  cliMs: number[];
  driftdMedianMs: number;
  sshFloorMedianMs: number;
  cliMedianMs: number | null;
  /** driftd in-process / ssh floor, medians of the same run. */
  ratio: number;
  cliRatio: number | null;
  facetStatuses: Record<string, number>;
  /**
   * What each facet costs one node: per facet, the median over the driftd runs of the
   * mean wall time its commands took on a node (the facet's `durationMs`, measured on the
   * node side of the one batch), in ms.
   */
  facetMsPerNode: Record<string, number>;
}

export async function measureCollection(nodes: BenchNodes, reps: number, cliReps: number): Promise<CollectionSample> {
  const loaded = loadConfig(nodes.configFile);
  const cluster = loaded.config.clusters[0];
  if (!cluster) throw new Error('bench config has no cluster');
  const specs = commandsOf(collectorsFor(cluster.facets), collectorContext(loaded.config, cluster));

  // Warm-up: page cache, dpkg database, sshd's first fork; neither side gets a cold start.
  const warm = await driftdOnce(loaded);
  await floorOnce(nodes, specs);

  const driftdMs: number[] = [];
  const facetRuns: Record<string, number>[] = [];
  const sshFloorMs: number[] = [];
  const cliMs: number[] = [];
  for (let rep = 0; rep < reps; rep += 1) {
    // Alternate which side goes first, so a slow moment of the machine is shared.
    const order = rep % 2 === 0 ? ['driftd', 'floor'] : ['floor', 'driftd'];
    for (const side of order) {
      if (side === 'driftd') {
        const run = await driftdOnce(loaded);
        driftdMs.push(run.ms);
        facetRuns.push(run.facetMs);
      } else sshFloorMs.push(await floorOnce(nodes, specs));
    }
    if (rep < cliReps) cliMs.push(await cliOnce(nodes.configFile));
  }
  const driftdMedianMs = median(driftdMs);
  const sshFloorMedianMs = median(sshFloorMs);
  const cliMedianMs = cliMs.length > 0 ? median(cliMs) : null;
  return {
    k: nodes.servers.length,
    concurrency: nodes.concurrency,
    commands: specs.length,
    driftdMs,
    sshFloorMs,
    cliMs,
    driftdMedianMs,
    sshFloorMedianMs,
    cliMedianMs,
    ratio: driftdMedianMs / sshFloorMedianMs,
    cliRatio: cliMedianMs === null ? null : cliMedianMs / sshFloorMedianMs,
    facetStatuses: warm.facetStatuses,
    facetMsPerNode: Object.fromEntries(Object.keys(warm.facetMs).map((facet) => [facet, median(facetRuns.map((r) => r[facet] ?? 0))])),
  };
}

/**
 * What each facet costs per node: every facet (FACET_NAMES, the opt-in ones too) collected
 * `reps` times; per facet the median over runs and nodes of its commands' node-side time
 * (the facet's durationMs, cut from the one batch by its end markers), and the items kept.
 */
export async function measureFacetCost(
  loaded: LoadedConfig,
  reps: number,
): Promise<Record<string, { medianMs: number; items: number; status: string }>> {
  const config = { ...loaded.config, clusters: loaded.config.clusters.map((c) => ({ ...c, facets: [...FACET_NAMES] })) };
  const targets = selectTargets(config, {});
  const times = new Map<string, number[]>();
  const last = new Map<string, { items: number; status: string }>();
  for (let rep = 0; rep < reps; rep += 1) {
    const collected = await collectTargets({ config, configDir: loaded.dir, targets, now: () => new Date() });
    for (const node of collected) {
      for (const [name, facet] of Object.entries(node.result.snapshot.facets)) {
        const list = times.get(name) ?? [];
        list.push(facet.durationMs ?? 0);
        times.set(name, list);
        last.set(name, { items: Object.keys(facet.items).length, status: facet.status });
      }
    }
  }
  const out: Record<string, { medianMs: number; items: number; status: string }> = {};
  for (const name of FACET_NAMES) {
    const list = times.get(name);
    const seen = last.get(name);
    if (list && seen) out[name] = { medianMs: median(list), ...seen };
  }
  return out;
}

/** driftd limited to some facets (the scope of another tool), on the same nodes. */
export async function driftdWithFacets(loaded: LoadedConfig, facets: readonly FacetName[]): Promise<number> {
  const config = { ...loaded.config, clusters: loaded.config.clusters.map((c) => ({ ...c, facets: [...facets] })) };
  return (await driftdOnce({ ...loaded, config })).ms;
}

async function driftdOnce(
  loaded: LoadedConfig,
): Promise<{ ms: number; facetStatuses: Record<string, number>; facetMs: Record<string, number> }> {
  const targets = selectTargets(loaded.config, {});
  const { ms, value } = await timeMs(() =>
    collectTargets({ config: loaded.config, configDir: loaded.dir, targets, now: () => new Date() }),
  );
  const facetStatuses: Record<string, number> = {};
  const facetTotal: Record<string, number> = {};
  for (const node of value) {
    if (node.result.snapshot.error !== undefined) {
      throw new Error(`driftd could not collect ${node.node.name}: ${node.result.snapshot.error}`);
    }
    for (const [name, facet] of Object.entries(node.result.snapshot.facets)) {
      facetStatuses[facet.status] = (facetStatuses[facet.status] ?? 0) + 1;
      facetTotal[name] = (facetTotal[name] ?? 0) + (facet.durationMs ?? 0);
    }
  }
  const facetMs = Object.fromEntries(Object.entries(facetTotal).map(([name, total]) => [name, total / Math.max(value.length, 1)]));
  return { ms, facetStatuses, facetMs };
}

/** The floor: every node through /usr/bin/ssh, the same script, the same pool size. */
async function floorOnce(nodes: BenchNodes, specs: readonly CommandSpec[]): Promise<number> {
  const { ms } = await timeMs(() =>
    mapWithConcurrency(nodes.servers, nodes.concurrency, async (server) => {
      const nonce = randomBytes(12).toString('hex');
      const script = buildBatchScript(specs, { nonce, sudo: false });
      const out = await sshBatch(
        [
          '-F',
          '/dev/null',
          '-i',
          server.identityFile,
          '-o',
          `UserKnownHostsFile=${server.knownHosts}`,
          '-o',
          'GlobalKnownHostsFile=/dev/null',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          '-p',
          String(server.port),
          `${server.user}@${server.host}`,
          '/bin/sh -s',
        ],
        script,
      );
      const results = demuxBatch(specs, out.stdout, out.stderr, { nonce, defaultMaxBytes: 64 * 1024 * 1024 });
      const unfinished = results.filter((r) => r.exitCode === null);
      if (unfinished.length > 0) {
        throw new Error(
          `ssh floor on ${server.host}: ${unfinished.length} commands did not finish (${unfinished.map((r) => r.id).join(', ')})`,
        );
      }
    }),
  );
  return ms;
}

/**
 * Like driftd's transport, stdin stays open until the remote side closes the channel:
 * the script's watchdog kills what runs on the node as soon as stdin reaches EOF.
 */
function sshBatch(args: string[], script: string): Promise<{ stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSH_CLIENT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // ssh may exit while the script is still buffered for it; that is its answer, not ours.
    child.stdin.on('error', () => undefined);
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`ssh ${args.at(-2) ?? ''} exited ${code}: ${Buffer.concat(stderr).toString('utf8').slice(-500)}`));
        return;
      }
      resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
    });
    child.stdin.write(script);
  });
}

/** The CLI as a user runs it (node + tsx startup included), through the local tsx binary. */
async function cliOnce(configFile: string): Promise<number> {
  const { ms, value } = await timeMs(
    () =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(
          join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
          ['src/cli/bin.ts', 'collect', '--config', configFile, '--json', '--no-progress'],
          {
            cwd: REPO_ROOT,
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (t: string) => {
          stderr += t;
        });
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stderr }));
      }),
  );
  if (value.code !== 0) throw new Error(`driftd collect exited ${value.code}: ${value.stderr.slice(-1000)}`);
  return ms;
}
