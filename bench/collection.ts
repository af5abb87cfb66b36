/**
 * Measurement 1: driftd's collection of every facet against the physical limit, which is
 * OpenSSH's own `ssh` client running the SAME batch script (same CommandSpecs, same
 * framing) on the same nodes with the same concurrency. Runs alternate so drift in the
 * machine's load hits both sides alike; ratios are of medians from the same run.
 *
 * Three ways to run driftd: in-process (`collectTargets`, no start-up), the whole
 * process as users run it (`node dist/cli/bin.js collect`, built by dist.ts; also a
 * baseline revision's build when given), and through tsx as in development.
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
import type { BuiltCli } from './dist.js';
import type { BenchNodes } from './nodes.js';
import { median, timeMs } from './stats.js';

export const SSH_CLIENT = '/usr/bin/ssh';
const REPO_ROOT = join(import.meta.dirname, '..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

export interface CollectionSample {
  k: number;
  concurrency: number;
  commands: number;
  driftdMs: number[];
  sshFloorMs: number[];
  /** `tsx src/cli/bin.ts collect` (development), fewer runs. */
  cliMs: number[];
  driftdMedianMs: number;
  sshFloorMedianMs: number;
  cliMedianMs: number | null;
  /** driftd in-process / ssh floor, medians of the same run. */
  ratio: number;
  cliRatio: number | null;
  /** `node dist/cli/bin.js collect`, whole process, once per rep; the first is the working tree. */
  builtCli: BuiltCliSample[];
  facetStatuses: Record<string, number>;
}

export interface BuiltCliSample {
  label: string;
  ms: number[];
  medianMs: number;
  /** whole process / ssh floor, medians of the same run. */
  ratio: number;
}

export async function measureCollection(
  nodes: BenchNodes,
  reps: number,
  cliReps: number,
  builds: readonly BuiltCli[],
): Promise<CollectionSample> {
  const loaded = loadConfig(nodes.configFile);
  const cluster = loaded.config.clusters[0];
  if (!cluster) throw new Error('bench config has no cluster');
  const specs = commandsOf(collectorsFor(cluster.facets), collectorContext(loaded.config, cluster));

  // Warm-up: page cache, dpkg database, sshd's first fork; neither side gets a cold start.
  const warm = await driftdOnce(loaded);
  await floorOnce(nodes, specs);
  for (const cli of builds) await cliOnce(process.execPath, [cli.bin], nodes.configFile);

  const driftdMs: number[] = [];
  const sshFloorMs: number[] = [];
  const cliMs: number[] = [];
  const builtMs = builds.map((): number[] => []);
  type Side = { run: () => Promise<number>; into: number[] };
  const sides: Side[] = [
    { run: async () => (await driftdOnce(loaded)).ms, into: driftdMs },
    { run: () => floorOnce(nodes, specs), into: sshFloorMs },
    ...builds.map((cli, i): Side => ({ run: () => cliOnce(process.execPath, [cli.bin], nodes.configFile), into: builtMs[i] ?? [] })),
  ];
  for (let rep = 0; rep < reps; rep += 1) {
    // Rotate which side goes first, so a slow moment of the machine is shared.
    for (let i = 0; i < sides.length; i += 1) {
      const side = sides[(i + rep) % sides.length] as Side;
      side.into.push(await side.run());
    }
    if (rep < cliReps) cliMs.push(await cliOnce(TSX, ['src/cli/bin.ts'], nodes.configFile));
    const last = (ms: readonly number[]): string => (ms.length > rep ? `${Math.round(ms[rep] ?? 0)} ms` : '-');
    const built = builds.map((cli, i) => `${cli.label} ${last(builtMs[i] ?? [])}`).join(', ');
    console.log(`   rep ${rep + 1}/${reps}: in-process ${last(driftdMs)}, ssh floor ${last(sshFloorMs)}, built CLI: ${built}`);
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
    builtCli: builds.map((cli, i) => {
      const ms = builtMs[i] ?? [];
      return { label: cli.label, ms, medianMs: median(ms), ratio: median(ms) / sshFloorMedianMs };
    }),
    facetStatuses: warm.facetStatuses,
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

async function driftdOnce(loaded: LoadedConfig): Promise<{ ms: number; facetStatuses: Record<string, number> }> {
  const targets = selectTargets(loaded.config, {});
  const { ms, value } = await timeMs(() =>
    collectTargets({ config: loaded.config, configDir: loaded.dir, targets, now: () => new Date() }),
  );
  const facetStatuses: Record<string, number> = {};
  for (const node of value) {
    if (node.result.snapshot.error !== undefined) {
      throw new Error(`driftd could not collect ${node.node.name}: ${node.result.snapshot.error}`);
    }
    for (const facet of Object.values(node.result.snapshot.facets)) {
      facetStatuses[facet.status] = (facetStatuses[facet.status] ?? 0) + 1;
    }
  }
  return { ms, facetStatuses };
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

/** `driftd collect` as one whole process, start-up included: `node dist/cli/bin.js` or `tsx src/cli/bin.ts`. */
async function cliOnce(file: string, entry: readonly string[], configFile: string): Promise<number> {
  const { ms, value } = await timeMs(
    () =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(file, [...entry, 'collect', '--config', configFile, '--json', '--no-progress'], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (t: string) => {
          stderr += t;
        });
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stderr }));
      }),
  );
  if (value.code !== 0)
    throw new Error(`driftd collect (${[file, ...entry].join(' ')}) exited ${value.code}: ${value.stderr.slice(-1000)}`);
  return ms;
}
