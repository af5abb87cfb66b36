/**
 * Maintenance windows, one series per cluster. A cluster may have several windows in the
 * view (the current one and the last closed one); they are folded so the labels stay
 * {cluster} and alerts need no knowledge of window names.
 */
import type { WindowView } from '../view/view.js';
import { boolValue, isoToUnixSeconds, type MetricSample, type RunResults, type ViewMetric } from './view-metric.js';

/** Every known cluster, with its windows (possibly none, which exports 0s so alerts can compare). */
function windowsByCluster(view: RunResults): Map<string, WindowView[]> {
  const byCluster = new Map<string, WindowView[]>(view.clusters.map((cluster) => [cluster.name, []]));
  for (const window of view.windows ?? []) {
    const list = byCluster.get(window.cluster) ?? [];
    list.push(window);
    byCluster.set(window.cluster, list);
  }
  return byCluster;
}

function perCluster(view: RunResults, value: (windows: WindowView[]) => number | null): MetricSample[] {
  return [...windowsByCluster(view)].flatMap(([cluster, windows]) => {
    const sample = value(windows);
    return sample === null ? [] : [{ labels: { cluster }, value: sample }];
  });
}

export const windowOpenMetric: ViewMetric<RunResults> = {
  name: 'driftd_window_open',
  help: '1 while a maintenance window of the cluster is open, else 0.',
  type: 'gauge',
  labelNames: ['cluster'],
  samples: (view) => perCluster(view, (windows) => boolValue(windows.some((window) => window.open))),
};

export const windowNodesPendingMetric: ViewMetric<RunResults> = {
  name: 'driftd_window_nodes_pending',
  help: "Nodes not yet brought to the target state by the cluster's maintenance windows (left half-patched when no window is open).",
  type: 'gauge',
  labelNames: ['cluster'],
  samples: (view) => perCluster(view, (windows) => windows.reduce((sum, window) => sum + window.nodesPending, 0)),
};

export const windowPlannedEndMetric: ViewMetric<RunResults> = {
  name: 'driftd_window_planned_end_timestamp_seconds',
  help: "Planned end of the cluster's open maintenance window, Unix seconds. Absent when none is open or it has no planned end.",
  type: 'gauge',
  labelNames: ['cluster'],
  samples: (view) =>
    perCluster(view, (windows) => {
      const ends = windows
        .filter((window) => window.open)
        .map((window) => isoToUnixSeconds(window.plannedEnd))
        .filter((end): end is number => end !== null);
      return ends.length === 0 ? null : Math.min(...ends);
    }),
};

export const WINDOW_METRICS: readonly ViewMetric<RunResults>[] = [windowOpenMetric, windowNodesPendingMetric, windowPlannedEndMetric];
