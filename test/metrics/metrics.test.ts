import { describe, expect, it } from 'vitest';
import { emptyView, type ClusterView, type DaemonView } from '../../src/view/view.js';
import { renderFamily } from '../../src/metrics/exposition.js';
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
    // Summed over the node's timed facets (kernel 42 ms + os 17 ms; pg2's kernel took 130 ms).
    ['driftd_node_collection_duration_seconds', { cluster: 'pg-ha', node: 'pg1' }, 0.059],
    ['driftd_node_collection_duration_seconds', { cluster: 'pg-ha', node: 'pg2' }, 0.147],
    ['driftd_facet_max_duration_seconds', { facet: 'kernel' }, 0.13],
    ['driftd_facet_max_duration_seconds', { facet: 'os' }, 0.017],
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
    // Unreachable: no facet was timed.
    ['driftd_node_collection_duration_seconds', { cluster: 'pg-ha', node: 'pg3' }],
    ['driftd_facet_max_duration_seconds', { facet: 'packages' }],
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

  it('keeps no state shared between instances', async () => {
    const a = createMetrics(handmadeView);
    const b = createMetrics(() => emptyView('0.1.0', '2026-11-26T06:00:00Z'));
    a.prepare();
    expect(valueOf(parseExposition(await b.render()), 'driftd_runs_total')).toBe(0);
    expect(valueOf(parseExposition(await a.render()), 'driftd_runs_total')).toBe(12);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('keeps per-node facet series to driftd_facet_success: one per node and collected facet', async () => {
    const samples = parseExposition(await render());
    const byNode = samples.filter((s) => s.labels['node'] === 'pg1' && s.labels['facet'] !== undefined);
    expect(new Set(byNode.map((s) => s.name))).toEqual(new Set(['driftd_facet_success']));
    expect(byNode).toHaveLength(8);
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

describe("findings that are an open window's declared change", () => {
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
        c.name !== 'pg-ha'
          ? c
          : { ...c, report: { ...c.report, findings: c.report.findings.map((f) => (f.id === target.id ? { ...f, expected: true } : f)) } },
      ),
    };
    const after = parseExposition(await createMetrics(() => marked).render());
    const labels = { cluster: 'pg-ha', facet: 'packages', severity: 'critical' };
    expect(valueOf(after, 'driftd_findings', labels)).toBe((valueOf(before, 'driftd_findings', labels) ?? 0) - 1);
    expect(valueOf(before, 'driftd_findings_expected', { cluster: 'pg-ha', severity: 'critical' })).toBe(0);
    expect(valueOf(after, 'driftd_findings_expected', { cluster: 'pg-ha', severity: 'critical' })).toBe(1);
  });
});

/** A view whose clusters count how often their report is read: rendering reads every report. */
function countingView(): { view: DaemonView; reads: () => number } {
  let reads = 0;
  const base = handmadeView();
  const clusters = base.clusters.map((cluster): ClusterView => {
    const { report, ...rest } = cluster;
    return Object.defineProperty({ ...rest } as ClusterView, 'report', {
      enumerable: true,
      get: () => {
        reads += 1;
        return report;
      },
    });
  });
  return { view: { ...base, clusters }, reads: () => reads };
}

describe('the run part is rendered once per run', () => {
  it('prepare() renders it, so the scrapes after it do not read the reports again', async () => {
    const { view, reads } = countingView();
    const metrics = createMetrics(() => view);
    metrics.prepare();
    const afterPrepare = reads();
    expect(afterPrepare).toBeGreaterThan(0);
    const first = await metrics.render();
    await metrics.render();
    expect(reads()).toBe(afterPrepare);
    expect(first).toBe(await createMetrics(handmadeView).render());
  });

  it('without prepare(), the first scrape renders it and the next ones reuse it', async () => {
    const { view, reads } = countingView();
    const metrics = createMetrics(() => view);
    await metrics.render();
    const once = reads();
    await metrics.render();
    expect(reads()).toBe(once);
  });

  it('a new run (new clusters array) is rendered afresh, never served from the previous one', async () => {
    let view = handmadeView();
    const metrics = createMetrics(() => view);
    metrics.prepare();
    expect(valueOf(parseExposition(await metrics.render()), 'driftd_cluster_ready', { cluster: 'nfs-ha' })).toBe(1);
    view = {
      ...view,
      clusters: view.clusters.map((c) => (c.name === 'nfs-ha' ? { ...c, report: { ...c.report, ready: false } } : c)),
    };
    // No prepare(): the scrape itself notices the swap.
    expect(valueOf(parseExposition(await metrics.render()), 'driftd_cluster_ready', { cluster: 'nfs-ha' })).toBe(0);
  });

  it('new windows alone (same clusters) are rendered afresh too', async () => {
    let view = handmadeView();
    const metrics = createMetrics(() => view);
    metrics.prepare();
    view = { ...view, windows: [] };
    expect(valueOf(parseExposition(await metrics.render()), 'driftd_window_open', { cluster: 'nfs-ha' })).toBe(0);
  });

  it('prepare(view) renders the view it is given, which the next scrape then serves', async () => {
    const { view: next, reads } = countingView();
    let view: DaemonView = handmadeView();
    const metrics = createMetrics(() => view);
    await metrics.render();
    metrics.prepare(next);
    const prepared = reads();
    view = next;
    await metrics.render();
    expect(reads()).toBe(prepared);
  });

  it("the daemon's own series stay live while the run part is reused: counters only go up", async () => {
    let view = handmadeView();
    const metrics = createMetrics(() => view);
    metrics.prepare();
    const seen: number[] = [];
    for (const running of [true, false, true]) {
      view = { ...view, runs: { ...view.runs, total: view.runs.total + 1, running } };
      const samples = parseExposition(await metrics.render());
      seen.push(valueOf(samples, 'driftd_runs_total') ?? Number.NaN);
      expect(valueOf(samples, 'driftd_run_in_progress')).toBe(running ? 1 : 0);
    }
    expect(seen).toEqual([13, 14, 15]);
  });

  it('exposition() is the same bytes as render(), the run part encoded once', async () => {
    const view = handmadeView();
    const metrics = createMetrics(() => view);
    const first = await metrics.exposition();
    const second = await metrics.exposition();
    expect(Buffer.concat(first).toString('utf8')).toBe(await metrics.render());
    expect(second.at(-1)).toBe(first.at(-1));
  });
});

describe('the text format', () => {
  const gauge = { name: 'driftd_test_gauge', help: 'A test gauge.', type: 'gauge', labelNames: ['node'], samples: () => [] } as const;

  it('writes a series once: a gauge keeps the last value, a counter adds up', () => {
    const samples = [
      { labels: { node: 'a' }, value: 1 },
      { labels: { node: 'a' }, value: 2 },
    ];
    expect(renderFamily(gauge, samples)).toBe(
      '# HELP driftd_test_gauge A test gauge.\n# TYPE driftd_test_gauge gauge\ndriftd_test_gauge{node="a"} 2\n',
    );
    const counter = { ...gauge, name: 'driftd_test_total', type: 'counter' } as const;
    expect(renderFamily(counter, samples)).toMatch(/^driftd_test_total\{node="a"\} 3$/m);
  });

  it('escapes help text and label values, and writes special values as Prometheus does', () => {
    const text = renderFamily({ ...gauge, help: 'back\\slash\nnewline' }, [
      { labels: { node: 'q"uo\\te\nx' }, value: Number.NaN },
      { labels: { node: 'inf' }, value: Infinity },
      { labels: { node: 'minus' }, value: -Infinity },
    ]);
    expect(text).toContain('# HELP driftd_test_gauge back\\\\slash\\nnewline\n');
    expect(text).toContain('driftd_test_gauge{node="q\\"uo\\\\te\\nx"} NaN\n');
    expect(text).toContain('driftd_test_gauge{node="inf"} +Inf\n');
    expect(text).toContain('driftd_test_gauge{node="minus"} -Inf\n');
    expect(parseExposition(text)[0]?.labels['node']).toBe('q"uo\\te\nx');
  });
});

describe.skipIf(!HAVE_PROMTOOL)('promtool on awkward label values (real promtool)', () => {
  it('accepts a kernel release with quotes, backslashes and a newline', async () => {
    const view = handmadeView();
    const odd: DaemonView = {
      ...view,
      clusters: view.clusters.map((c) => ({ ...c, nodes: c.nodes.map((n) => ({ ...n, kernelRelease: '6.1 "rt" \\ build\n2' })) })),
    };
    const text = await createMetrics(() => odd).render();
    const result = promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
    expect(
      valueOf(parseExposition(text), 'driftd_node_kernel_info', { cluster: 'pg-ha', node: 'pg1', release: '6.1 "rt" \\ build\n2' }),
    ).toBe(1);
  });
});
