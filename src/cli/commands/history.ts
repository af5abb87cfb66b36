/**
 * `driftd history` (finding timeline and node change log), `driftd history verify`
 * (the evidence chain), `driftd history prune` (retention) and `driftd changes`.
 */
import { existsSync } from 'node:fs';
import { DatabaseConfigError, openStoreOf } from '../../config/database.js';
import { Store, StoreError, type ChainVerdict, type FindingEpisode, type NodeChange } from '../../store/index.js';
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

export async function runHistory(flags: RangeFlags): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const when = range(flags);
  const { episodes, changes } = await withStore(loaded, async (store) => ({
    episodes: (await store.findingEpisodes({ ...(flags.cluster ? { cluster: flags.cluster } : {}), ...when })).filter(
      (e) => !flags.node || flags.node in e.valuesLast || flags.node in e.valuesOpen || e.key === flags.node,
    ),
    changes: await store.changes({
      ...(flags.cluster ? { cluster: flags.cluster } : {}),
      ...(flags.node ? { node: flags.node } : {}),
      ...when,
    }),
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

export async function runChanges(flags: RangeFlags & { node: string }): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const when = range(flags);
  const changes = await withStore(loaded, (store) => store.changes({ node: flags.node, ...when }));
  process.stdout.write(flags.json ? `${JSON.stringify(changes, null, 2)}\n` : escapeControlLines(`${renderChanges(changes)}\n`));
  return EXIT.ok;
}

export async function runVerify(flags: { config: string; cluster?: string; json?: boolean }): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const cluster = flags.cluster;
  const verdict = await withStore(loaded, (store) => store.verifyChain(cluster === undefined ? {} : { cluster }));
  if (cluster !== undefined && verdict.runs === 0) {
    throw new CliError(`--cluster ${cluster}: the store holds no run of this cluster; nothing to verify`, EXIT.undecided);
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(verdict)}\n`);
  else
    process.stdout.write(
      escapeControlLines(renderVerdict(verdict, cluster === undefined ? 'evidence chain' : `evidence chain of cluster ${cluster}`)),
    );
  return verdict.ok ? EXIT.ok : EXIT.notReady;
}

/** One line when intact; when broken, one line per broken cluster naming its first broken run. */
function renderVerdict(verdict: ChainVerdict, what: string, checked = ', run hashes checked'): string {
  if (verdict.ok) return `${what} intact: ${verdict.runs} runs verified (${verdict.thinnedRuns} thinned by retention${checked})\n`;
  const lines = verdict.broken.map((b) => `${what} BROKEN for cluster ${b.cluster} at run ${b.runId}: ${b.reason}\n`);
  return `${lines.join('')}(${verdict.runs} runs checked; ${verdict.broken.length} cluster${verdict.broken.length === 1 ? '' : 's'} broken, any other verifies)\n`;
}

export async function runPrune(flags: { config: string; days?: number; vacuum?: boolean }): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const days = flags.days ?? loaded.config.retention.keepUnchangedDays;
  if (!Number.isInteger(days) || days < 1) throw new CliError('--days takes a whole number of days, 1 or more', EXIT.undecided);
  await withStore(
    loaded,
    async (store) => {
      const result = await store.prune({ keepUnchangedDays: days, now: new Date().toISOString() });
      process.stdout.write(
        `pruned ${result.deletedSnapshots} unchanged snapshots and ${result.deletedBlobs} blobs older than ${result.horizon} (${result.thinnedRuns} runs thinned)\n`,
      );
      if (flags.vacuum && store.backend === 'postgres') {
        process.stdout.write('vacuum: not applicable on PostgreSQL (its autovacuum reuses the freed space)\n');
      } else if (flags.vacuum) {
        const { bytesBefore, bytesAfter } = await store.vacuum();
        process.stdout.write(`vacuum: ${bytesBefore} -> ${bytesAfter} bytes\n`);
      }
    },
    false,
  );
  return EXIT.ok;
}

/** `history copy --from <sqlite file>`: the whole history into the config's (empty) database. */
export async function runCopy(flags: { config: string; from: string }): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  if (!existsSync(flags.from)) throw new CliError(`--from ${flags.from}: no such SQLite file`, EXIT.undecided);
  let source: Store | undefined;
  let target: Store | undefined;
  try {
    source = await Store.open(flags.from, { readonly: true });
    target = await openStoreOf(loaded);
    const result = await source.copyTo(target);
    const total = Object.values(result.rows).reduce((a, b) => a + b, 0);
    process.stdout.write(`copied ${result.rows['runs'] ?? 0} runs (${total} rows) from ${source.path} to ${target.path}\n`);
    const verdict = result.verdict;
    process.stdout.write(escapeControlLines(renderVerdict(verdict, 'evidence chain of the copy', '')));
    return verdict.ok ? EXIT.ok : EXIT.notReady;
  } catch (err) {
    if (err instanceof StoreError || err instanceof DatabaseConfigError) throw new CliError(err.message, EXIT.undecided);
    throw err;
  } finally {
    await source?.close();
    await target?.close();
  }
}
