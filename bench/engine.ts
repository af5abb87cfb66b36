/**
 * Measurement 3: evaluateCluster with the shipped rule packs on synthetic clusters of
 * N nodes x M packages, each size in its own process (wall time, CPU time, peak RSS),
 * then the cost per node-item and a least-squares slope across sizes.
 */
import { childScript, runChild } from './child.js';
import type { EngineChildResult } from './engine-child.js';
import { fitLine, median } from './stats.js';

export interface EngineSize {
  nodes: number;
  packages: number;
  /** Every node's packages differ from every other's (generate.ts everyNodeDistinct). */
  everyNodeDistinct?: boolean;
  /** Snapshots without collection digests, as read back from the store (generate.ts digests). */
  stored?: boolean;
}

export interface EngineSample extends EngineChildResult {
  everyNodeDistinct: boolean;
  stored: boolean;
  medianWallMs: number;
  medianCpuMs: number;
  /** Median wall time per node-item, in microseconds. */
  usPerNodeItem: number;
}

export interface EngineSummary {
  driftRate: number;
  seed: number;
  samples: EngineSample[];
  /** Least-squares slope of median wall time over N*M, in microseconds per node-item. */
  slopeUsPerNodeItem: number;
  interceptMs: number;
  /** The largest size again with no two nodes alike: no node is a copy of another. */
  worstCase?: EngineSample;
  /** The largest size again without collection digests (snapshots read back from the store). */
  stored?: EngineSample;
  /** Largest over smallest per-node-item cost across sizes (informative: small sizes carry fixed costs). */
  perItemCostSpread: number;
  /** The largest size's per-node-item cost over the cheapest size's; at most LINEAR_LIMIT means no super-linear growth. */
  largestOverCheapest: number;
  /** Cost grows at most linearly in N*M: the largest size costs no more per node-item than LINEAR_LIMIT x the cheapest. */
  linear: boolean;
}

/**
 * Growth is what the target is about: the largest size may cost at most this factor more
 * per node-item than the cheapest size. Small sizes cost more per node-item, not less
 * (fixed costs: per-key rule resolution, JIT warm-up), so a max/min spread over all sizes
 * would call a cheaper-than-linear engine "not linear".
 */
export const LINEAR_LIMIT = 2;

async function measureSize(size: EngineSize, driftRate: number, seed: number, reps: number): Promise<EngineSample> {
  const result = await runChild<EngineChildResult>(childScript('engine-child.ts'), [
    String(size.nodes),
    String(size.packages),
    String(driftRate),
    String(seed),
    String(reps),
    ...(size.everyNodeDistinct ? ['distinct'] : []),
    ...(size.stored ? ['stored'] : []),
  ]);
  const medianWallMs = median(result.wallMs);
  return {
    ...result,
    everyNodeDistinct: size.everyNodeDistinct === true,
    stored: size.stored === true,
    medianWallMs,
    medianCpuMs: median(result.cpuMs),
    usPerNodeItem: (medianWallMs * 1000) / (size.nodes * size.packages),
  };
}

/**
 * `worstCase`: also run the largest size with every node distinct, and without collection
 * digests (reported apart, not fitted).
 */
export async function measureEngine(
  sizes: readonly EngineSize[],
  driftRate: number,
  seed: number,
  reps: number,
  worstCase = false,
): Promise<EngineSummary> {
  const samples: EngineSample[] = [];
  for (const size of sizes) samples.push(await measureSize(size, driftRate, seed, reps));
  const fit = fitLine(samples.map((s) => ({ x: s.nodes * s.packages, y: s.medianWallMs })));
  const costs = samples.map((s) => s.usPerNodeItem);
  const spread = Math.max(...costs) / Math.min(...costs);
  const largestSample = [...samples].sort((a, b) => b.nodes * b.packages - a.nodes * a.packages)[0];
  const largestOverCheapest = largestSample ? largestSample.usPerNodeItem / Math.min(...costs) : 1;
  const largest = [...sizes].sort((a, b) => b.nodes * b.packages - a.nodes * a.packages)[0];
  const summary: EngineSummary = {
    driftRate,
    seed,
    samples,
    slopeUsPerNodeItem: fit.slope * 1000,
    interceptMs: fit.intercept,
    perItemCostSpread: spread,
    largestOverCheapest,
    linear: largestOverCheapest <= LINEAR_LIMIT,
  };
  if (worstCase && largest) {
    summary.worstCase = await measureSize({ ...largest, everyNodeDistinct: true }, driftRate, seed, reps);
    summary.stored = await measureSize({ ...largest, stored: true }, driftRate, seed, reps);
  }
  return summary;
}
