/** Properties of the pure window core over arbitrary inputs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateCluster } from '../../src/core/engine/index.js';
import { baselineValuesOf, classifyWindowFindings } from '../../src/core/window/classify.js';
import { NO_EXPECTATION, parseConstraint, satisfies, ConstraintParseError } from '../../src/core/window/expectation.js';
import { planOrder, type PlanNode } from '../../src/core/window/plan.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { debPackages, NOW, SCORING, snap } from '../core/engine/handmade-cluster.js';

const nodeName = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
const planNodes = fc.uniqueArray(
  fc.record({ name: nodeName, role: fc.constantFrom<PlanNode['role'] | undefined>('primary', 'standby', undefined) }),
  { selector: (n) => n.name, maxLength: 8 },
);

describe('planOrder', () => {
  it('is a permutation with every standby before every unassigned node, and those before every primary', () => {
    fc.assert(
      fc.property(planNodes, fc.option(nodeName, { nil: undefined }), (raw, baseline) => {
        const nodes: PlanNode[] = raw.map((n) => (n.role ? { name: n.name, role: n.role } : { name: n.name }));
        const order = planOrder(baseline === undefined ? { nodes } : { nodes, baseline });
        expect(order.map((n) => n.name).sort()).toEqual(nodes.map((n) => n.name).sort());
        const rank = (name: string): number => {
          const role = nodes.find((n) => n.name === name)?.role;
          return role === 'standby' ? 0 : role === 'primary' ? 2 : 1;
        };
        const ranks = order.map((n) => rank(n.name));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        expect(order.filter((n) => n.hostsWorkload).map((n) => n.name)).toEqual(
          nodes.filter((n) => n.role === 'primary').map((n) => n.name),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('constraints', () => {
  const version = fc.stringMatching(/^[0-9]{1,2}(\.[0-9]{1,2}){0,2}(-[0-9a-z~+.]{1,6})?$/);
  it('>= v and < v never both hold; = v implies >= v and <= v', () => {
    fc.assert(
      fc.property(version, version, (v, actual) => {
        const c = (text: string) => {
          const parsed = parseConstraint(text);
          if (parsed instanceof ConstraintParseError) throw parsed;
          return parsed;
        };
        expect(satisfies(c(`>=${v}`), actual, 'deb') && satisfies(c(`<${v}`), actual, 'deb')).toBe(false);
        if (satisfies(c(`=${v}`), actual, 'deb')) {
          expect(satisfies(c(`>=${v}`), actual, 'deb')).toBe(true);
          expect(satisfies(c(`<=${v}`), actual, 'deb')).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('classifyWindowFindings', () => {
  const { rules } = loadRulePacks([], { includeShipped: true });
  it('splits the findings without losing or inventing any; with no expectation nothing is expected', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('1.0-1', '1.1-1', '2.0-1'), { minLength: 2, maxLength: 4 }), (versions) => {
        const snapshots = versions.map((v, i) => snap(`n${i}`, { packages: debPackages({ openssl: v, pacemaker: v }) }));
        const report = evaluateCluster({
          cluster: 'erp',
          nodes: snapshots.map((s) => s.node),
          snapshots,
          rules,
          scoring: SCORING,
          now: NOW,
        });
        const window = {
          expectation: NO_EXPECTATION,
          baselineValues: baselineValuesOf(snapshots, NO_EXPECTATION),
          baselineFindingIds: [],
          format: 'deb' as const,
        };
        const out = classifyWindowFindings(report, window);
        expect(out.expected).toEqual([]);
        expect(out.unexpected).toEqual(report.findings);
      }),
      { numRuns: 100 },
    );
  });
});
