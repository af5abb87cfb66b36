/**
 * A metric whose samples are a pure function of the daemon view. Scrapes never do I/O:
 * prom-client calls `collect()`, which recomputes the samples from the view in memory.
 */
import type { DaemonView } from '../daemon/view.js';

export type MetricLabels = Record<string, string>;

export interface MetricSample {
  labels: MetricLabels;
  value: number;
}

export interface ViewMetric {
  name: string;
  help: string;
  /** Counters carry totals the daemon already counts; they only ever go up between restarts. */
  type: 'gauge' | 'counter';
  labelNames: readonly string[];
  samples(view: DaemonView): MetricSample[];
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
