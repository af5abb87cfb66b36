/**
 * A hand-made but realistic daemon view (two clusters, one unreachable node, waived and
 * open findings, an open maintenance window), shared by the metrics, HTTP and deploy
 * tests. Hand-written, not captured: every report is validated against CheckReportSchema.
 */
import { CheckReportSchema, type CheckReport } from '../../src/core/check-report.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { summarizeSnapshot, type DaemonView } from '../../src/view/view.js';

export const CHECKED_AT = '2026-11-26T08:00:00.000Z';

const pgReport: CheckReport = CheckReportSchema.parse({
  cluster: 'pg-ha',
  ready: false,
  score: 0.45,
  checkedAt: CHECKED_AT,
  baseline: 'pg1',
  nodes: [
    {
      name: 'pg1',
      reachable: true,
      ready: true,
      score: 0.95,
      snapshotAt: '2026-11-26T07:59:30.000Z',
      facets: { os: 'ok', kernel: 'ok', packages: 'ok', sysctl: 'ok', drbd: 'ok', pacemaker: 'ok', corosync: 'ok', modules: 'unsupported' },
      error: null,
      contributions: [{ finding: 'f-sysctl-swappiness', weight: 0.05, effect: '-0.05', message: 'vm.swappiness differs' }],
    },
    {
      name: 'pg2',
      reachable: true,
      ready: false,
      score: 0.45,
      snapshotAt: '2026-11-26T07:59:31.000Z',
      facets: {
        os: 'ok',
        kernel: 'ok',
        packages: 'truncated',
        sysctl: 'ok',
        drbd: 'error',
        pacemaker: 'ok',
        corosync: 'ok',
        modules: 'unsupported',
      },
      error: null,
      contributions: [
        { finding: 'f-pkg-drbd-utils', weight: 0.5, effect: '-0.5', message: 'drbd-utils is behind' },
        { finding: 'f-sysctl-swappiness', weight: 0.05, effect: '-0.05', message: 'vm.swappiness differs' },
      ],
    },
    {
      name: 'pg3',
      reachable: false,
      ready: false,
      score: 0,
      snapshotAt: '2026-11-25T21:00:00.000Z',
      facets: {},
      error: 'connect ECONNREFUSED 127.0.0.3:22',
      contributions: [{ finding: 'unreachable', weight: 1, effect: 'zero', message: 'pg3 could not be reached' }],
    },
  ],
  findings: [
    {
      id: 'f-pkg-drbd-utils',
      cluster: 'pg-ha',
      facet: 'packages',
      key: 'drbd-utils',
      severity: 'critical',
      rule: 'ha-stack-packages',
      kind: 'mismatch',
      values: { pg1: '9.22.0-1', pg2: '9.15.0-1', pg3: null },
      majority: '9.22.0-1',
      outliers: ['pg2'],
      waived: false,
      message: 'drbd-utils: pg2 has 9.15.0-1, the others 9.22.0-1',
      detail: { behind: ['pg2'], skew: 'upstream', newest: '9.22.0-1' },
    },
    {
      id: 'f-node-pg3-unreachable',
      cluster: 'pg-ha',
      facet: 'node',
      key: 'pg3',
      severity: 'critical',
      rule: null,
      kind: 'unreachable',
      values: { pg3: null },
      majority: null,
      outliers: ['pg3'],
      waived: false,
      message: 'pg3 could not be reached: connect ECONNREFUSED 127.0.0.3:22',
    },
    {
      id: 'f-sysctl-swappiness',
      cluster: 'pg-ha',
      facet: 'sysctl',
      key: 'vm.swappiness',
      severity: 'warning',
      rule: null,
      kind: 'mismatch',
      values: { pg1: '10', pg2: '60' },
      majority: null,
      outliers: ['pg1', 'pg2'],
      waived: false,
      message: 'vm.swappiness differs: pg1=10, pg2=60',
    },
    {
      id: 'f-kernel-release',
      cluster: 'pg-ha',
      facet: 'kernel',
      key: 'release',
      severity: 'info',
      rule: 'kernel-skew',
      kind: 'mismatch',
      values: { pg1: '6.1.0-27-amd64', pg2: '6.1.0-26-amd64' },
      majority: null,
      outliers: ['pg2'],
      waived: true,
      waiver: { justification: 'pg2 reboots in the next window', author: 'ops@example.org', expires: '2026-12-31', rule: 'kernel-skew' },
      message: 'kernel release differs',
    },
  ],
  summary: { critical: 2, warning: 1, info: 0, waived: 1 },
});

const nfsReport: CheckReport = CheckReportSchema.parse({
  cluster: 'nfs-ha',
  ready: true,
  score: 1,
  checkedAt: CHECKED_AT,
  baseline: null,
  nodes: ['nfs1', 'nfs2'].map((name) => ({
    name,
    reachable: true,
    ready: true,
    score: 1,
    snapshotAt: '2026-11-26T07:59:40.000Z',
    facets: { os: 'ok', kernel: 'ok', packages: 'ok' },
    error: null,
    contributions: [],
  })),
  findings: [],
  summary: { critical: 0, warning: 0, info: 0, waived: 0 },
});

function snapshot(cluster: string, node: string, takenAt: string, release?: string, kernelMs = 42): NodeSnapshot {
  if (!release) return { cluster, node, takenAt, error: 'connect ECONNREFUSED 127.0.0.3:22', facets: {} };
  return {
    cluster,
    node,
    takenAt,
    facets: {
      kernel: { status: 'ok', items: { release: { value: release } }, durationMs: kernelMs },
      os: { status: 'ok', items: { id: { value: 'debian' }, version_id: { value: '12' } }, durationMs: 17 },
    },
  };
}

/** The full snapshots behind the view's node summaries, per cluster (what the daemon stores). */
export function handmadeSnapshots(): Record<'pg-ha' | 'nfs-ha', NodeSnapshot[]> {
  return {
    'pg-ha': [
      snapshot('pg-ha', 'pg1', '2026-11-26T07:59:30.000Z', '6.1.0-27-amd64'),
      snapshot('pg-ha', 'pg2', '2026-11-26T07:59:31.000Z', '6.1.0-26-amd64', 130),
      snapshot('pg-ha', 'pg3', '2026-11-26T07:59:50.000Z'),
    ],
    'nfs-ha': [
      snapshot('nfs-ha', 'nfs1', '2026-11-26T07:59:40.000Z', '6.1.0-27-amd64'),
      snapshot('nfs-ha', 'nfs2', '2026-11-26T07:59:40.000Z', '6.1.0-27-amd64'),
    ],
  };
}

/** The two reports, for tests that store a run. */
export const HANDMADE_REPORTS = { 'pg-ha': pgReport, 'nfs-ha': nfsReport } as const;

export function handmadeView(): DaemonView {
  const snapshots = handmadeSnapshots();
  return {
    version: '0.1.0',
    startedAt: '2026-11-26T06:00:00.000Z',
    firstRunCompleted: true,
    clusters: [
      {
        name: 'pg-ha',
        report: pgReport,
        lastRunAt: CHECKED_AT,
        firstSeen: {
          'f-pkg-drbd-utils': '2026-11-20T10:00:00.000Z',
          'f-node-pg3-unreachable': '2026-11-25T21:15:00.000Z',
          'f-sysctl-swappiness': '2026-11-01T00:00:00.000Z',
          'f-kernel-release': '2026-10-01T00:00:00.000Z',
        },
        nodes: snapshots['pg-ha'].map(summarizeSnapshot),
      },
      {
        name: 'nfs-ha',
        report: nfsReport,
        lastRunAt: CHECKED_AT,
        nodes: snapshots['nfs-ha'].map(summarizeSnapshot),
      },
    ],
    runs: {
      total: 12,
      failures: 1,
      lastDurationSeconds: 14.5,
      lastRunAt: CHECKED_AT,
      lastSuccessAt: CHECKED_AT,
      running: false,
    },
    config: { reloadSuccess: true, lastReloadAt: '2026-11-26T07:00:00.000Z' },
    windows: [{ cluster: 'nfs-ha', name: 'nov-patching', open: true, plannedEnd: '2026-11-26T09:00:00.000Z', nodesPending: 1 }],
  };
}
