/** Per-node metrics: reachability, readiness, snapshot age, per-facet collection health, kernel. */
import type { NodeReport } from '../core/check-report.js';
import type { FacetStatus, NodeSnapshot } from '../core/snapshot.js';
import type { ClusterView, DaemonView } from '../daemon/view.js';
import { boolValue, isoToUnixSeconds, type MetricSample, type ViewMetric } from './view-metric.js';

/** The kernel facet item holding `uname -r`; the kernel collector owns that key. */
export const KERNEL_RELEASE_ITEM = 'release';

function eachNode(view: DaemonView, sample: (cluster: ClusterView, node: NodeReport) => MetricSample[]): MetricSample[] {
  return view.clusters.flatMap((cluster) => cluster.report.nodes.flatMap((node) => sample(cluster, node)));
}

function eachSnapshot(view: DaemonView, sample: (snapshot: NodeSnapshot) => MetricSample[]): MetricSample[] {
  return view.clusters.flatMap((cluster) => cluster.snapshots.flatMap(sample));
}

export const failoverReadinessMetric: ViewMetric = {
  name: 'driftd_failover_readiness_ratio',
  help: 'Failover-readiness score of the node (could it take over the cluster\'s resources), 0 to 1.',
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) => eachNode(view, (cluster, node) => [{ labels: { cluster: cluster.name, node: node.name }, value: node.score }]),
};

export const nodeReadyMetric: ViewMetric = {
  name: 'driftd_node_ready',
  help: '1 when the node has no blocking finding and a fresh snapshot, else 0.',
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachNode(view, (cluster, node) => [{ labels: { cluster: cluster.name, node: node.name }, value: boolValue(node.ready) }]),
};

export const nodeUpMetric: ViewMetric = {
  name: 'driftd_node_up',
  help: '1 when the last run reached the node, else 0.',
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachNode(view, (cluster, node) => [{ labels: { cluster: cluster.name, node: node.name }, value: boolValue(node.reachable) }]),
};

export const lastSnapshotMetric: ViewMetric = {
  name: 'driftd_node_last_snapshot_timestamp_seconds',
  help: 'When the node\'s latest snapshot was taken, Unix seconds. Absent when none was ever taken.',
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachNode(view, (cluster, node) => {
      const value = isoToUnixSeconds(node.snapshotAt);
      return value === null ? [] : [{ labels: { cluster: cluster.name, node: node.name }, value }];
    }),
};

/** Both facet-status metrics share their series; only the question asked of the status differs. */
function facetStatusMetric(name: string, help: string, holds: (status: FacetStatus) => boolean): ViewMetric {
  return {
    name,
    help,
    type: 'gauge',
    labelNames: ['cluster', 'node', 'facet'],
    samples: (view) =>
      eachNode(view, (cluster, node) =>
        Object.entries(node.facets).map(([facet, status]) => ({
          labels: { cluster: cluster.name, node: node.name, facet },
          value: boolValue(holds(status)),
        })),
      ),
  };
}

export const facetSuccessMetric = facetStatusMetric(
  'driftd_facet_success',
  '1 when the facet was collected (ok) or is not applicable (unsupported); 0 when it failed or was truncated.',
  (status) => status === 'ok' || status === 'unsupported',
);

export const facetSupportedMetric = facetStatusMetric(
  'driftd_facet_supported',
  '0 when the node has no such thing to collect (no corosync, no DRBD), else 1.',
  (status) => status !== 'unsupported',
);

export const facetDurationMetric: ViewMetric = {
  name: 'driftd_facet_duration_seconds',
  help: 'Wall time the facet\'s commands took in the node\'s latest snapshot.',
  type: 'gauge',
  labelNames: ['cluster', 'node', 'facet'],
  samples: (view) =>
    eachSnapshot(view, (snapshot) =>
      Object.entries(snapshot.facets).flatMap(([facet, data]) =>
        data?.durationMs === undefined
          ? []
          : [{ labels: { cluster: snapshot.cluster, node: snapshot.node, facet }, value: data.durationMs / 1000 }],
      ),
    ),
};

export const kernelInfoMetric: ViewMetric = {
  name: 'driftd_node_kernel_info',
  help: 'Running kernel release of the node (always 1); count distinct releases per cluster to see skew.',
  type: 'gauge',
  labelNames: ['cluster', 'node', 'release'],
  samples: (view) =>
    eachSnapshot(view, (snapshot) => {
      const release = snapshot.facets.kernel?.items[KERNEL_RELEASE_ITEM]?.value;
      return release ? [{ labels: { cluster: snapshot.cluster, node: snapshot.node, release }, value: 1 }] : [];
    }),
};

export const NODE_METRICS: readonly ViewMetric[] = [
  failoverReadinessMetric,
  nodeReadyMetric,
  nodeUpMetric,
  lastSnapshotMetric,
  facetSuccessMetric,
  facetSupportedMetric,
  facetDurationMetric,
  kernelInfoMetric,
];
