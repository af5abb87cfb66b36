/** The view keeps a summary of each snapshot, never the snapshot: what metrics read, nothing else. */
import { describe, expect, it } from 'vitest';
import type { FacetSnapshot, NodeSnapshot } from '../../src/core/snapshot.js';
import { clusterViewOf, summarizeSnapshot } from '../../src/view/view.js';
import { HANDMADE_REPORTS, handmadeSnapshots } from '../metrics/handmade-view.js';

describe('summarizeSnapshot', () => {
  it("keeps takenAt, each timed facet's duration and the kernel release", () => {
    const pg2 = handmadeSnapshots()['pg-ha'].find((s) => s.node === 'pg2') as NodeSnapshot;
    expect(summarizeSnapshot(pg2)).toEqual({
      node: 'pg2',
      takenAt: '2026-11-26T07:59:31.000Z',
      facetDurationsMs: { kernel: 130, os: 17 },
      kernelRelease: '6.1.0-26-amd64',
    });
  });

  it('keeps no release and no durations for an unreachable node', () => {
    const pg3 = handmadeSnapshots()['pg-ha'].find((s) => s.node === 'pg3') as NodeSnapshot;
    expect(summarizeSnapshot(pg3)).toEqual({ node: 'pg3', takenAt: '2026-11-26T07:59:50.000Z', facetDurationsMs: {} });
  });

  it('is a few hundred bytes for a node of 1500 packages, 1000 sysctls, 120 modules and 200 services', () => {
    const facet = (count: number, key: (i: number) => string, value: (i: number) => string, durationMs: number): FacetSnapshot => ({
      status: 'ok',
      items: Object.fromEntries(Array.from({ length: count }, (_, i) => [key(i), { value: value(i) }])),
      durationMs,
    });
    const big: NodeSnapshot = {
      cluster: 'big',
      node: 'big-1',
      takenAt: '2026-11-26T08:00:00.000Z',
      facets: {
        kernel: facet(
          1,
          () => 'release',
          () => '6.1.0-27-amd64',
          12,
        ),
        packages: facet(
          1500,
          (i) => `libexample${i}`,
          (i) => `1.${i}.0-1+deb12u1`,
          900,
        ),
        sysctl: facet(
          1000,
          (i) => `net.example.key${i}`,
          (i) => String(i),
          300,
        ),
        modules: facet(
          120,
          (i) => `mod_${i}`,
          () => 'loaded',
          40,
        ),
        services: facet(
          200,
          (i) => `svc-${i}.service`,
          () => 'enabled',
          200,
        ),
      },
    };
    expect(JSON.stringify(big).length).toBeGreaterThan(100_000);
    const summary = summarizeSnapshot(big);
    expect(summary).toEqual({
      node: 'big-1',
      takenAt: '2026-11-26T08:00:00.000Z',
      facetDurationsMs: { kernel: 12, packages: 900, sysctl: 300, modules: 40, services: 200 },
      kernelRelease: '6.1.0-27-amd64',
    });
    expect(JSON.stringify(summary).length).toBeLessThan(400);
  });
});

describe('clusterViewOf', () => {
  it("holds the report (a copy) and one summary per snapshot, in the run's order", () => {
    const snapshots = handmadeSnapshots()['pg-ha'];
    const report = HANDMADE_REPORTS['pg-ha'];
    const view = clusterViewOf({ name: 'pg-ha', report, snapshots, runId: 7, lastRunAt: '2026-11-26T08:00:00.000Z' });
    expect(view.report).toEqual(report);
    expect(view.report).not.toBe(report);
    expect(view.nodes.map((n) => n.node)).toEqual(['pg1', 'pg2', 'pg3']);
    expect(view.runId).toBe(7);
    expect(Object.keys(view)).not.toContain('snapshots');
  });
});
