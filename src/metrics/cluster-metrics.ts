/** Cluster-wide metrics: findings by severity and facet, readiness, the age of the oldest finding. */
import { SEVERITIES, type Severity } from '../core/findings.js';
import { FACET_NAMES } from '../core/snapshot.js';
import type { ClusterView } from '../view/view.js';
import { boolValue, isoToUnixSeconds, type RunResults, type ViewMetric } from './view-metric.js';

/** Every facet a finding may carry; each is always exported (as 0 when clean) so sums never go absent. */
const FINDING_FACETS: readonly string[] = [...FACET_NAMES, 'node', 'cluster'];

/** What should alarm: not waived, and not the declared change of an open maintenance window. */
function openFindings(cluster: ClusterView) {
  return cluster.report.findings.filter((finding) => !finding.waived && finding.expected !== true);
}

export const findingsMetric: ViewMetric<RunResults> = {
  name: 'driftd_findings',
  help: 'Open findings by cluster, facet and severity (not waived, not an expected change of an open maintenance window).',
  type: 'gauge',
  labelNames: ['cluster', 'facet', 'severity'],
  samples: (view) =>
    view.clusters.flatMap((cluster) => {
      const counts = new Map<string, number>();
      const facets = new Set(FINDING_FACETS);
      for (const finding of openFindings(cluster)) {
        facets.add(finding.facet);
        const key = `${finding.facet}\u0000${finding.severity}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...facets].flatMap((facet) =>
        SEVERITIES.map((severity) => ({
          labels: { cluster: cluster.name, facet, severity },
          value: counts.get(`${facet}\u0000${severity}`) ?? 0,
        })),
      );
    }),
};

type ReportFinding = ClusterView['report']['findings'][number];

/** Per cluster and severity, how many findings pass `counts`: one sample for every severity. */
function findingsBySeverity(view: RunResults, counts: (f: ReportFinding) => boolean) {
  return view.clusters.flatMap((cluster) =>
    SEVERITIES.map((severity) => ({
      labels: { cluster: cluster.name, severity },
      value: cluster.report.findings.filter((f) => f.severity === severity && counts(f)).length,
    })),
  );
}

export const waivedFindingsMetric: ViewMetric<RunResults> = {
  name: 'driftd_findings_waived',
  help: 'Findings silenced by a current waiver, by cluster and severity.',
  type: 'gauge',
  labelNames: ['cluster', 'severity'],
  samples: (view) => findingsBySeverity(view, (f) => f.waived),
};

export const expectedFindingsMetric: ViewMetric<RunResults> = {
  name: 'driftd_findings_expected',
  help: 'Findings that are the declared change of an open maintenance window, by cluster and severity.',
  type: 'gauge',
  labelNames: ['cluster', 'severity'],
  samples: (view) => findingsBySeverity(view, (f) => f.expected === true && !f.waived),
};

export const clusterReadyMetric: ViewMetric<RunResults> = {
  name: 'driftd_cluster_ready',
  help: '1 when every node of the cluster could take over (no blocking finding), else 0.',
  type: 'gauge',
  labelNames: ['cluster'],
  samples: (view) => view.clusters.map((cluster) => ({ labels: { cluster: cluster.name }, value: boolValue(cluster.report.ready) })),
};

export const clusterReadinessRatioMetric: ViewMetric<RunResults> = {
  name: 'driftd_cluster_readiness_ratio',
  help: 'Failover-readiness score of the cluster, 0 to 1.',
  type: 'gauge',
  labelNames: ['cluster'],
  samples: (view) => view.clusters.map((cluster) => ({ labels: { cluster: cluster.name }, value: cluster.report.score })),
};

export const oldestFindingMetric: ViewMetric<RunResults> = {
  name: 'driftd_oldest_finding_timestamp_seconds',
  help: 'When the oldest open (unwaived) finding of this severity was first seen, Unix seconds. Absent when none is open.',
  type: 'gauge',
  labelNames: ['cluster', 'severity'],
  samples: (view) =>
    view.clusters.flatMap((cluster) => {
      const oldest = new Map<Severity, number>();
      for (const finding of openFindings(cluster)) {
        const seen = isoToUnixSeconds(cluster.firstSeen?.[finding.id]);
        if (seen === null) continue;
        const current = oldest.get(finding.severity);
        if (current === undefined || seen < current) oldest.set(finding.severity, seen);
      }
      return [...oldest].map(([severity, value]) => ({ labels: { cluster: cluster.name, severity }, value }));
    }),
};

export const CLUSTER_METRICS: readonly ViewMetric<RunResults>[] = [
  findingsMetric,
  waivedFindingsMetric,
  expectedFindingsMetric,
  clusterReadyMetric,
  clusterReadinessRatioMetric,
  oldestFindingMetric,
];
