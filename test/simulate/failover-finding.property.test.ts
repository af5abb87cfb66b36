/**
 * failoverFindings on arbitrary judged simulations (HAND-MADE by fast-check: any node
 * failing, any resources with any problems): it never throws, makes one finding per root
 * cause (never more findings than distinct causes, no id twice), names every resource that
 * fails, counts each finding against one node of the cluster, and keeps Pacemaker's
 * severities for the causes that leave a service down.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_RULES } from '../../src/core/engine/rules/compile.js';
import { failoverFindings, type FailoverScenario } from '../../src/core/simulate/findings.js';
import type { FailoverProblem, ProblemCause, ResourceVerdict, SimulationReport } from '../../src/core/simulate/judge.js';

const NODES = ['n1', 'n2', 'n3'];
const CAUSES: ProblemCause[] = [
  'nowhere',
  'blocked',
  'instance-lost',
  'promotion-lost',
  'fewer-promoted',
  'agent-missing',
  'package-version',
  'stack-missing',
  'stack-version',
  'drbd-version',
  'reboot',
];
const ON_FAILING = new Set<ProblemCause>(['nowhere', 'blocked', 'instance-lost', 'promotion-lost', 'fewer-promoted']);

const problem = (failed: string): fc.Arbitrary<FailoverProblem> =>
  fc
    .record({
      cause: fc.constantFrom(...CAUSES),
      target: fc.constantFrom(...NODES),
      subject: fc.constantFrom('', 'resource-agents', 'pacemaker', 'kernel', 'ocf:x:y'),
      text: fc.string({ maxLength: 20 }),
    })
    .map(({ cause, target, subject, text }) => ({
      cause,
      node: ON_FAILING.has(cause) ? failed : target,
      subject: ON_FAILING.has(cause) ? '' : subject,
      text,
    }));

const resource = (failed: string): fc.Arbitrary<ResourceVerdict> =>
  fc
    .record({
      id: fc.constantFrom('r1', 'r2', 'r3', 'clone/r4', 'grp-ip'),
      agent: fc.constantFrom('', 'ocf:heartbeat:IPaddr2', 'ocf:linbit:drbd', 'stonith:fence_ipmilan'),
      problems: fc.array(problem(failed), { maxLength: 3 }),
    })
    .map(({ id, agent, problems }) => ({
      resource: id,
      agent,
      now: [failed],
      after: [],
      outcome: 'moves',
      targets: [],
      judgement: problems.length > 0 ? 'fails' : 'ok',
      reasons: problems.map((p) => p.text),
      problems,
    }));

const scenario: fc.Arbitrary<FailoverScenario> = fc.constantFrom(...NODES).chain((failed) =>
  fc.uniqueArray(resource(failed), { selector: (r) => r.resource, maxLength: 5 }).map((resources): FailoverScenario => {
    const report: SimulationReport = {
      cluster: 'c',
      failed,
      verdict: resources.some((r) => r.judgement === 'fails') ? 'unsafe' : 'safe',
      reasons: [],
      resources,
      fencing: [],
      notes: [],
      nodeNames: Object.fromEntries(NODES.map((n) => [n, n])),
    };
    return { node: failed, ok: true, report };
  }),
);

describe('failoverFindings (property)', () => {
  it('one finding per root cause, every failing resource named, each counted against one cluster node', () => {
    fc.assert(
      fc.property(fc.uniqueArray(scenario, { selector: (s) => s.node, maxLength: 3 }), (scenarios) => {
        const found = failoverFindings({ cluster: 'c', rules: NO_RULES, now: new Date(0) }, scenarios).map((f) => f.finding);
        const ids = found.map((f) => f.id);
        expect(new Set(ids).size).toBe(ids.length);
        const problems = scenarios.flatMap((s) => (s.ok ? s.report.resources.flatMap((r) => r.problems) : []));
        expect(found.length).toBeLessThanOrEqual(problems.length);
        for (const f of found) {
          expect(f.kind).toBe('failover');
          expect(f.outliers).toHaveLength(1);
          expect(NODES).toContain(f.outliers[0]);
          if (/^failover:(nowhere|blocked|agent|stack):/.test(f.key)) expect(f.severity).toBe('critical');
        }
        for (const s of scenarios) {
          if (!s.ok) continue;
          for (const r of s.report.resources)
            if (r.problems.length > 0) expect(found.some((f) => f.message.includes(r.resource))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
