/**
 * One audit: collect the nodes of some clusters, then let the pure engine judge each
 * cluster. Shared by `driftd check`, `driftd window` and every scheduled daemon run, so
 * all of them reach the same verdict from the same snapshots.
 */
import { collectTargets, type CollectedNode, type NodeTarget } from '../collect/collect-clusters.js';
import type { LoadedConfig } from '../config/load.js';
import { resolveFromConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import type { CheckReport } from '../core/check-report.js';
import { evaluateCluster, type CompiledRules } from '../core/engine/index.js';
import type { NodeSnapshot } from '../core/snapshot.js';
import { loadRulePacks, type LoadedRulePacks } from '../rules/load.js';

export interface ClusterAudit {
  cluster: ClusterConfig;
  snapshots: NodeSnapshot[];
  report: CheckReport;
  startedAt: string;
  finishedAt: string;
}

export function loadRulesFor(loaded: LoadedConfig): LoadedRulePacks {
  return loadRulePacks(
    loaded.config.rules.map((p) => resolveFromConfig(loaded, p)),
    { includeShipped: loaded.config.defaultRules },
  );
}

export interface AuditOptions {
  loaded: LoadedConfig;
  rules: CompiledRules;
  clusters: readonly ClusterConfig[];
  now: () => Date;
  signal?: AbortSignal;
  onNodeDone?: (target: NodeTarget, node: CollectedNode['result']) => void;
}

export async function auditClusters(options: AuditOptions): Promise<ClusterAudit[]> {
  const startedAt = options.now().toISOString();
  const targets = options.clusters.flatMap((cluster) => cluster.nodes.map((node) => ({ cluster, node })));
  const collected = await collectTargets({
    config: options.loaded.config,
    configDir: options.loaded.dir,
    targets,
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onNodeDone ? { onNodeDone: options.onNodeDone } : {}),
  });
  const finishedAt = options.now().toISOString();
  return options.clusters.map((cluster) => {
    const snapshots = collected.filter((c) => c.cluster.name === cluster.name).map((c) => c.result.snapshot);
    return {
      cluster,
      snapshots,
      report: judge(options.loaded, options.rules, cluster, snapshots, options.now()),
      startedAt,
      finishedAt,
    };
  });
}

/** The engine's verdict on a set of snapshots (fresh or stored). */
export function judge(
  loaded: LoadedConfig,
  rules: CompiledRules,
  cluster: ClusterConfig,
  snapshots: NodeSnapshot[],
  now: Date,
): CheckReport {
  return evaluateCluster({
    cluster: cluster.name,
    nodes: cluster.nodes.map((n) => n.name),
    ...(cluster.baseline ? { baseline: cluster.baseline } : {}),
    snapshots,
    rules,
    scoring: loaded.config.scoring,
    now,
  });
}
