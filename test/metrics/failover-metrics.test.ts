/**
 * driftd_failover_unsafe and driftd_failover_simulation_ok, from the report's `failover`
 * list (HAND-MADE view, test/metrics/handmade-view.ts): unknown is never 0 or 1 on the
 * unsafe gauge, a cluster without simulation has neither, a removed node or cluster loses
 * its series, and the exposition passes the real promtool.
 */
import { describe, expect, it } from 'vitest';
import type { FailoverStatus } from '../../src/core/check-report.js';
import { createMetrics } from '../../src/metrics/index.js';
import type { DaemonView } from '../../src/view/view.js';
import { parseExposition } from './exposition.js';
import { handmadeView } from './handmade-view.js';
import { HAVE_PROMTOOL, promtool } from './promtool.js';

const PG_FAILOVER: FailoverStatus[] = [
  { node: 'pg1', verdict: 'unsafe', reasons: ['pg-vip: ocf:heartbeat:IPaddr2 is not installed on pg2 (needs resource-agents)'] },
  { node: 'pg2', verdict: 'safe', reasons: [] },
  { node: 'pg3', verdict: 'unknown', reasons: ['pg3 could not be read (connection refused)'] },
];

function withFailover(view: DaemonView, failover: FailoverStatus[] | undefined): DaemonView {
  return {
    ...view,
    clusters: view.clusters.map((c) => (c.name === 'pg-ha' ? { ...c, report: { ...c.report, ...(failover ? { failover } : {}) } } : c)),
  };
}

async function series(view: DaemonView, name: string): Promise<[string, number][]> {
  const text = await createMetrics(() => view).render();
  return parseExposition(text)
    .filter((s) => s.name === name)
    .map((s) => [`${s.labels.cluster}/${s.labels.node}`, s.value]);
}

describe('failover metrics', () => {
  it('1 unsafe, 0 safe, no unsafe series when unknown; simulation_ok says which are unknown', async () => {
    const view = withFailover(handmadeView(), PG_FAILOVER);
    expect(await series(view, 'driftd_failover_unsafe')).toEqual([
      ['pg-ha/pg1', 1],
      ['pg-ha/pg2', 0],
    ]);
    expect(await series(view, 'driftd_failover_simulation_ok')).toEqual([
      ['pg-ha/pg1', 1],
      ['pg-ha/pg2', 1],
      ['pg-ha/pg3', 0],
    ]);
  });

  it('a cluster not simulated (switch off, no Pacemaker) has no series; a node removed from the config loses its own', async () => {
    expect(await series(withFailover(handmadeView(), undefined), 'driftd_failover_simulation_ok')).toEqual([]);
    const fewer = withFailover(handmadeView(), PG_FAILOVER.slice(0, 1));
    expect(await series(fewer, 'driftd_failover_unsafe')).toEqual([['pg-ha/pg1', 1]]);
    expect(await series(fewer, 'driftd_failover_simulation_ok')).toEqual([['pg-ha/pg1', 1]]);
  });

  it.skipIf(!HAVE_PROMTOOL)('passes promtool check metrics (real promtool)', async () => {
    const text = await createMetrics(() => withFailover(handmadeView(), PG_FAILOVER)).render();
    expect(text).toContain('# TYPE driftd_failover_unsafe gauge');
    const result = promtool(['check', 'metrics'], text);
    expect(result.status, result.output).toBe(0);
  });
});
