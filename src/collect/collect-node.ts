/**
 * One node -> one snapshot: open the transport once, run every enabled collector's
 * commands in one batch, hand each collector its outputs, assemble the facets.
 * A failure stays inside its node (unreachable) or its facet (error); nothing throws.
 */
import { createHash } from 'node:crypto';
import type { Collector, CollectorContext } from '../collectors/collector.js';
import { setFacetDigest } from '../core/facet-digest.js';
import type { NodeSnapshot } from '../core/snapshot.js';
import { TransportError, type CommandResult, type CommandSpec, type Transport } from '../transports/transport.js';
import { parseSnapshot, warmParsePool } from './parse-pool.js';

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
  if (!input.parseInline) warmParsePool();
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
  markDigests(snapshot, input.collectors, input.context, results);
  return { snapshot, results, durationMs: Date.now() - started };
}

/**
 * Each facet's digest (core/facet-digest.ts): sha256 over its collector, the context and
 * its commands with their whole results. Equal digests mean the same parser read the same
 * bytes, so the engine compares such facets once. sha256, not a faster hash: a node must
 * not be able to craft outputs that pass for another node's answer and hide its drift.
 */
function markDigests(
  snapshot: NodeSnapshot,
  collectors: readonly Collector[],
  context: CollectorContext,
  results: readonly CommandResult[],
): void {
  const byId = new Map(results.map((r) => [r.id, r]));
  const contextText = JSON.stringify(context);
  for (const collector of collectors) {
    const facet = snapshot.facets[collector.name];
    // Only a complete facet: one cut by the per-node caps (limits.ts) also depends on the
    // node's other facets, and the engine compares complete facets only anyway.
    if (facet?.status !== 'ok') continue;
    const hash = createHash('sha256').update(JSON.stringify([collector.name, contextText]));
    for (const spec of collector.commands(context)) {
      const r = byId.get(spec.id);
      // Lengths first, so no two different (stdout, stderr) pairs feed the same bytes.
      hash.update(JSON.stringify([spec, r ? [r.exitCode, r.truncated, r.error ?? null, r.stdout.length, r.stderr.length] : null]));
      if (r) hash.update(r.stdout).update(r.stderr);
    }
    setFacetDigest(facet, hash.digest('base64'));
  }
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

function describeNodeError(err: unknown, target: string): string {
  if (err instanceof TransportError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return `${target}: ${message}`;
}
