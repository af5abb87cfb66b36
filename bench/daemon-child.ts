/**
 * The daemon's read side in its own process: a view of CLUSTERS x NODES synthetic nodes
 * (rich facets, reports from the real engine), served by createHttpServer on
 * 127.0.0.1:0. `daemon-child.ts CLUSTERS NODES PACKAGES SEED`; talks over IPC:
 * sends { port, ... } when listening; answers 'swap' (a new run's view swapped in, metrics
 * not prepared: the next scrape renders them), 'swap-prepare' (swapped in and prepared as
 * the daemon does, with the time prepare() took) and 'report' (its memory right after a
 * full GC, and again after 10 s idle and another GC), then exits.
 *
 * The view is built as the daemon builds it: every node's snapshot and every cluster's
 * report exist at once (as after auditClusters), then clusterViewOf keeps a summary of each
 * snapshot and a copy of the report, and the snapshots are dropped (the daemon has stored them).
 * No store here: the scrape path never touches it.
 */
import { performance } from 'node:perf_hooks';
import { ScoringConfig } from '../src/config/schema.js';
import type { CheckReport } from '../src/core/check-report.js';
import { evaluateCluster } from '../src/core/engine/index.js';
import type { NodeSnapshot } from '../src/core/snapshot.js';
import { clusterViewOf, type ClusterView, type DaemonView } from '../src/view/view.js';
import { createHttpServer } from '../src/http/server.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { loadRulePacks } from '../src/rules/load.js';
import { DRIFTD_VERSION } from '../src/version.js';
import { generateCluster, packageUniverse, seededRandom, SYNTHETIC_TAKEN_AT } from './generate.js';

export interface DaemonReady {
  port: number;
  nodes: number;
  clusters: number;
  findings: number;
  buildMs: number;
  /** prepare() on the first view, right after it was built (as the daemon does after a run). */
  firstPrepareMs: number;
  /** Peak RSS so far: building the snapshots, the reports and the view. */
  maxRssAtReadyMb: number;
}

export interface DaemonSwapped {
  /** Set for 'swap-prepare': how long prepare() took on the new view. */
  prepareMs?: number;
}

export interface DaemonMemory {
  /** After the scrapes, as the process stands. */
  rssMb: number;
  heapUsedMb: number;
  /** After the scrapes and a full GC: the steady state of an idle daemon between runs. */
  rssAfterGcMb: number;
  heapUsedAfterGcMb: number;
  /** Peak over the whole process: build, scrapes and swaps. */
  maxRssMb: number;
  /**
   * After IDLE_MS more without requests and another full GC: V8 gives committed pages back
   * in the background after a GC, so the reading right after gc() is still settling.
   */
  rssIdleMb: number;
  heapTotalIdleMb: number;
}

const IDLE_MS = 10_000;

const [clusterCount, nodesPerCluster, packages, seed] = process.argv.slice(2).map(Number) as [number, number, number, number];
if (![clusterCount, nodesPerCluster, packages, seed].every(Number.isFinite) || !process.send) {
  throw new Error('usage (forked with IPC): daemon-child.ts CLUSTERS NODES_PER_CLUSTER PACKAGES SEED');
}
const send = process.send.bind(process);

interface Audit {
  name: string;
  snapshots: NodeSnapshot[];
  report: CheckReport;
}

function audit(): Audit[] {
  const rules = loadRulePacks([], { includeShipped: true }).rules;
  const scoring = ScoringConfig.parse({});
  const universe = packageUniverse(packages, seededRandom(seed));
  const audits: Audit[] = [];
  for (let c = 0; c < clusterCount; c += 1) {
    const name = `ha-${String(c + 1).padStart(4, '0')}`;
    const cluster = generateCluster({
      cluster: name,
      nodes: nodesPerCluster,
      packages,
      driftRate: 0.005,
      seed: seed + c,
      richFacets: true,
      universe,
    });
    const report = evaluateCluster({ cluster: name, nodes: cluster.nodes, snapshots: cluster.snapshots, rules, scoring, now: checkedAt });
    audits.push({ name, snapshots: cluster.snapshots, report });
  }
  return audits;
}

const started = performance.now();
const checkedAt = new Date(Date.parse(SYNTHETIC_TAKEN_AT) + 60_000);
const clusters: ClusterView[] = audit().map((a, index) =>
  clusterViewOf({ name: a.name, report: a.report, snapshots: a.snapshots, runId: index + 1, lastRunAt: checkedAt.toISOString() }),
);
let view: DaemonView = {
  version: DRIFTD_VERSION,
  startedAt: SYNTHETIC_TAKEN_AT,
  firstRunCompleted: true,
  clusters,
  runs: {
    total: 1,
    failures: 0,
    lastDurationSeconds: 42,
    lastRunAt: checkedAt.toISOString(),
    lastSuccessAt: checkedAt.toISOString(),
    running: false,
  },
  config: { reloadSuccess: true, lastReloadAt: null },
  windows: [],
};
const getView = (): DaemonView => view;
const metrics = createMetrics(getView);
const prepareStarted = performance.now();
metrics.prepare(view);
const firstPrepareMs = performance.now() - prepareStarted;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const server = createHttpServer({ getView, metrics, triggerRun: () => 'busy', logger: silent });
const address = await server.listen('127.0.0.1', 0);
globalThis.gc?.();
const ready: DaemonReady = {
  port: address.port,
  nodes: clusterCount * nodesPerCluster,
  clusters: clusterCount,
  findings: clusters.reduce((n, c) => n + c.report.findings.length, 0),
  buildMs: performance.now() - started,
  firstPrepareMs,
  maxRssAtReadyMb: process.resourceUsage().maxRSS / 1024,
};
send(ready);

/** What the daemon does after a run: new clusters and windows arrays, new counters. */
function swapInNextRun(): void {
  const runs = view.runs;
  view = {
    ...view,
    clusters: view.clusters.map((cluster) => ({ ...cluster })),
    windows: [...(view.windows ?? [])],
    runs: { ...runs, total: runs.total + 1 },
  };
}

process.on('message', (message) => {
  void answer(message);
});

async function answer(message: unknown): Promise<void> {
  if (message === 'swap' || message === 'swap-prepare') {
    swapInNextRun();
    const reply: DaemonSwapped = {};
    if (message === 'swap-prepare') {
      const at = performance.now();
      metrics.prepare(view);
      reply.prepareMs = performance.now() - at;
    }
    send(reply);
    return;
  }
  if (message !== 'report') return;
  const before = process.memoryUsage();
  globalThis.gc?.();
  const after = process.memoryUsage();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  globalThis.gc?.();
  const idle = process.memoryUsage();
  const memory: DaemonMemory = {
    rssMb: before.rss / 2 ** 20,
    heapUsedMb: before.heapUsed / 2 ** 20,
    rssAfterGcMb: after.rss / 2 ** 20,
    heapUsedAfterGcMb: after.heapUsed / 2 ** 20,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    rssIdleMb: idle.rss / 2 ** 20,
    heapTotalIdleMb: idle.heapTotal / 2 ** 20,
  };
  send(memory, () => {
    void server.close().then(() => process.exit(0));
  });
}
