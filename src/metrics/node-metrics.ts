/**
 * Per-node metrics: reachability, readiness, snapshot age, per-facet collection health,
 * collection time, kernel. Read from each report's nodes and the view's node summaries,
 * never from full snapshots (the view does not keep them).
 *
 * Cardinality: at most one series per node and metric, except driftd_facet_success (one
 * per node and collected facet, which DriftdFacetCollectionFailing needs to name the
 * failing facet). Per-node-and-facet durations are folded into one per-node total and one
 * fleet-wide maximum per facet.
 */
import type { NodeReport } from '../core/check-report.js';
import { FACET_NAMES, type FacetName, type FacetStatus } from '../core/snapshot.js';
import type { ClusterView, NodeSummary } from '../view/view.js';
import { boolValue, isoToUnixSeconds, type MetricSample, type RunResults, type ViewMetric } from './view-metric.js';

export { KERNEL_RELEASE_ITEM } from '../view/view.js';

function eachNode(view: RunResults, sample: (cluster: ClusterView, node: NodeReport) => MetricSample[]): MetricSample[] {
  return view.clusters.flatMap((cluster) => cluster.report.nodes.flatMap((node) => sample(cluster, node)));
}

function eachSummary(view: RunResults, sample: (cluster: ClusterView, node: NodeSummary) => MetricSample[]): MetricSample[] {
  return view.clusters.flatMap((cluster) => cluster.nodes.flatMap((node) => sample(cluster, node)));
}

export const failoverReadinessMetric: ViewMetric<RunResults> = {
  name: 'driftd_failover_readiness_ratio',
  help: "Failover-readiness score of the node (could it take over the cluster's resources), 0 to 1.",
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) => eachNode(view, (cluster, node) => [{ labels: { cluster: cluster.name, node: node.name }, value: node.score }]),
};

export const nodeReadyMetric: ViewMetric<RunResults> = {
  name: 'driftd_node_ready',
  help: '1 when the node has no blocking finding and a fresh snapshot, else 0.',
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachNode(view, (cluster, node) => [{ labels: { cluster: cluster.name, node: node.name }, value: boolValue(node.ready) }]),
};

export const nodeUpMetric: ViewMetric<RunResults> = {
  name: 'driftd_node_up',
  help: '1 when the last run reached the node, else 0.',
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachNode(view, (cluster, node) => [{ labels: { cluster: cluster.name, node: node.name }, value: boolValue(node.reachable) }]),
};

export const lastSnapshotMetric: ViewMetric<RunResults> = {
  name: 'driftd_node_last_snapshot_timestamp_seconds',
  help: "When the node's latest snapshot was taken, Unix seconds. Absent when none was ever taken.",
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachNode(view, (cluster, node) => {
      const value = isoToUnixSeconds(node.snapshotAt);
      return value === null ? [] : [{ labels: { cluster: cluster.name, node: node.name }, value }];
    }),
};

/** Collected (ok) or not applicable (unsupported) is success; an error or a truncated output is not. */
function succeeded(status: FacetStatus): boolean {
  return status === 'ok' || status === 'unsupported';
}

export const facetSuccessMetric: ViewMetric<RunResults> = {
  name: 'driftd_facet_success',
  help: '1 when the facet was collected (ok) or is not applicable (unsupported); 0 when it failed or was truncated.',
  type: 'gauge',
  labelNames: ['cluster', 'node', 'facet'],
  samples: (view) =>
    eachNode(view, (cluster, node) =>
      Object.entries(node.facets).map(([facet, status]) => ({
        labels: { cluster: cluster.name, node: node.name, facet },
        value: boolValue(succeeded(status)),
      })),
    ),
};

export const nodeCollectionDurationMetric: ViewMetric<RunResults> = {
  name: 'driftd_node_collection_duration_seconds',
  help: "Wall time of all facet commands in the node's latest snapshot, summed. Absent when no facet was timed (unreachable node).",
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachSummary(view, (cluster, node) => {
      const durations = Object.values(node.facetDurationsMs);
      if (durations.length === 0) return [];
      const totalMs = durations.reduce((sum, ms) => sum + ms, 0);
      return [{ labels: { cluster: cluster.name, node: node.node }, value: totalMs / 1000 }];
    }),
};

export const facetMaxDurationMetric: ViewMetric<RunResults> = {
  name: 'driftd_facet_max_duration_seconds',
  help: "Longest wall time of the facet's commands over every node's latest snapshot (compare with ssh.commandTimeoutSeconds). Absent for a facet no node timed.",
  type: 'gauge',
  labelNames: ['facet'],
  samples: (view) => {
    const longest = new Map<FacetName, number>();
    for (const cluster of view.clusters) {
      for (const node of cluster.nodes) {
        for (const [facet, ms] of Object.entries(node.facetDurationsMs) as [FacetName, number][]) {
          if (ms > (longest.get(facet) ?? -1)) longest.set(facet, ms);
        }
      }
    }
    return FACET_NAMES.flatMap((facet) => {
      const ms = longest.get(facet);
      return ms === undefined ? [] : [{ labels: { facet }, value: ms / 1000 }];
    });
  },
};

export const kernelInfoMetric: ViewMetric<RunResults> = {
  name: 'driftd_node_kernel_info',
  help: 'Running kernel release of the node (always 1); count distinct releases per cluster to see skew.',
  type: 'gauge',
  labelNames: ['cluster', 'node', 'release'],
  samples: (view) =>
    eachSummary(view, (cluster, node) =>
      node.kernelRelease ? [{ labels: { cluster: cluster.name, node: node.node, release: node.kernelRelease }, value: 1 }] : [],
    ),
};

export const NODE_METRICS: readonly ViewMetric<RunResults>[] = [
  failoverReadinessMetric,
  nodeReadyMetric,
  nodeUpMetric,
  lastSnapshotMetric,
  facetSuccessMetric,
  nodeCollectionDurationMetric,
  facetMaxDurationMetric,
  kernelInfoMetric,
];
