/**
 * One audit: collect the nodes of some clusters, then let the pure engine judge each
 * cluster. Shared by `driftd check`, `driftd window` and every scheduled daemon run, so
 * all of them reach the same verdict from the same snapshots.
 */
import { collectEachTarget, type CollectedNode, type NodeTarget } from '../collect/collect-clusters.js';
import type { LoadedConfig } from '../config/load.js';
import { resolveFromConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import type { CheckReport } from '../core/check-report.js';
import { evaluateCluster, type CompiledRules } from '../core/engine/index.js';
import type { NodeSnapshot } from '../core/snapshot.js';
import { markExpected, type WindowContext } from '../core/window/classify.js';
import { loadRulePacks, type LoadedRulePacks } from '../rules/load.js';
import type { FailoverScenario } from '../core/simulate/findings.js';
import { failoverStep } from '../simulate/audit-step.js';

export interface ClusterAudit {
  cluster: ClusterConfig;
  snapshots: NodeSnapshot[];
  report: CheckReport;
  /** Each node failing, as simulated for this report (absent when the simulation is off). */
  failover?: FailoverScenario[];
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
  /**
   * The open maintenance windows by cluster name, asked for once a cluster is collected
   * (so a window opened meanwhile counts). Its declared change directs and marks the verdict.
   */
  openWindows?: () => ReadonlyMap<string, WindowContext>;
  /**
   * Failover simulation (each node failing in crm_simulate, src/simulate/audit-step.ts):
   * the config's `failover.simulate` decides; false turns it off for this audit.
   */
  simulate?: boolean;
  /**
   * Audits handed to an asynchronous consumer and not yet settled (see auditEachCluster);
   * at this many, starting further nodes waits. Default MAX_WAITING_AUDITS.
   */
  maxWaitingAudits?: number;
}

/**
 * A consumer that stores asynchronously (the daemon on PostgreSQL) can fall behind the
 * collection, and every audit waiting for it holds its cluster's snapshots: a 400-node run
 * grew its live heap from 17 to 88 MB that way. With this many waiting, no further node
 * is started until one settles (the nodes in flight finish). SQLite's store, synchronous
 * underneath, settles each save before the next node's result arrives.
 */
export const MAX_WAITING_AUDITS = 16;

/** Collect and judge the clusters; every audit keeps its snapshots (for `check`, `window`). */
export function auditClusters(options: AuditOptions): Promise<ClusterAudit[]> {
  return auditEachCluster(options, (audit) => audit);
}

/**
 * Collects the nodes of every cluster through one pool and, as soon as the last node of
 * a cluster is in, judges that cluster and hands its audit to `consume`. The snapshots
 * are dropped once `consume` returns, so a daemon that stores each audit and keeps a
 * summary holds the snapshots of the clusters still being collected, not of the fleet.
 *
 * Results come back in the order of `options.clusters`. A cluster whose judging or
 * consuming throws does not stop the others; the first such error is thrown once every
 * cluster has been handled.
 */
export async function auditEachCluster<R>(options: AuditOptions, consume: (audit: ClusterAudit) => R): Promise<R[]> {
  const startedAt = options.now().toISOString();
  const results = new Array<R>(options.clusters.length);
  const errors: unknown[] = [];
  const pending: ({ left: number; snapshots: NodeSnapshot[] } | undefined)[] = options.clusters.map((cluster) => ({
    left: cluster.nodes.length,
    snapshots: new Array<NodeSnapshot>(cluster.nodes.length),
  }));
  const slot = new Map<NodeTarget, { cluster: number; node: number }>();
  const step = options.simulate === false ? undefined : failoverStep(options.loaded.config.failover);
  const judging: Promise<void>[] = [];
  const targets: NodeTarget[] = [];
  const maxWaiting = Math.max(1, options.maxWaitingAudits ?? MAX_WAITING_AUDITS);
  let waiting = 0;
  const wakers: (() => void)[] = [];
  const settle = (): void => {
    waiting -= 1;
    wakers.shift()?.();
  };
  const beforeNode = async (): Promise<void> => {
    while (waiting >= maxWaiting) await new Promise<void>((resolve) => wakers.push(resolve));
  };
  options.clusters.forEach((cluster, c) => {
    cluster.nodes.forEach((node, n) => {
      const target = { cluster, node };
      targets.push(target);
      slot.set(target, { cluster: c, node: n });
    });
  });
  const finish = (c: number): void => {
    const cluster = options.clusters[c] as ClusterConfig;
    const bucket = pending[c];
    if (!bucket) return;
    pending[c] = undefined;
    const snapshots = bucket.snapshots;
    const nodes = cluster.nodes.map((n) => n.name);
    const judged = async (): Promise<void> => {
      // Pacemaker's scheduler on the CIB just collected; never throws (unknown instead).
      const failover = step ? await step({ name: cluster.name, nodes }, snapshots, options.signal) : undefined;
      const window = options.openWindows?.().get(cluster.name);
      const result = consume({
        cluster,
        snapshots,
        report: judge(options.loaded, options.rules, cluster, snapshots, options.now(), window, failover),
        ...(failover ? { failover } : {}),
        startedAt,
        finishedAt: options.now().toISOString(),
      });
      // A promise the caller settles only after the whole collection (the daemon's
      // per-cluster save) is handled from here on: an early rejection is the caller's to
      // see when it awaits, not an "unhandled rejection" in the meantime. Until it settles
      // it counts as waiting (backpressure, below).
      if (result instanceof Promise) {
        waiting += 1;
        result.then(settle, settle);
      }
      results[c] = result;
    };
    judging.push(judged().catch((error: unknown) => void errors.push(error)));
  };
  options.clusters.forEach((cluster, c) => {
    if (cluster.nodes.length === 0) finish(c);
  });
  await collectEachTarget({
    config: options.loaded.config,
    configDir: options.loaded.dir,
    targets,
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
    beforeNode,
    onNodeDone: (target, result) => {
      options.onNodeDone?.(target, result);
      const where = slot.get(target);
      const bucket = where && pending[where.cluster];
      if (!where || !bucket) return;
      bucket.snapshots[where.node] = result.snapshot;
      bucket.left -= 1;
      if (bucket.left === 0) finish(where.cluster);
    },
  });
  await Promise.all(judging);
  if (errors.length > 0) throw errors[0];
  return results;
}

/**
 * The engine's verdict on a set of snapshots (fresh or stored). During an open maintenance
 * window its expectation says which nodes are to fix on the items it declares, and the
 * findings that are its declared change are marked expected: the same verdict for the
 * daemon's runs, `driftd check` and the window's own runs.
 */
export function judge(
  loaded: LoadedConfig,
  rules: CompiledRules,
  cluster: ClusterConfig,
  snapshots: NodeSnapshot[],
  now: Date,
  window?: WindowContext,
  failover?: readonly FailoverScenario[],
): CheckReport {
  const report = evaluateCluster({
    cluster: cluster.name,
    nodes: cluster.nodes.map((n) => n.name),
    ...(cluster.baseline ? { baseline: cluster.baseline } : {}),
    snapshots,
    rules,
    scoring: loaded.config.scoring,
    now,
    ...(window ? { window: { expectation: window.expectation, format: window.format } } : {}),
    ...(failover ? { failover } : {}),
  });
  return window ? markExpected(report, window) : report;
}
