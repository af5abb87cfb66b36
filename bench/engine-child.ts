/**
 * One engine size in its own process, so its peak RSS is its own:
 * `engine-child.ts NODES PACKAGES DRIFT_RATE SEED REPS [distinct] [stored]`. Prints one JSON line.
 * `stored`: snapshots without collection digests, as read back from the store.
 */
import { performance } from 'node:perf_hooks';
import { ScoringConfig } from '../src/config/schema.js';
import { evaluateCluster } from '../src/core/engine/index.js';
import { loadRulePacks } from '../src/rules/load.js';
import { generateCluster } from './generate.js';

export interface EngineChildResult {
  nodes: number;
  packages: number;
  driftRate: number;
  driftedItems: number;
  findings: number;
  wallMs: number[];
  /** User+system CPU of each evaluation: less sensitive than wall time to a shared machine. */
  cpuMs: number[];
  generateMs: number;
  rssAfterGenerateMb: number;
  maxRssMb: number;
}

const [nodes, packages, driftRate, seed, reps] = process.argv.slice(2, 7).map(Number) as [number, number, number, number, number];
const modes = new Set(process.argv.slice(7));
const everyNodeDistinct = modes.has('distinct');
const digests = !modes.has('stored');
if (![nodes, packages, driftRate, seed, reps].every(Number.isFinite)) {
  throw new Error('usage: engine-child.ts NODES PACKAGES DRIFT_RATE SEED REPS [distinct] [stored]');
}
const loaded = loadRulePacks([], { includeShipped: true });
if (loaded.errors.length > 0) throw new Error(`shipped rule packs do not load: ${JSON.stringify(loaded.errors)}`);
const scoring = ScoringConfig.parse({});

const generatedAt = performance.now();
const cluster = generateCluster({ cluster: 'bench', nodes, packages, driftRate, seed, everyNodeDistinct, digests });
const generateMs = performance.now() - generatedAt;
globalThis.gc?.();
const rssAfterGenerateMb = process.memoryUsage().rss / 2 ** 20;

const wallMs: number[] = [];
const cpuMs: number[] = [];
let findings = 0;
for (let rep = 0; rep < reps; rep += 1) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const report = evaluateCluster({
    cluster: cluster.cluster,
    nodes: cluster.nodes,
    snapshots: cluster.snapshots,
    rules: loaded.rules,
    scoring,
    now: new Date('2026-11-26T08:05:00.000Z'),
  });
  wallMs.push(performance.now() - started);
  const cpu = process.cpuUsage(cpuBefore);
  cpuMs.push((cpu.user + cpu.system) / 1000);
  findings = report.findings.length;
}
const result: EngineChildResult = {
  nodes,
  packages,
  driftRate,
  driftedItems: cluster.driftedItems,
  findings,
  wallMs,
  cpuMs,
  generateMs,
  rssAfterGenerateMb,
  // resourceUsage().maxRSS is in kilobytes.
  maxRssMb: process.resourceUsage().maxRSS / 1024,
};
console.log(JSON.stringify(result));
