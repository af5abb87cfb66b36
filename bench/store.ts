/**
 * Measurement 4: what history costs on a real SQLite file. Sizes come from
 * await store.stats() (page_count * page_size) before and after groups of runs; the yearly
 * projection is computed from those measured per-run costs, not assumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ScoringConfig } from '../src/config/schema.js';
import type { CheckReport } from '../src/core/check-report.js';
import { evaluateCluster } from '../src/core/engine/index.js';
import type { CompiledRules } from '../src/core/engine/index.js';
import type { NodeSnapshot } from '../src/core/snapshot.js';
import { loadRulePacks } from '../src/rules/load.js';
import { Store } from '../src/store/index.js';
import { generateCluster, retake, withPackages, SYNTHETIC_TAKEN_AT, type SyntheticCluster } from './generate.js';
import { median } from './stats.js';

export interface StoreOptions {
  /** Nodes of the cluster whose history is projected (100 in the brief). */
  nodes: number;
  packages: number;
  unchangedRuns: number;
  changedRuns: number;
  churnRuns: number;
  /** Fraction of each node's packages upgraded per day. */
  dailyChurn: number;
  /** Nodes of the run whose write time is measured (1000 in the brief). */
  bigRunNodes: number;
  bigRunRepeats: number;
  seed: number;
}

export interface StoreSummary {
  options: StoreOptions;
  firstRunBytes: number;
  bytesPerUnchangedRun: number;
  bytesPerUnchangedNodeSnapshot: number;
  bytesPerChangedPackage: number;
  bytesPerChurnDay: number;
  runsPerYear: number;
  projectedYearBytes: number;
  /** Growth per unchanged run by table/index: where an unchanged run's bytes go. */
  unchangedRunBytesByTable: Record<string, number>;
  /** Live bytes (pages in use) a pruned unchanged node-snapshot gives back. */
  bytesSavedPerPrunedSnapshot: number;
  prunedSnapshots: number;
  /** The same year with `driftd history prune` at the default 30 days applied (live pages). */
  projectedYearBytesWithRetention: number;
  findingsPerRun: number;
  bigRun: { nodes: number; firstWriteMs: number; unchangedWriteMs: number[]; medianUnchangedWriteMs: number };
  facetBlobs: { raw: number; stored: number };
}

const RUN_INTERVAL_MS = 15 * 60_000;
const YEAR_RUNS = (365 * 24 * 60) / 15;
/** The config default (retention.keepUnchangedDays). */
const KEEP_UNCHANGED_DAYS = 30;

function liveBytes(stats: { pageSize: number; pageCount: number; freePages: number }): number {
  return (stats.pageCount - stats.freePages) * stats.pageSize;
}

export async function measureStore(options: StoreOptions): Promise<StoreSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'driftd-bench-store-'));
  try {
    const loaded = loadRulePacks([], { includeShipped: true });
    const rules = loaded.rules;
    const history = await measureHistory(join(dir, 'history.db'), options, rules);
    const bigRun = await measureBigRun(join(dir, 'big.db'), options, rules);
    return { options, ...history, bigRun };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Runner {
  store: Store;
  cluster: SyntheticCluster;
  rules: CompiledRules;
  index: number;
  report: CheckReport;
}

function at(index: number): string {
  return new Date(Date.parse(SYNTHETIC_TAKEN_AT) + index * RUN_INTERVAL_MS).toISOString();
}

function evaluate(runner: Runner, snapshots: readonly NodeSnapshot[], when: string): CheckReport {
  return evaluateCluster({
    cluster: runner.cluster.cluster,
    nodes: runner.cluster.nodes,
    snapshots,
    rules: runner.rules,
    scoring: ScoringConfig.parse({}),
    now: new Date(when),
  });
}

/**
 * One run. `fresh` re-evaluates (the content changed); otherwise the previous report is
 * kept with the new check time, as the engine would return the same findings.
 */
async function saveRun(runner: Runner, snapshots: NodeSnapshot[], fresh: boolean): Promise<number> {
  const when = at(runner.index);
  const taken = snapshots.map((s) => retake(s, when));
  runner.report = fresh ? evaluate(runner, taken, when) : { ...runner.report, checkedAt: when };
  const started = performance.now();
  await runner.store.saveRun({
    cluster: runner.cluster.cluster,
    startedAt: when,
    finishedAt: when,
    snapshots: taken,
    report: runner.report,
  });
  runner.index += 1;
  return performance.now() - started;
}

async function measureHistory(file: string, options: StoreOptions, rules: CompiledRules) {
  const cluster = generateCluster({
    cluster: 'history',
    nodes: options.nodes,
    packages: options.packages,
    driftRate: 0.005,
    seed: options.seed,
    richFacets: true,
  });
  const store = await Store.open(file);
  try {
    const runner: Runner = {
      store,
      cluster,
      rules,
      index: 0,
      report: evaluate({ store, cluster, rules, index: 0 } as Runner, cluster.snapshots, at(0)),
    };
    let snapshots = cluster.snapshots;
    await saveRun(runner, snapshots, true);
    const first = await store.stats();
    const firstByTable = store.bytesByTable();

    for (let i = 0; i < options.unchangedRuns; i += 1) await saveRun(runner, snapshots, false);
    const afterUnchanged = await store.stats();
    const unchangedRunBytesByTable = Object.fromEntries(
      Object.entries(store.bytesByTable())
        .map(([name, bytes]): [string, number] => [name, Math.round((bytes - (firstByTable[name] ?? 0)) / options.unchangedRuns)])
        .filter(([, bytes]) => bytes !== 0)
        .sort((a, b) => b[1] - a[1]),
    );
    const bytesPerUnchangedRun = (afterUnchanged.bytes - first.bytes) / options.unchangedRuns;

    // One package version changes on one node per run (a node moving ahead of its peers).
    const packageNames = Object.keys(snapshots[0]?.facets.packages?.items ?? {});
    const movingPackage = packageNames[packageNames.length - 1] as string;
    for (let i = 0; i < options.changedRuns; i += 1) {
      snapshots = snapshots.map((s, n) => (n === 0 ? withPackages(s, new Map([[movingPackage, `99.${i}-1`]])) : s));
      await saveRun(runner, snapshots, true);
    }
    const afterChanged = await store.stats();
    const bytesPerChangedPackage = (afterChanged.bytes - afterUnchanged.bytes) / options.changedRuns - bytesPerUnchangedRun;

    // A day's churn: the same share of packages upgraded on every node in one run.
    const churned = Math.max(1, Math.round(options.dailyChurn * packageNames.length));
    let churnBytes = 0;
    for (let day = 0; day < options.churnRuns; day += 1) {
      const upgrades = new Map<string, string>();
      for (let p = 0; p < churned; p += 1) {
        const name = packageNames[(day * churned + p) % packageNames.length] as string;
        upgrades.set(name, `100.${day}-1`);
      }
      snapshots = snapshots.map((s) => withPackages(s, upgrades));
      const before = (await store.stats()).bytes;
      await saveRun(runner, snapshots, true);
      churnBytes += (await store.stats()).bytes - before;
    }
    const bytesPerChurnDay = churnBytes / options.churnRuns - bytesPerUnchangedRun;
    const end = await store.stats();
    const projectedYearBytes = first.bytes + YEAR_RUNS * bytesPerUnchangedRun + 365 * bytesPerChurnDay;

    // Retention: everything is older than the horizon once the clock is 31 days on.
    const liveBefore = liveBytes(end);
    const lastRun = at(runner.index - 1);
    const pruned = await store.prune({
      keepUnchangedDays: KEEP_UNCHANGED_DAYS,
      now: new Date(Date.parse(lastRun) + 31 * 86_400_000).toISOString(),
    });
    const bytesSavedPerPrunedSnapshot =
      pruned.deletedSnapshots > 0 ? (liveBefore - liveBytes(await store.stats())) / pruned.deletedSnapshots : 0;
    const keptRuns = (KEEP_UNCHANGED_DAYS * 86_400_000) / RUN_INTERVAL_MS;
    const projectedYearBytesWithRetention = projectedYearBytes - (YEAR_RUNS - keptRuns) * options.nodes * bytesSavedPerPrunedSnapshot;
    return {
      firstRunBytes: first.bytes,
      bytesPerUnchangedRun,
      bytesPerUnchangedNodeSnapshot: bytesPerUnchangedRun / options.nodes,
      bytesPerChangedPackage,
      bytesPerChurnDay,
      runsPerYear: YEAR_RUNS,
      projectedYearBytes,
      unchangedRunBytesByTable,
      bytesSavedPerPrunedSnapshot,
      prunedSnapshots: pruned.deletedSnapshots,
      projectedYearBytesWithRetention,
      findingsPerRun: runner.report.findings.length,
      facetBlobs: end.facetBlobBytes,
    };
  } finally {
    await store.close();
  }
}

async function measureBigRun(file: string, options: StoreOptions, rules: CompiledRules): Promise<StoreSummary['bigRun']> {
  const cluster = generateCluster({
    cluster: 'big',
    nodes: options.bigRunNodes,
    packages: options.packages,
    driftRate: 0.005,
    seed: options.seed + 1,
    richFacets: true,
  });
  const store = await Store.open(file);
  try {
    const runner: Runner = {
      store,
      cluster,
      rules,
      index: 0,
      report: evaluate({ store, cluster, rules, index: 0 } as Runner, cluster.snapshots, at(0)),
    };
    const firstWriteMs = await saveRun(runner, cluster.snapshots, false);
    const unchangedWriteMs: number[] = [];
    for (let i = 0; i < options.bigRunRepeats; i += 1) unchangedWriteMs.push(await saveRun(runner, cluster.snapshots, false));
    return { nodes: options.bigRunNodes, firstWriteMs, unchangedWriteMs, medianUnchangedWriteMs: median(unchangedWriteMs) };
  } finally {
    await store.close();
  }
}
