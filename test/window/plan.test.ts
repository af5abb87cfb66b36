import { describe, expect, it } from 'vitest';
import { evaluateCluster } from '../../src/core/engine/index.js';
import { planOrder, planSteps, windowReadiness, type PlanOrderInput } from '../../src/core/window/plan.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { debPackages, NOW, SCORING, snap } from '../core/engine/handmade-cluster.js';

describe('planOrder', () => {
  it.each<{ name: string; input: PlanOrderInput; want: string[]; workload: string[] }>([
    {
      name: 'config roles: standby first, primary last',
      input: {
        nodes: [
          { name: 'a', role: 'primary' },
          { name: 'b', role: 'standby' },
        ],
      },
      want: ['b', 'a'],
      workload: ['a'],
    },
    {
      name: 'no roles: config order, baseline last',
      input: { nodes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], baseline: 'a' },
      want: ['b', 'c', 'a'],
      workload: [],
    },
    {
      name: 'no roles, no baseline: config order',
      input: { nodes: [{ name: 'c' }, { name: 'a' }, { name: 'b' }] },
      want: ['c', 'a', 'b'],
      workload: [],
    },
    {
      name: 'roles win over the baseline; unassigned sit between standby and primary',
      input: { nodes: [{ name: 'p', role: 'primary' }, { name: 'x' }, { name: 'base' }, { name: 's', role: 'standby' }], baseline: 'base' },
      want: ['s', 'x', 'base', 'p'],
      workload: ['p'],
    },
    {
      name: 'a baseline that is the standby still goes first',
      input: {
        nodes: [
          { name: 'a', role: 'primary' },
          { name: 'b', role: 'standby' },
        ],
        baseline: 'b',
      },
      want: ['b', 'a'],
      workload: ['a'],
    },
    {
      name: 'a runtime source (where resources run) wins over config roles',
      input: {
        nodes: [
          { name: 'a', role: 'primary' },
          { name: 'b', role: 'standby' },
        ],
        runningResources: ['b'],
      },
      want: ['a', 'b'],
      workload: ['b'],
    },
  ])('$name', ({ input, want, workload }) => {
    const order = planOrder(input);
    expect(order.map((n) => n.name)).toEqual(want);
    expect(order.filter((n) => n.hostsWorkload).map((n) => n.name)).toEqual(workload);
  });
});

describe('planSteps', () => {
  it('verifies every node after patching it, moves the workload off the primary onto the last verified node, then finishes', () => {
    const order = planOrder({
      nodes: [
        { name: 'erp-a', role: 'primary' },
        { name: 'erp-b', role: 'standby' },
      ],
    });
    const steps = planSteps({ cluster: 'erp', configFile: '/etc/driftd/driftd.yaml', order });
    expect(steps.map((s) => `${s.action}${s.node ? `:${s.node}` : ''}`)).toEqual([
      'start',
      'patch:erp-b',
      'verify:erp-b',
      'move-workload:erp-a',
      'patch:erp-a',
      'verify:erp-a',
      'clear-constraints',
      'finish',
    ]);
    expect(steps.find((s) => s.action === 'verify' && s.node === 'erp-b')?.command).toBe(
      'driftd window verify --config /etc/driftd/driftd.yaml --node erp-b',
    );
    expect(steps.find((s) => s.action === 'move-workload')?.hints).toContain('crm resource move RESOURCE erp-b');
    expect(steps.find((s) => s.action === 'move-workload')?.hints).toContain('pcs resource move RESOURCE erp-b');
  });

  it('quotes a config path that needs it and has no move step without a workload node', () => {
    const steps = planSteps({
      cluster: 'erp',
      configFile: "/tmp/it's here.yaml",
      order: planOrder({ nodes: [{ name: 'a' }, { name: 'b' }] }),
    });
    expect(steps.some((s) => s.action === 'move-workload' || s.action === 'clear-constraints')).toBe(false);
    expect(steps.at(-1)?.command).toBe(`driftd window finish --config '/tmp/it'\\''s here.yaml' --cluster erp`);
  });
});

describe('windowReadiness', () => {
  const { rules } = loadRulePacks([], { includeShipped: true });
  const report = (a: Record<string, string>, b: Record<string, string>) =>
    evaluateCluster({
      cluster: 'erp',
      nodes: ['erp-a', 'erp-b'],
      snapshots: [snap('erp-a', { packages: debPackages(a) }), snap('erp-b', { packages: debPackages(b) })],
      rules,
      scoring: SCORING,
      now: NOW,
    });

  it('at parity: ready, nothing blocks', () => {
    expect(windowReadiness(report({ pacemaker: '2.1.5' }, { pacemaker: '2.1.5' }))).toEqual({ ready: true, blockers: [], notes: [] });
  });

  it('critical drift blocks the window; a warning is only a note', () => {
    const r = windowReadiness(report({ pacemaker: '2.1.5', openssl: '3.0.11' }, { pacemaker: '2.1.6', openssl: '3.0.15' }));
    expect(r.ready).toBe(false);
    expect(r.blockers).toHaveLength(1);
    expect(r.blockers[0]).toMatch(/^critical packages\/pacemaker: /);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/^warning packages\/openssl: /);
  });
});
