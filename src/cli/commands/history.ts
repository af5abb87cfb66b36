/**
 * `driftd history` (finding timeline and node change log), `driftd history verify`
 * (the evidence chain), `driftd history prune` (retention) and `driftd changes`.
 */
import { Command } from 'commander';
import type { FindingEpisode, NodeChange } from '../../store/index.js';
import { DEFAULT_CONFIG, loadConfigOrExit, withStore } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { table } from '../format.js';
import { parseTimeArg } from '../time.js';
import { escapeControlLines } from '../../core/text/terminal.js';

interface RangeFlags {
  config: string;
  cluster?: string;
  node?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

export function historyCommand(): Command {
  const history = new Command('history')
    // Options after `verify`/`prune` belong to them, so each can take its own --config.
    .enablePositionalOptions()
    .description('finding timeline (first seen, resolved) and per-node change log from the store')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--cluster <name>', 'only this cluster')
    .option('--node <name>', 'only findings involving this node, and its changes')
    .option('--since <time>', 'ISO 8601 or an age such as 36h, 7d')
    .option('--until <time>', 'ISO 8601 or an age')
    .option('--json', 'print as JSON')
    .action((flags: RangeFlags) => {
      process.exitCode = runHistory(flags);
    });
  history
    .command('verify')
    .description('recompute the evidence chain of every stored run and report the first broken link (exit 1)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'print as JSON')
    .action((flags: { config: string; json?: boolean }) => {
      process.exitCode = runVerify(flags);
    });
  history
    .command('prune')
    .description('thin unchanged snapshots older than retention.keepUnchangedDays (changes and finding episodes are kept)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--days <n>', 'override retention.keepUnchangedDays', (v) => Number(v))
    .option(
      '--vacuum',
      'then give the freed pages back to the file system (rewrites the file; holds the write lock meanwhile, so the daemon waits)',
    )
    .action((flags: { config: string; days?: number; vacuum?: boolean }) => {
      process.exitCode = runPrune(flags);
    });
  return history;
}

export function changesCommand(): Command {
  return new Command('changes')
    .description('what changed on a node: items added, removed and changed per facet between consecutive snapshots')
    .requiredOption('--node <name>', 'the node')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--since <time>', 'ISO 8601 or an age such as 36h, 7d', '7d')
    .option('--until <time>', 'ISO 8601 or an age')
    .option('--json', 'print as JSON')
    .action((flags: RangeFlags & { node: string }) => {
      process.exitCode = runChanges(flags);
    });
}

function range(flags: RangeFlags): { since?: string; until?: string } {
  const now = new Date();
  return {
    ...(flags.since ? { since: parseTimeArg(flags.since, now, '--since') } : {}),
    ...(flags.until ? { until: parseTimeArg(flags.until, now, '--until') } : {}),
  };
}

function runHistory(flags: RangeFlags): ExitCode {
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

function runChanges(flags: RangeFlags & { node: string }): ExitCode {
  const loaded = loadConfigOrExit(flags.config);
  const when = range(flags);
  const changes = withStore(loaded, (store) => store.changes({ node: flags.node, ...when }));
  process.stdout.write(flags.json ? `${JSON.stringify(changes, null, 2)}\n` : escapeControlLines(`${renderChanges(changes)}\n`));
  return EXIT.ok;
}

function runVerify(flags: { config: string; json?: boolean }): ExitCode {
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

function runPrune(flags: { config: string; days?: number; vacuum?: boolean }): ExitCode {
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
