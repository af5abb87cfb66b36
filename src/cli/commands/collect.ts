/** `driftd collect`: snapshot the selected nodes now and show what each facet returned. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { collectTargets, selectTargets, SelectionError, type CollectedNode } from '../../collect/collect-clusters.js';
import { FACET_NAMES } from '../../core/snapshot.js';
import { escapeControl } from '../../core/text/terminal.js';
import { recordResults } from '../../transports/record.js';
import { loadConfigOrExit } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { formatMs, table } from '../format.js';

export interface CollectFlags {
  config: string;
  cluster?: string;
  node?: string;
  json?: boolean;
  record?: string;
  progress: boolean;
}

export async function runCollect(flags: CollectFlags): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  let targets;
  try {
    targets = selectTargets(loaded.config, {
      ...(flags.cluster ? { cluster: flags.cluster } : {}),
      ...(flags.node ? { node: flags.node } : {}),
    });
  } catch (err) {
    if (err instanceof SelectionError) throw new CliError(err.message, EXIT.undecided);
    throw err;
  }
  // The bar's module is loaded only for a terminal: scripts and playbooks never pay for it.
  const progress = flags.progress && process.stderr.isTTY && !flags.json ? await import('cli-progress') : null;
  const bar = progress
    ? new progress.SingleBar(
        { format: 'collecting [{bar}] {value}/{total} nodes  {last}', stream: process.stderr, hideCursor: true },
        progress.Presets.shades_classic,
      )
    : null;
  bar?.start(targets.length, 0, { last: '' });
  const collected = await collectTargets({
    config: loaded.config,
    configDir: loaded.dir,
    targets,
    now: () => new Date(),
    onNodeDone: (target) => bar?.increment({ last: target.node.name }),
  });
  bar?.stop();

  if (flags.record) {
    for (const { node, result } of collected) {
      if (result.results.length === 0) continue;
      const dir = path.resolve(flags.record, node.name);
      await mkdir(dir, { recursive: true });
      await recordResults(dir, result.results);
    }
  }

  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        collected.map((c) => c.result.snapshot),
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(`${renderCollectSummary(collected)}\n`);
  }
  return collected.some((c) => nodeFailure(c) !== null) ? EXIT.notReady : EXIT.ok;
}

/**
 * Why a node counts as failed: unreachable, or a facet the cluster lists could not be
 * read (error, truncated). An `unsupported` facet is not a failure. null when it is fine.
 */
export function nodeFailure(c: CollectedNode): 'unreachable' | 'facets' | null {
  const snap = c.result.snapshot;
  if (snap.error !== undefined) return 'unreachable';
  const bad = FACET_NAMES.some((f) => snap.facets[f]?.status === 'error' || snap.facets[f]?.status === 'truncated');
  return bad ? 'facets' : null;
}

export function renderCollectSummary(collected: readonly CollectedNode[]): string {
  const rows: string[][] = [];
  for (const { cluster, node, result } of collected) {
    const snap = result.snapshot;
    if (snap.error !== undefined) {
      rows.push([cluster.name, node.name, '-', 'UNREACHABLE', '-', formatMs(result.durationMs), escapeControl(snap.error)]);
      continue;
    }
    for (const facet of FACET_NAMES) {
      const f = snap.facets[facet];
      if (!f) continue;
      rows.push([
        cluster.name,
        node.name,
        facet,
        f.status,
        String(Object.keys(f.items).length),
        formatMs(f.durationMs ?? 0),
        escapeControl(f.error ?? ''),
      ]);
    }
  }
  const failures = collected.map(nodeFailure);
  const unreachable = failures.filter((f) => f === 'unreachable').length;
  const unread = failures.filter((f) => f === 'facets').length;
  const ok = collected.length - unreachable - unread;
  const why = [
    ...(unreachable ? [`${unreachable} unreachable`] : []),
    ...(unread ? [`${unread} with facets that could not be read (error or truncated; see NOTE)`] : []),
  ];
  const footer = `${ok}/${collected.length} nodes collected${why.length ? `, ${why.join(', ')}` : ''}`;
  return `${table(['CLUSTER', 'NODE', 'FACET', 'STATUS', 'ITEMS', 'TIME', 'NOTE'], rows)}\n\n${footer}`;
}
