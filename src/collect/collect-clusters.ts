/**
 * Fans collection out over the selected nodes of the selected clusters, at most
 * `concurrency` at a time. Shared by `driftd collect`, `driftd check` and the daemon.
 */
import { collectorsFor } from '../collectors/registry.js';
import type { CollectorContext } from '../collectors/collector.js';
import type { ClusterConfig, DriftdConfig, NodeConfig } from '../config/schema.js';
import { effectiveSsh } from '../config/schema.js';
import { createTransport } from '../transports/factory.js';
import type { Transport } from '../transports/transport.js';
import { collectNode, type CollectNodeResult } from './collect-node.js';
import { mapWithConcurrency } from './pool.js';

export interface NodeSelection {
  cluster?: string;
  node?: string;
}

export interface NodeTarget {
  cluster: ClusterConfig;
  node: NodeConfig;
}

export class SelectionError extends Error {
  override readonly name = 'SelectionError';
}

export function selectTargets(config: DriftdConfig, selection: NodeSelection): NodeTarget[] {
  const clusters = selection.cluster ? config.clusters.filter((c) => c.name === selection.cluster) : config.clusters;
  if (selection.cluster && clusters.length === 0) {
    throw new SelectionError(
      `no cluster named "${selection.cluster}" in the config (clusters: ${config.clusters.map((c) => c.name).join(', ')})`,
    );
  }
  const targets = clusters.flatMap((cluster) => cluster.nodes.map((node) => ({ cluster, node })));
  if (!selection.node) return targets;
  const picked = targets.filter((t) => t.node.name === selection.node);
  if (picked.length === 0) {
    throw new SelectionError(
      `no node named "${selection.node}"${selection.cluster ? ` in cluster "${selection.cluster}"` : ''} (nodes: ${targets.map((t) => t.node.name).join(', ')})`,
    );
  }
  return picked;
}

export function collectorContext(config: DriftdConfig, cluster: ClusterConfig): CollectorContext {
  return {
    files: cluster.files,
    sysctlAllow: config.sysctl.allow,
    sysctlDeny: config.sysctl.deny,
    fileContentMaxBytes: config.fileContentMaxBytes,
    usersAccounts: config.users.accounts,
    usersGroups: config.users.groups,
  };
}

export interface CollectOptions {
  config: DriftdConfig;
  configDir: string;
  targets: readonly NodeTarget[];
  now: () => Date;
  signal?: AbortSignal;
  onNodeDone?: (target: NodeTarget, result: CollectNodeResult) => void;
}

export interface CollectedNode extends NodeTarget {
  result: CollectNodeResult;
}

export async function collectTargets(options: CollectOptions): Promise<CollectedNode[]> {
  return mapWithConcurrency(options.targets, options.config.concurrency, async (target) => ({
    ...target,
    result: await collectTarget(options, target),
  }));
}

/**
 * Like collectTargets, but keeps nothing: each result goes to `onNodeDone` and is the
 * caller's to keep or drop, so memory follows what the caller holds, not the fleet.
 */
export async function collectEachTarget(
  options: CollectOptions & {
    onNodeDone: NonNullable<CollectOptions['onNodeDone']>;
    /** Awaited before each node is started: the consumer's backpressure. */
    beforeNode?: () => Promise<void>;
  },
): Promise<void> {
  await mapWithConcurrency(options.targets, options.config.concurrency, async (target) => {
    await options.beforeNode?.();
    await collectTarget(options, target);
  });
}

/** One node; `onNodeDone` is called with its result before it is returned. */
async function collectTarget(options: CollectOptions, target: NodeTarget): Promise<CollectNodeResult> {
  const ssh = effectiveSsh(options.config, target.node);
  let transport: Transport;
  try {
    transport = createTransport(target.node, ssh, { configDir: options.configDir });
  } catch (err) {
    // A node whose transport cannot even be built (e.g. an unset credentials dir) fails alone.
    const result: CollectNodeResult = {
      snapshot: {
        cluster: target.cluster.name,
        node: target.node.name,
        takenAt: options.now().toISOString(),
        error: err instanceof Error ? err.message : String(err),
        facets: {},
      },
      results: [],
      durationMs: 0,
    };
    options.onNodeDone?.(target, result);
    return result;
  }
  const result = await collectNode({
    cluster: target.cluster.name,
    node: target.node.name,
    transport,
    collectors: collectorsFor(target.cluster.facets),
    context: collectorContext(options.config, target.cluster),
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.onNodeDone?.(target, result);
  return result;
}
