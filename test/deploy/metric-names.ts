/** Metric names used in PromQL text, and the names driftd actually exposes, for cross-checks. */
import { createMetrics } from '../../src/metrics/index.js';
import { declaredFamilies } from '../metrics/exposition.js';
import { handmadeView } from '../metrics/handmade-view.js';

export function driftdMetricNames(promql: string): string[] {
  return [...new Set(promql.match(/\bdriftd_[a-zA-Z0-9_]+/g) ?? [])].sort();
}

export async function exposedFamilies(): Promise<Set<string>> {
  return new Set(declaredFamilies(await createMetrics(handmadeView).render()).keys());
}
