/** The drift engine: peer diff, rule packs, preconditions, failover-readiness score. */
export { evaluateCluster, type EvaluateInput } from './evaluate.js';
export type { WindowDirection } from './window-direction.js';
export { diffNodes, renderNodeDiff, type DiffNodesOptions, type NodeDiff, type NodeDiffFacet, type NodeDiffItem } from './node-diff.js';
export { renderCheckText } from './render-check.js';
export { findingId } from './finding-id.js';
export { agentProvider, referencedAgents } from './preconditions.js';
export {
  compileRules,
  explainFinding,
  resolveRule,
  NO_RULES,
  type CompiledRule,
  type CompiledRules,
  type EffectiveRule,
  type RuleExplanation,
} from './rules/compile.js';
export { RulePackSchema, type Rule, type RulePack } from './rules/schema.js';
