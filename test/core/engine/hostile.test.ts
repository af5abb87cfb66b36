/**
 * Issue #22, item 3: a node with ~150k items that differ from its peers made
 * `findings.push(...facetFindings(...))` throw RangeError (too many arguments), so the whole
 * cluster's evaluation failed (`check` exit 3, no run stored under `serve`, honest nodes
 * included). Fixed by `appendAll` (src/core/append.ts); this is the regression test.
 */
import { describe, expect, it } from 'vitest';
import { evaluateCluster } from '../../../src/core/engine/evaluate.js';
import { NO_RULES } from '../../../src/core/engine/rules/compile.js';
import { NOW, SCORING, snap } from './handmade-cluster.js';

const ITEMS = 150_000;

describe('a hostile node with ~150k differing items', () => {
  it('does not break the cluster: the evaluation completes and the honest nodes are judged', () => {
    const honest = { 'vm.swappiness': '60', 'net.ipv4.ip_forward': '0' };
    const flood: Record<string, string> = { ...honest };
    for (let i = 0; i < ITEMS; i++) flood[`flood.key${i}`] = `v${i}`;
    const report = evaluateCluster({
      cluster: 'erp',
      nodes: ['erp-a', 'erp-b', 'erp-c'],
      snapshots: [snap('erp-a', { sysctl: honest }), snap('erp-b', { sysctl: honest }), snap('erp-c', { sysctl: flood })],
      rules: NO_RULES,
      scoring: SCORING,
      now: NOW,
    });
    expect(report.findings.length).toBeGreaterThanOrEqual(ITEMS);
    expect(report.findings.every((f) => f.outliers.includes('erp-c') || f.outliers.length === 0)).toBe(true);
    expect(report.nodes.map((n) => [n.name, n.reachable])).toEqual([
      ['erp-a', true],
      ['erp-b', true],
      ['erp-c', true],
    ]);
    expect(report.nodes.find((n) => n.name === 'erp-a')?.ready).toBe(true);
    expect(report.nodes.find((n) => n.name === 'erp-c')?.contributions.length).toBeGreaterThanOrEqual(ITEMS);
  }, 120_000);
});

describe('evaluation is linear in the size of a hostile node (10x and 100x)', () => {
  /** Best of `runs` evaluations of a cluster whose third node has `n` items of its own, in ms. */
  const timeEvaluate = (n: number, runs: number): number => {
    const honest = { 'vm.swappiness': '60', 'net.ipv4.ip_forward': '0' };
    const flood: Record<string, string> = { ...honest };
    for (let i = 0; i < n; i++) flood[`flood.key${i}`] = `v${i}`;
    const snapshots = [snap('erp-a', { sysctl: honest }), snap('erp-b', { sysctl: honest }), snap('erp-c', { sysctl: flood })];
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      evaluateCluster({ cluster: 'erp', nodes: ['erp-a', 'erp-b', 'erp-c'], snapshots, rules: NO_RULES, scoring: SCORING, now: NOW });
      best = Math.min(best, performance.now() - started);
    }
    return best;
  };

  it('the 10x -> 100x step costs about 10x, not 100x (ratios in one run, no absolute timing)', () => {
    timeEvaluate(500, 3); // JIT warm-up
    const [t1, t10, t100] = [timeEvaluate(500, 5), timeEvaluate(5_000, 3), timeEvaluate(50_000, 2)] as [number, number, number];
    const step2 = t100 / Math.max(t10, 2);
    const report = `evaluate: 1x ${t1.toFixed(1)} ms, 10x ${t10.toFixed(1)} ms, 100x ${t100.toFixed(1)} ms (10x -> 100x: ${step2.toFixed(1)})`;
    console.log(report);
    // Linear (or n log n, for the sort of the findings) is ~10-15; quadratic ~100.
    expect(step2, report).toBeLessThan(40);
  }, 120_000);
});
