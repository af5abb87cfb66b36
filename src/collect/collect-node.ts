/**
 * One node -> one snapshot: open the transport once, run every enabled collector's
 * commands in one batch, hand each collector its outputs, assemble the facets.
 * A failure stays inside its node (unreachable) or its facet (error); nothing throws.
 */
import type { Collector, CollectorContext, CommandOutput } from '../collectors/collector.js';
import type { FacetSnapshot, NodeSnapshot } from '../core/snapshot.js';
import { TransportError, type CommandResult, type CommandSpec, type Transport } from '../transports/transport.js';
import { parseSnapshot } from './parse-pool.js';

export interface CollectNodeInput {
  cluster: string;
  node: string;
  transport: Transport;
  collectors: readonly Collector[];
  context: CollectorContext;
  /** The clock lives at the edge; tests pass a fixed one. */
  now: () => Date;
  signal?: AbortSignal;
  /** Parse on this thread instead of a worker (tests of custom collectors). */
  parseInline?: boolean;
}

export interface CollectNodeResult {
  snapshot: NodeSnapshot;
  /** Raw outputs, for `--record`. Empty when the node was unreachable. */
  results: CommandResult[];
  durationMs: number;
}

export async function collectNode(input: CollectNodeInput): Promise<CollectNodeResult> {
  const started = Date.now();
  const takenAt = input.now().toISOString();
  const specs = commandsOf(input.collectors, input.context);
  let results: CommandResult[];
  try {
    await input.transport.open();
    results = await input.transport.run(specs, input.signal ? { signal: input.signal } : {});
  } catch (err) {
    return {
      snapshot: { cluster: input.cluster, node: input.node, takenAt, error: describeNodeError(err, input.transport.target), facets: {} },
      results: [],
      durationMs: Date.now() - started,
    };
  } finally {
    await input.transport.close().catch(() => undefined);
  }
  // Parsed in a worker thread (parse-pool.ts), capped (limits.ts): a hostile node's
  // output neither stalls the event loop nor keeps unbounded memory.
  const snapshot = await parseSnapshot(
    { cluster: input.cluster, node: input.node, takenAt, collectors: input.collectors, context: input.context, results },
    input.parseInline ? { inline: true } : {},
  );
  return { snapshot, results, durationMs: Date.now() - started };
}

export function commandsOf(collectors: readonly Collector[], context: CollectorContext): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const seen = new Set<string>();
  for (const collector of collectors) {
    for (const spec of collector.commands(context)) {
      if (seen.has(spec.id)) throw new Error(`collector ${collector.name}: duplicate command id ${spec.id}`);
      seen.add(spec.id);
      specs.push(spec);
    }
  }
  return specs;
}

export interface AssembleInput {
  cluster: string;
  node: string;
  takenAt: string;
  collectors: readonly Collector[];
  context: CollectorContext;
  results: readonly CommandResult[];
}

/** Pure: the raw results of one batch -> a snapshot, one facet per collector. */
export function assembleSnapshot(input: AssembleInput): NodeSnapshot {
  const byId = new Map(input.results.map((r) => [r.id, r]));
  const facets: NodeSnapshot['facets'] = {};
  for (const collector of input.collectors) {
    const specs = collector.commands(input.context);
    const outputs: Record<string, CommandOutput> = {};
    let durationMs = 0;
    const failures: string[] = [];
    const truncated: string[] = [];
    for (const spec of specs) {
      const result = byId.get(spec.id);
      if (!result) {
        failures.push(`${spec.id}: no result`);
        continue;
      }
      durationMs += result.durationMs;
      outputs[spec.id] = {
        exitCode: result.exitCode,
        stdout: result.stdout,
        stderr: result.stderr,
        truncated: result.truncated,
        ...(result.error !== undefined ? { error: result.error } : {}),
      };
      if (result.truncated) truncated.push(capOf(spec, collector.name));
      else if (result.error !== undefined) failures.push(`${spec.id}: ${result.error}`);
    }
    facets[collector.name] = { ...settle(collector, outputs, input.context, failures, truncated), durationMs };
  }
  return { cluster: input.cluster, node: input.node, takenAt: input.takenAt, facets };
}

function settle(
  collector: Collector,
  outputs: Record<string, CommandOutput>,
  context: CollectorContext,
  failures: string[],
  truncated: string[],
): FacetSnapshot {
  let facet: FacetSnapshot;
  try {
    facet = collector.parse(outputs, context);
  } catch (err) {
    // A parser must not throw; if one does, the facet fails and the others go on.
    facet = { status: 'error', items: {}, error: `${collector.name} parser failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (failures.length > 0 && facet.status === 'ok') {
    return { ...facet, status: 'error', error: `command failed: ${failures.join('; ')}` };
  }
  if (truncated.length > 0 && facet.status !== 'error') {
    return {
      ...facet,
      status: 'truncated',
      error: `output over its cap, items are partial: ${truncated.join('; ')}`,
    };
  }
  return facet;
}

/**
 * Which cap cut a command, and where it is set: a collector's own fixed cap (maxBytes in
 * its file) is not ssh.maxOutputBytes, and saying so sends the user to the right place.
 */
function capOf(spec: CommandSpec, facet: string): string {
  if (spec.maxBytes !== undefined) {
    return `${spec.id} exceeded its fixed cap of ${formatBytes(spec.maxBytes)} (set in driftd, src/collectors/${facet}.ts; not configurable)`;
  }
  return `${spec.id} exceeded the per-command cap ssh.maxOutputBytes (config; default 32 MiB)`;
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function describeNodeError(err: unknown, target: string): string {
  if (err instanceof TransportError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return `${target}: ${message}`;
}
