/**
 * The raw results of one node's batch -> its snapshot, one facet per collector: each
 * collector's pure parser on its commands' outputs. What an output means (failed, cut at
 * a cap, ...) is decided by src/collectors/output.ts; this file only supplies which cap
 * cut a command. Pure; runs in a parse worker (parse-worker.ts) or inline.
 */
import { parseFacet } from '../collectors/output.js';
import type { Collector, CollectorContext, CommandOutput } from '../collectors/collector.js';
import type { CommandResult, CommandSpec } from '../core/command.js';
import type { NodeSnapshot } from '../core/snapshot.js';

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
    const outputs: Record<string, CommandOutput> = {};
    let durationMs = 0;
    for (const spec of collector.commands(input.context)) {
      const result = byId.get(spec.id);
      durationMs += result?.durationMs ?? 0;
      outputs[spec.id] = result ? outputOf(result, spec, collector.name) : { ...NO_RESULT };
    }
    // parseFacet is what every collector's own parse returns through: run here again, it
    // guards and settles a collector that did not (idempotent for those that did).
    const facet = parseFacet(collector.name, outputs, () => collector.parse(outputs, input.context));
    facets[collector.name] = { ...facet, durationMs };
  }
  return { cluster: input.cluster, node: input.node, takenAt: input.takenAt, facets };
}

/** A spec the batch returned no result for: a command that did not finish. */
const NO_RESULT: CommandOutput = { exitCode: null, stdout: '', stderr: '', truncated: false, error: 'no result' };

/** A result as its collector reads it; a cut one says which cap cut it (output.ts words the verdict). */
function outputOf(result: CommandResult, spec: CommandSpec, facet: string): CommandOutput {
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    truncated: result.truncated,
    ...(result.error !== undefined ? { error: result.error } : {}),
    ...(result.truncated ? { cap: capOf(spec, facet) } : {}),
  };
}

/**
 * Which cap cut a command, and where it is set: a collector's own fixed cap (maxBytes in
 * its file) is not ssh.maxOutputBytes, and saying so sends the user to the right place.
 */
function capOf(spec: CommandSpec, facet: string): string {
  if (spec.maxBytes !== undefined) {
    return `its fixed cap of ${formatBytes(spec.maxBytes)} (set in driftd, src/collectors/${facet}.ts; not configurable)`;
  }
  return 'the per-command cap ssh.maxOutputBytes (config; default 32 MiB)';
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
