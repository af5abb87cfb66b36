/**
 * The raw results of one node's batch -> its snapshot, one facet per collector: each
 * collector's pure parser inside the one guard, then the batch's verdict on its commands
 * (failed, cut at a cap). Pure; runs in a parse worker (parse-worker.ts) or inline.
 */
import { guardParse } from '../collectors/util.js';
import type { Collector, CollectorContext, CommandOutput } from '../collectors/collector.js';
import type { CommandResult, CommandSpec } from '../core/command.js';
import type { FacetSnapshot, NodeSnapshot } from '../core/snapshot.js';

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
  // A parser must not throw; if one does, the facet fails (marked as a driftd bug) and the others go on.
  const facet = guardParse(collector.name, () => collector.parse(outputs, context));
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
