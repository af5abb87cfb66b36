/**
 * Failover simulation per node (the report's `failover` list, src/core/simulate/findings.ts):
 * would this node's failure be survived, as Pacemaker's scheduler plays it on the collected
 * CIB and driftd judges the moves.
 *
 * Unknown is never a value of driftd_failover_unsafe: a node whose failure could not be
 * simulated or judged has driftd_failover_simulation_ok 0 and no driftd_failover_unsafe
 * series, so neither an alert on "unsafe" nor a dashboard summing "safe" counts it either
 * way. A cluster where simulation is off (or that runs no Pacemaker) has neither series.
 * Both are read from the view's reports, so a removed node or cluster loses its series
 * with the next run, as every per-node metric does.
 */
import type { FailoverStatus } from '../core/check-report.js';
import type { ClusterView } from '../view/view.js';
import type { MetricSample, RunResults, ViewMetric } from './view-metric.js';

function eachStatus(view: RunResults, sample: (cluster: ClusterView, status: FailoverStatus) => MetricSample[]): MetricSample[] {
  return view.clusters.flatMap((cluster) => (cluster.report.failover ?? []).flatMap((status) => sample(cluster, status)));
}

export const failoverUnsafeMetric: ViewMetric<RunResults> = {
  name: 'driftd_failover_unsafe',
  help: "1 when Pacemaker's scheduler, run on the collected CIB, says the node's failure would leave a resource with nowhere to go or on a node that cannot run it; 0 when safe. Absent when unknown (see driftd_failover_simulation_ok).",
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachStatus(view, (cluster, s) =>
      s.verdict === 'unknown' ? [] : [{ labels: { cluster: cluster.name, node: s.node }, value: s.verdict === 'unsafe' ? 1 : 0 }],
    ),
};

export const failoverSimulationOkMetric: ViewMetric<RunResults> = {
  name: 'driftd_failover_simulation_ok',
  help: "1 when the node's failure was simulated (crm_simulate) and every move judged; 0 when driftd cannot tell (no crm_simulate, no CIB with status, a timeout, a target it cannot read).",
  type: 'gauge',
  labelNames: ['cluster', 'node'],
  samples: (view) =>
    eachStatus(view, (cluster, s) => [{ labels: { cluster: cluster.name, node: s.node }, value: s.verdict === 'unknown' ? 0 : 1 }]),
};

export const FAILOVER_METRICS: readonly ViewMetric<RunResults>[] = [failoverUnsafeMetric, failoverSimulationOkMetric];
