/** Runs evaluateCluster the way the daemon does and checks the result against the public contract. */
import { expect } from 'vitest';
import { CheckReportSchema, type CheckReport } from '../../../src/core/check-report.js';
import { evaluateCluster } from '../../../src/core/engine/evaluate.js';
import { compileRules, NO_RULES, type CompiledRules } from '../../../src/core/engine/rules/compile.js';
import { parseRulePack } from '../../../src/rules/parse.js';
import type { NodeSnapshot } from '../../../src/core/snapshot.js';
import type { WindowDirection } from '../../../src/core/engine/window-direction.js';
import type { FailoverScenario } from '../../../src/core/simulate/findings.js';
import { NOW, SCORING } from './handmade-cluster.js';

export interface CheckOptions {
  nodes?: string[];
  baseline?: string;
  rules?: CompiledRules;
  now?: Date;
  window?: WindowDirection;
  failover?: FailoverScenario[];
}

export function check(snapshots: NodeSnapshot[], opts: CheckOptions = {}): CheckReport {
  const nodes = opts.nodes ?? [...new Set(snapshots.map((s) => s.node))];
  const report = evaluateCluster({
    cluster: 'erp',
    nodes,
    snapshots,
    rules: opts.rules ?? NO_RULES,
    scoring: SCORING,
    now: opts.now ?? NOW,
    ...(opts.baseline !== undefined ? { baseline: opts.baseline } : {}),
    ...(opts.window !== undefined ? { window: opts.window } : {}),
    ...(opts.failover !== undefined ? { failover: opts.failover } : {}),
  });
  const parsed = CheckReportSchema.safeParse(report);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  return report;
}

/** A pack from YAML lines, compiled. */
export function rules(...lines: string[]): CompiledRules {
  return compileRules([parseRulePack(['pack: test', 'rules:', ...lines].join('\n'), 'test.yaml')]);
}

export function only<T>(list: readonly T[]): T {
  expect(list).toHaveLength(1);
  return list[0] as T;
}

/** Headlines and the evidence attached to them: every finding a check produced. */
export function withEvidence(report: CheckReport): CheckReport['findings'] {
  return report.findings.flatMap((f) => [f, ...(f.evidence ?? [])]);
}
