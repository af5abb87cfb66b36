import { describe, expect, it } from 'vitest';
import { emptyView, type DaemonView } from '../../src/daemon/view.js';
import { createMetrics, VIEW_METRICS } from '../../src/metrics/index.js';
import { declaredFamilies, parseExposition, valueOf } from './exposition.js';
import { handmadeView } from './handmade-view.js';
import { HAVE_PROMTOOL, promtool } from './promtool.js';

const unix = (iso: string) => Date.parse(iso) / 1000;

describe('createMetrics on a realistic view', () => {
  const render = () => createMetrics(handmadeView).render();

  it.each([
    ['driftd_build_info', { version: '0.1.0' }, 1],
    ['driftd_runs_total', {}, 12],
    ['driftd_run_failures_total', {}, 1],
    ['driftd_run_duration_seconds', {}, 14.5],
    ['driftd_run_in_progress', {}, 0],
    ['driftd_last_run_timestamp_seconds', {}, unix('2026-11-26T08:00:00Z')],
    ['driftd_start_time_seconds', {}, unix('2026-11-26T06:00:00Z')],
    ['driftd_config_reload_success', {}, 1],
    ['driftd_findings', { cluster: 'pg-ha', facet: 'packages', severity: 'critical' }, 1],
    ['driftd_findings', { cluster: 'pg-ha', facet: 'node', severity: 'critical' }, 1],
    ['driftd_findings', { cluster: 'pg-ha', facet: 'sysctl', severity: 'warning' }, 1],
    // The kernel finding is waived: it counts as waived, not as open.
    ['driftd_findings', { cluster: 'pg-ha', facet: 'kernel', severity: 'info' }, 0],
    ['driftd_findings_waived', { cluster: 'pg-ha', severity: 'info' }, 1],
    ['driftd_findings_waived', { cluster: 'pg-ha', severity: 'critical' }, 0],
    ['driftd_findings', { cluster: 'nfs-ha', facet: 'drbd', severity: 'critical' }, 0],
    ['driftd_cluster_ready', { cluster: 'pg-ha' }, 0],
    ['driftd_cluster_ready', { cluster: 'nfs-ha' }, 1],
    ['driftd_cluster_readiness_ratio', { cluster: 'pg-ha' }, 0.45],
    ['driftd_failover_readiness_ratio', { cluster: 'pg-ha', node: 'pg1' }, 0.95],
    ['driftd_failover_readiness_ratio', { cluster: 'pg-ha', node: 'pg3' }, 0],
    ['driftd_node_up', { cluster: 'pg-ha', node: 'pg3' }, 0],
    ['driftd_node_up', { cluster: 'pg-ha', node: 'pg2' }, 1],
    ['driftd_node_ready', { cluster: 'pg-ha', node: 'pg2' }, 0],
    ['driftd_node_last_snapshot_timestamp_seconds', { cluster: 'pg-ha', node: 'pg3' }, unix('2026-11-25T21:00:00Z')],
    ['driftd_facet_success', { cluster: 'pg-ha', node: 'pg2', facet: 'packages' }, 0],
    ['driftd_facet_success', { cluster: 'pg-ha', node: 'pg2', facet: 'drbd' }, 0],
    ['driftd_facet_success', { cluster: 'pg-ha', node: 'pg1', facet: 'modules' }, 1],
    ['driftd_facet_supported', { cluster: 'pg-ha', node: 'pg1', facet: 'modules' }, 0],
    ['driftd_facet_supported', { cluster: 'pg-ha', node: 'pg1', facet: 'drbd' }, 1],
    ['driftd_facet_duration_seconds', { cluster: 'pg-ha', node: 'pg1', facet: 'kernel' }, 0.042],
    ['driftd_oldest_finding_timestamp_seconds', { cluster: 'pg-ha', severity: 'critical' }, unix('2026-11-20T10:00:00Z')],
    ['driftd_oldest_finding_timestamp_seconds', { cluster: 'pg-ha', severity: 'warning' }, unix('2026-11-01T00:00:00Z')],
    ['driftd_node_kernel_info', { cluster: 'pg-ha', node: 'pg2', release: '6.1.0-26-amd64' }, 1],
    ['driftd_window_open', { cluster: 'nfs-ha' }, 1],
    ['driftd_window_open', { cluster: 'pg-ha' }, 0],
    ['driftd_window_nodes_pending', { cluster: 'nfs-ha' }, 1],
    ['driftd_window_planned_end_timestamp_seconds', { cluster: 'nfs-ha' }, unix('2026-11-26T09:00:00Z')],
  ] as const)('%s%j = %d', async (name, labels, expected) => {
    expect(valueOf(parseExposition(await render()), name, labels)).toBe(expected);
  });

  it.each([
    // Only the waived finding is info, and waived findings have no "oldest open" age.
    ['driftd_oldest_finding_timestamp_seconds', { cluster: 'pg-ha', severity: 'info' }],
    ['driftd_oldest_finding_timestamp_seconds', { cluster: 'nfs-ha', severity: 'critical' }],
    ['driftd_window_planned_end_timestamp_seconds', { cluster: 'pg-ha' }],
  ] as const)('%s%j is absent', async (name, labels) => {
    expect(valueOf(parseExposition(await render()), name, labels)).toBeUndefined();
  });

  it('reports no kernel release for an unreachable node', async () => {
    const kernels = parseExposition(await render()).filter((s) => s.name === 'driftd_node_kernel_info');
    expect(kernels.map((s) => s.labels['node'])).toEqual(['pg1', 'pg2', 'nfs1', 'nfs2']);
  });

  it('keeps label cardinality low: no package, file, sysctl key or item value in any label', async () => {
    const allowed = new Set(['cluster', 'node', 'facet', 'severity', 'release', 'version']);
    const samples = parseExposition(await render());
    for (const sample of samples) {
      for (const label of Object.keys(sample.labels)) expect(allowed, `${sample.name} has label ${label}`).toContain(label);
    }
    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    expect(labelValues).not.toContain('drbd-utils');
    expect(labelValues).not.toContain('vm.swappiness');
  });

  it('declares every metric of VIEW_METRICS with its type, and counters end in _total', async () => {
    const families = declaredFamilies(await render());
    for (const metric of VIEW_METRICS) {
      expect(families.get(metric.name)).toBe(metric.type);
      expect(metric.name.endsWith('_total')).toBe(metric.type === 'counter');
    }
  });

  it('reads the view once per scrape, so one exposition never mixes two runs', async () => {
    let reads = 0;
    const metrics = createMetrics(() => {
      reads += 1;
      return handmadeView();
    });
    await metrics.render();
    expect(reads).toBe(1);
    await Promise.all([metrics.render(), metrics.render()]);
    expect(reads).toBe(3);
  });

  it('follows the view the daemon swaps in', async () => {
    let view: DaemonView = handmadeView();
    const metrics = createMetrics(() => view);
    expect(valueOf(parseExposition(await metrics.render()), 'driftd_runs_total')).toBe(12);
    view = { ...view, runs: { ...view.runs, total: 13, running: true } };
    const after = parseExposition(await metrics.render());
    expect(valueOf(after, 'driftd_runs_total')).toBe(13);
    expect(valueOf(after, 'driftd_run_in_progress')).toBe(1);
  });

  it('uses its own registry, so two instances do not collide', () => {
    const a = createMetrics(handmadeView);
    const b = createMetrics(emptyView);
    expect(a.registry).not.toBe(b.registry);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('createMetrics before the first run', () => {
  it('reports zero runs and leaves unknown timestamps absent rather than 0', async () => {
    const samples = parseExposition(await createMetrics(() => emptyView('0.1.0', '2026-11-26T06:00:00Z')).render());
    expect(valueOf(samples, 'driftd_runs_total')).toBe(0);
    expect(valueOf(samples, 'driftd_last_run_timestamp_seconds')).toBeUndefined();
    expect(valueOf(samples, 'driftd_last_successful_run_timestamp_seconds')).toBeUndefined();
    expect(valueOf(samples, 'driftd_run_duration_seconds')).toBeUndefined();
    expect(samples.filter((s) => s.name === 'driftd_findings')).toEqual([]);
  });
});

describe.skipIf(!HAVE_PROMTOOL)('promtool check metrics (real promtool)', () => {
  it.each([
    ['realistic view', handmadeView],
    ['empty view', () => emptyView('0.1.0', '2026-11-26T06:00:00Z')],
  ])('%s: lint clean, zero output lines', async (_, view) => {
    const result = promtool(['check', 'metrics'], await createMetrics(view).render());
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('is a real check: a counter without _total is reported', () => {
    const result = promtool(['check', 'metrics'], '# HELP driftd_runs Runs.\n# TYPE driftd_runs counter\ndriftd_runs 1\n');
    expect(result.output).toMatch(/counter metrics should have "_total" suffix/);
  });
});

if (!HAVE_PROMTOOL) {
  describe('promtool check metrics', () => {
    it.skip('SKIPPED: /usr/bin/promtool missing (apt-get install prometheus)', () => undefined);
  });
}

describe('findings that are an open window\'s declared change', () => {
  it('count as expected, apart from driftd_findings, so drift alerts stay quiet for them', async () => {
    const view = handmadeView();
    const pg = view.clusters.find((c) => c.name === 'pg-ha');
    if (!pg) throw new Error('no pg-ha in the hand-made view');
    const target = pg.report.findings.find((f) => f.id === 'f-pkg-drbd-utils');
    if (!target) throw new Error('no drbd-utils finding');
    const before = parseExposition(await createMetrics(() => view).render());
    const marked: DaemonView = {
      ...view,
      clusters: view.clusters.map((c) =>
        c.name !== 'pg-ha' ? c : { ...c, report: { ...c.report, findings: c.report.findings.map((f) => (f.id === target.id ? { ...f, expected: true } : f)) } },
      ),
    };
    const after = parseExposition(await createMetrics(() => marked).render());
    const labels = { cluster: 'pg-ha', facet: 'packages', severity: 'critical' };
    expect(valueOf(after, 'driftd_findings', labels)).toBe((valueOf(before, 'driftd_findings', labels) ?? 0) - 1);
    expect(valueOf(before, 'driftd_findings_expected', { cluster: 'pg-ha', severity: 'critical' })).toBe(0);
    expect(valueOf(after, 'driftd_findings_expected', { cluster: 'pg-ha', severity: 'critical' })).toBe(1);
  });
});
