/** `driftd diff A B`: two nodes side by side, with unified diffs for files. */
import { selectTargets, collectTargets } from '../../collect/collect-clusters.js';
import { diffNodes, renderNodeDiff } from '../../core/engine/index.js';
import type { FacetName, NodeSnapshot } from '../../core/snapshot.js';
import { loadRulesFor } from '../../audit/audit.js';
import type { LoadedConfig } from '../../config/load.js';
import { loadConfigOrExit } from '../context.js';
import { withStore } from '../with-store.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { escapeControlLines } from '../../core/text/terminal.js';

export interface DiffFlags {
  config: string;
  facet?: FacetName;
  stored?: boolean;
  json?: boolean;
  all?: boolean;
}

export async function runDiff(nodeA: string, nodeB: string, flags: DiffFlags): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const [a, b] = flags.stored ? await storedPair(loaded, nodeA, nodeB) : await collectedPair(loaded, nodeA, nodeB);
  for (const snap of [a, b]) {
    if (snap.error !== undefined) throw new CliError(`${snap.node} could not be collected: ${snap.error}`, EXIT.undecided);
  }
  const rules = loadRulesFor(loaded);
  const diff = diffNodes(a, b, {
    rules: rules.rules,
    ...(flags.facet ? { facet: flags.facet } : {}),
    ...(flags.all ? { includeNodeSpecific: true } : {}),
  });
  process.stdout.write(flags.json ? `${JSON.stringify(diff, null, 2)}\n` : `${escapeControlLines(renderNodeDiff(diff))}\n`);
  const differs = diff.facets.some((f) => f.items.length > 0 || f.statusA !== f.statusB);
  return differs ? EXIT.notReady : EXIT.ok;
}

async function collectedPair(loaded: LoadedConfig, nodeA: string, nodeB: string): Promise<[NodeSnapshot, NodeSnapshot]> {
  const targets = [nodeA, nodeB].map((node) => {
    const [target] = selectTargetsOrExit(loaded, node);
    return target;
  });
  const collected = await collectTargets({
    config: loaded.config,
    configDir: loaded.dir,
    targets: targets.filter((t) => t !== undefined),
    now: () => new Date(),
  });
  const [a, b] = collected.map((c) => c.result.snapshot);
  if (!a || !b) throw new CliError('internal: collection returned fewer nodes than asked', EXIT.internal);
  return [a, b];
}

function selectTargetsOrExit(loaded: LoadedConfig, node: string): ReturnType<typeof selectTargets> {
  try {
    return selectTargets(loaded.config, { node });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), EXIT.undecided);
  }
}

function storedPair(loaded: LoadedConfig, nodeA: string, nodeB: string): Promise<[NodeSnapshot, NodeSnapshot]> {
  return withStore(loaded, async (store): Promise<[NodeSnapshot, NodeSnapshot]> => {
    const pick = async (node: string): Promise<NodeSnapshot> => {
      selectTargetsOrExit(loaded, node);
      const snap = await store.snapshotOf(node);
      if (!snap) throw new CliError(`no stored snapshot of ${node}; run a collection first`, EXIT.undecided);
      return snap;
    };
    return [await pick(nodeA), await pick(nodeB)];
  });
}
