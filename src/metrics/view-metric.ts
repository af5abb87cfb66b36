/**
 * A metric whose samples are a pure function of the daemon view. Scrapes never do I/O:
 * the samples are read from the view in memory and written as Prometheus text
 * (exposition.ts); the part that only a run changes is rendered once per run (metrics.ts).
 */
import type { DaemonView } from '../view/view.js';

export type MetricLabels = Record<string, string>;

export interface MetricSample {
  labels: MetricLabels;
  value: number;
}

/**
 * What one completed run produced: the clusters (reports, node summaries) and the
 * maintenance windows. The daemon swaps both together once per run, so a metric that
 * reads only these can be rendered once per run instead of once per scrape.
 */
export type RunResults = Pick<DaemonView, 'clusters' | 'windows'>;

export interface ViewMetric<View = DaemonView> {
  name: string;
  help: string;
  /** Counters carry totals the daemon already counts; they only ever go up between restarts. */
  type: 'gauge' | 'counter';
  labelNames: readonly string[];
  samples(view: View): MetricSample[];
}

/** ISO 8601 to Unix seconds; null when the text is not a date, so no bogus sample is emitted. */
export function isoToUnixSeconds(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const millis = Date.parse(iso);
  return Number.isFinite(millis) ? millis / 1000 : null;
}

export function boolValue(flag: boolean): number {
  return flag ? 1 : 0;
}
