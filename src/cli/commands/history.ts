/**
 * `driftd history` (finding timeline and node change log), `driftd history verify`
 * (the evidence chain), `driftd history prune` (retention) and `driftd changes`.
 */
import type { FindingEpisode, NodeChange } from '../../store/index.js';
import { loadConfigOrExit } from '../context.js';
import { withStore } from '../with-store.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { table } from '../format.js';
import { parseTimeArg } from '../time.js';
import { escapeControlLines } from '../../core/text/terminal.js';

export interface RangeFlags {
  config: string;
  cluster?: string;
  node?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

function range(flags: RangeFlags): { since?: string; until?: string } {
  const now = new Date();
  return {
    ...(flags.since ? { since: parseTimeArg(flags.since, now, '--since') } : {}),
    ...(flags.until ? { until: parseTimeArg(flags.until, now, '--until') } : {}),
  };
}

export function runHistory(flags: RangeFlags): ExitCode {
  const loaded = loadConfigOrExit(flags.config);
  const when = range(flags);
  const { episodes, changes } = withStore(loaded, (store) => ({
    episodes: store
      .findingEpisodes({ ...(flags.cluster ? { cluster: flags.cluster } : {}), ...when })
      .filter((e) => !flags.node || flags.node in e.valuesLast || flags.node in e.valuesOpen || e.key === flags.node),
    changes: store.changes({ ...(flags.cluster ? { cluster: flags.cluster } : {}), ...(flags.node ? { node: flags.node } : {}), ...when }),
  }));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...when, findings: episodes, changes }, null, 2)}\n`);
    return EXIT.ok;
  }
  // Keys and values come from nodes: control characters are shown escaped, never sent raw.
  process.stdout.write(
    escapeControlLines(
      `Finding episodes (${episodes.length})\n${renderEpisodes(episodes)}\n\nNode changes (${changes.length})\n${renderChanges(changes)}\n`,
    ),
  );
  return EXIT.ok;
}

export function renderEpisodes(episodes: readonly FindingEpisode[]): string {
  if (episodes.length === 0) return '  none';
  return table(
    ['FIRST SEEN', 'RESOLVED', 'SEVERITY', 'KIND', 'CLUSTER', 'FINDING', 'MESSAGE'],
    episodes.map((e) => [
      e.firstSeen,
      e.resolvedAt ?? 'open',
      e.waived ? `${e.severity} (waived)` : e.severity,
      e.kind,
      e.cluster,
      `${e.facet}/${e.key}`,
      e.message,
    ]),
  );
}

export function renderChanges(changes: readonly NodeChange[]): string {
  if (changes.length === 0) return '  none';
  return table(
    ['AT', 'NODE', 'FACET', 'KEY', 'CHANGE', 'BEFORE', 'AFTER'],
    changes.map((c) => [c.at, c.node, c.facet, c.key, c.change, clip(c.before), clip(c.after)]),
  );
}

function clip(value: string | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

export function runChanges(flags: RangeFlags & { node: string }): ExitCode {
  const loaded = loadConfigOrExit(flags.config);
  const when = range(flags);
  const changes = withStore(loaded, (store) => store.changes({ node: flags.node, ...when }));
  process.stdout.write(flags.json ? `${JSON.stringify(changes, null, 2)}\n` : escapeControlLines(`${renderChanges(changes)}\n`));
  return EXIT.ok;
}

export function runVerify(flags: { config: string; json?: boolean }): ExitCode {
  const loaded = loadConfigOrExit(flags.config);
  const verdict = withStore(loaded, (store) => store.verifyChain());
  if (flags.json) process.stdout.write(`${JSON.stringify(verdict)}\n`);
  else if (verdict.ok)
    process.stdout.write(
      `evidence chain intact: ${verdict.runs} runs verified (${verdict.thinnedRuns} thinned by retention, run hashes checked)\n`,
    );
  else process.stdout.write(`evidence chain BROKEN at run ${verdict.brokenAt}: ${verdict.reason} (${verdict.runs} runs checked)\n`);
  return verdict.ok ? EXIT.ok : EXIT.notReady;
}

export function runPrune(flags: { config: string; days?: number; vacuum?: boolean }): ExitCode {
  const loaded = loadConfigOrExit(flags.config);
  const days = flags.days ?? loaded.config.retention.keepUnchangedDays;
  if (!Number.isInteger(days) || days < 1) throw new CliError('--days takes a whole number of days, 1 or more', EXIT.undecided);
  withStore(
    loaded,
    (store) => {
      const result = store.prune({ keepUnchangedDays: days, now: new Date().toISOString() });
      process.stdout.write(
        `pruned ${result.deletedSnapshots} unchanged snapshots and ${result.deletedBlobs} blobs older than ${result.horizon} (${result.thinnedRuns} runs thinned)\n`,
      );
      if (flags.vacuum) {
        const { bytesBefore, bytesAfter } = store.vacuum();
        process.stdout.write(`vacuum: ${bytesBefore} -> ${bytesAfter} bytes\n`);
      }
    },
    false,
  );
  return EXIT.ok;
}
