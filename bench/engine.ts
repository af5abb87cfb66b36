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
}

export interface EngineSample extends EngineChildResult {
  everyNodeDistinct: boolean;
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
  /** Largest over smallest per-node-item cost across sizes; near 1 means linear in N*M. */
  perItemCostSpread: number;
  linear: boolean;
}

/** Per-node-item costs within this factor of each other count as linear (fixed costs weigh on small sizes). */
const LINEAR_SPREAD = 2;

async function measureSize(size: EngineSize, driftRate: number, seed: number, reps: number): Promise<EngineSample> {
  const result = await runChild<EngineChildResult>(childScript('engine-child.ts'), [
    String(size.nodes),
    String(size.packages),
    String(driftRate),
    String(seed),
    String(reps),
    ...(size.everyNodeDistinct ? ['distinct'] : []),
  ]);
  const medianWallMs = median(result.wallMs);
  return {
    ...result,
    everyNodeDistinct: size.everyNodeDistinct === true,
    medianWallMs,
    medianCpuMs: median(result.cpuMs),
    usPerNodeItem: (medianWallMs * 1000) / (size.nodes * size.packages),
  };
}

/** `worstCase`: also run the largest size with every node distinct (reported apart, not fitted). */
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
  const largest = [...sizes].sort((a, b) => b.nodes * b.packages - a.nodes * a.packages)[0];
  const summary: EngineSummary = {
    driftRate,
    seed,
    samples,
    slopeUsPerNodeItem: fit.slope * 1000,
    interceptMs: fit.intercept,
    perItemCostSpread: spread,
    linear: samples.length > 1 ? spread <= LINEAR_SPREAD : true,
  };
  if (worstCase && largest) summary.worstCase = await measureSize({ ...largest, everyNodeDistinct: true }, driftRate, seed, reps);
  return summary;
}
