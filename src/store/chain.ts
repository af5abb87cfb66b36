/**
 * The evidence chain, one per cluster. Each run row carries
 *   snapshots_hash = sha256(canonical(sorted snapshot content hashes))
 *   findings_hash  = sha256(canonical(findings sorted by id))
 *   report_hash    = sha256(canonical(readiness verdict and per-node scores))
 *   hash           = sha256(canonical{id, cluster, started_at, finished_at, node_count,
 *                    error_count, meta, prev_hash, snapshots_hash, findings_hash, report_hash})
 * and prev_hash = the hash of the previous run OF THE SAME CLUSTER in id order (null for a
 * cluster's first run), whichever instance stored either: saveRun reads and writes the link
 * under the cluster's lock (runs.ts), so runs of different clusters need not serialise.
 *
 * Up to schema 4 the database held ONE chain: prev_hash = the previous run's hash in id
 * order, any cluster. Migration 5 recorded in store_settings the first id linked per
 * cluster (chain_per_cluster_from; 1 for a database created since). verifyChain checks
 * runs below it by the global rule and runs from it on by the per-cluster rule, so a
 * cluster's first per-cluster run links to that cluster's last run before the switch
 * (or null if it had none). A link broken before the switch shows at the next run in id
 * order, which may be of another cluster than the run removed or edited (the message says so).
 *
 * verifyChain recomputes all of it from the stored rows, down to the sha256 of every
 * inflated blob (facets, findings, score details) and every manifest's content hash, and
 * the episode table from the runs' findings, and names the first broken run of each
 * cluster; a broken cluster does not stop the walk of the others. `cluster` restricts it
 * to one cluster (before the switch its links are followed through the other clusters'
 * stored hashes, which are not themselves recomputed). Deleting a cluster's newest run
 * cannot be detected from inside the database (nothing points forward); exporting the
 * latest hashes elsewhere (metrics, logs) closes that gap.
 */
import { canonicalJson, sha256Hex, type FacetName } from '../core/snapshot.js';
import type { Db, NodeScoreRow } from './types.js';
import { z } from 'zod';
import type { Finding } from '../core/findings.js';
import { readBlob, verifiedBlobText, type BlobTable } from './blobs.js';
import { changesAgainstHistory } from './changes.js';
import { StoreError } from './errors.js';
import { continuedFields, EpisodeRow, planEpisodes, StoredFinding } from './findings.js';
import { Int, readJson, readRow, readRows } from './rows.js';
import { joinDetail, storedScoreRows } from './scores.js';
import {
  assembleSnapshot,
  contentHashFromFacetHashes,
  effectiveSnapshotRows,
  FacetSnapshotRecord,
  fitsFacetSnapshot,
  manifestFacetRows,
  parseThinned,
  previousSnapshotRow,
  snapshotRowsOfRun,
  type SnapshotRow,
} from './snapshots.js';
import { msToIso } from './time.js';

export interface RunHashInput {
  id: number;
  cluster: string;
  started_at: string;
  finished_at: string;
  node_count: number;
  error_count: number;
  meta: string | null;
  prev_hash: string | null;
  snapshots_hash: string;
  findings_hash: string;
  report_hash: string;
}

/** A row of runs as SQLite returns it: what the chain hashes and links. */
export const RunRow = z.object({
  id: Int,
  cluster: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  node_count: Int,
  error_count: Int,
  checked_at: z.string(),
  ready: Int,
  score: z.number(),
  baseline: z.string().nullable(),
  summary: z.string(),
  meta: z.string().nullable(),
  prev_hash: z.string().nullable(),
  snapshots_hash: z.string(),
  findings_hash: z.string(),
  report_hash: z.string(),
  hash: z.string(),
  thinned_nodes: z.string().nullable(),
});
export type RunRow = z.infer<typeof RunRow>;

export function runHash(run: RunHashInput): string {
  return sha256Hex(
    canonicalJson({
      id: run.id,
      cluster: run.cluster,
      started_at: run.started_at,
      finished_at: run.finished_at,
      node_count: run.node_count,
      error_count: run.error_count,
      meta: run.meta,
      prev_hash: run.prev_hash,
      snapshots_hash: run.snapshots_hash,
      findings_hash: run.findings_hash,
      report_hash: run.report_hash,
    }),
  );
}

export function snapshotsHash(contentHashes: readonly string[]): string {
  return sha256Hex(canonicalJson([...contentHashes].sort()));
}

/** `findings` are canonical finding texts; order by id is applied here. */
export function findingsHash(findings: readonly { id: string; text: string }[]): string {
  const sorted = [...findings].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sha256Hex(`[${sorted.map((f) => f.text).join(',')}]`);
}

export interface ReportRunFields {
  checked_at: string;
  ready: number;
  score: number;
  baseline: string | null;
  summary: string;
}

export function reportHash(run: ReportRunFields, nodes: readonly NodeScoreRow[]): string {
  const sorted = [...nodes].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return sha256Hex(
    canonicalJson({
      checked_at: run.checked_at,
      ready: run.ready,
      score: run.score,
      baseline: run.baseline,
      summary: run.summary,
      nodes: sorted.map((n) => [n.node, n.reachable, n.ready, n.score, n.detail]),
    }),
  );
}

/** The first run where one cluster's chain does not hold. */
export interface ChainBreak {
  cluster: string;
  runId: number;
  reason: string;
}

/**
 * `runs` and `thinnedRuns` count the runs checked (every cluster's, or the one asked for;
 * a broken cluster's runs after its first break are not walked). When broken: `broken`
 * names the first broken run of each broken cluster (sorted by cluster name); `brokenAt`
 * and `reason` are the lowest-numbered of them.
 */
export type ChainVerdict =
  | { ok: true; runs: number; thinnedRuns: number }
  | { ok: false; brokenAt: number; reason: string; runs: number; thinnedRuns: number; broken: ChainBreak[] };

export interface VerifyOptions {
  /** Verify this cluster's runs only. */
  cluster?: string;
}

class Broken extends Error {
  constructor(
    readonly runId: number,
    reason: string,
  ) {
    super(reason);
  }
}

type Fail = (reason: string) => never;

/**
 * The columns that link runs: enough to follow every chain without reading whole rows.
 * Lenient on purpose: a run whose cluster or hash is not text fails its own RunRow read
 * inside the walk, where it is reported as that run's break instead of stopping the walk.
 */
const LinkRow = z.object({
  id: Int,
  cluster: z.unknown().transform((v) => (typeof v === 'string' ? v : String(v))),
  hash: z.string().catch(''),
});
const SettingRow = z.object({ value: Int });

/**
 * The first run id linked per cluster (store_settings, written by migration 5): runs
 * before it were linked by the global rule.
 */
export async function perClusterFrom(db: Db): Promise<number> {
  const row = await db.get("SELECT value FROM store_settings WHERE name = 'chain_per_cluster_from'");
  if (row === undefined) throw new StoreError('corrupt', 'store_settings has no chain_per_cluster_from row (written by migration 5)');
  return readRow(SettingRow, row, 'store_settings').value;
}

/**
 * The walk reads one snapshot: the daemon (and, on PostgreSQL, other instances) keep
 * storing runs meanwhile, and a run committed half way through (its episode updates, a
 * new run's rows) must not look like tampering. PostgreSQL: a REPEATABLE READ READ ONLY
 * transaction; SQLite: a read transaction on a second, read-only connection, so the
 * daemon's own writes go on during the walk (sqlite-driver.ts).
 */
export async function verifyChain(db: Db, options: VerifyOptions = {}): Promise<ChainVerdict> {
  return db.transaction((tx) => walkChains(tx, options), { snapshot: true });
}

async function walkChains(db: Db, options: VerifyOptions): Promise<ChainVerdict> {
  const links = readRows(LinkRow, await db.all('SELECT id, cluster, hash FROM runs ORDER BY id'), 'runs');
  const from = await perClusterFrom(db);
  const wanted = (cluster: string) => options.cluster === undefined || options.cluster === cluster;
  const blobs = new BlobVerdicts(db);
  const episodes = new EpisodeReplay();
  const broken = new Map<string, ChainBreak>();
  /** The previous run's hash in id order (the global rule, before `from`). */
  let globalPrev: string | null = null;
  /** Each cluster's last run's hash so far (the per-cluster rule, from `from` on). */
  const clusterPrev = new Map<string, string>();
  let runs = 0;
  let thinnedRuns = 0;
  for (const link of links) {
    if (wanted(link.cluster) && !broken.has(link.cluster)) {
      runs += 1;
      const expectedPrev = link.id < from ? globalPrev : (clusterPrev.get(link.cluster) ?? null);
      try {
        const run = readRow(RunRow, await db.get('SELECT * FROM runs WHERE id = ?', [link.id]), 'runs');
        const fail: Fail = (reason) => {
          throw new Broken(run.id, `run ${run.id} (${run.cluster}, ${run.started_at}): ${reason}`);
        };
        if (run.prev_hash !== expectedPrev) {
          fail(
            link.id < from
              ? 'prev_hash does not match the previous run of the database (linked before per-cluster chains: the run removed or edited may be of any cluster)'
              : `prev_hash does not match the previous run of cluster ${run.cluster} (a run was removed or edited)`,
          );
        }
        if (parseThinned(run.thinned_nodes, run.id).length > 0) thinnedRuns += 1;
        await verifySnapshots(db, run, blobs, fail);
        const findings = await verifyFindings(db, run, blobs, fail);
        await verifyScores(db, run, blobs, fail);
        if (runHash(run) !== run.hash) fail('run row fields (times, counts, meta or hashes) differ from its hash');
        await verifyChanges(db, run, fail);
        episodes.apply(run, findings);
      } catch (error) {
        if (error instanceof Broken) {
          broken.set(link.cluster, { cluster: link.cluster, runId: error.runId, reason: error.message });
        } else if (error instanceof StoreError && error.code === 'corrupt') {
          // A row that does not fit its schema breaks the chain where the walk met it.
          broken.set(link.cluster, { cluster: link.cluster, runId: link.id, reason: `run ${link.id}: ${error.message}` });
        } else {
          throw error;
        }
      }
    }
    globalPrev = link.hash;
    clusterPrev.set(link.cluster, link.hash);
  }
  try {
    for (const b of await episodes.compare(db, (cluster) => wanted(cluster) && !broken.has(cluster))) broken.set(b.cluster, b);
  } catch (error) {
    // An episode row that does not fit its schema: reported at the end of the walk, as the run it met last.
    const last = links.filter((l) => wanted(l.cluster)).at(-1);
    if (!(error instanceof StoreError && error.code === 'corrupt') || last === undefined) throw error;
    broken.set(last.cluster, { cluster: last.cluster, runId: last.id, reason: `run ${last.id}: ${error.message}` });
  }
  if (broken.size === 0) return { ok: true, runs, thinnedRuns };
  const all = [...broken.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const first = [...all].sort((a, b) => a.runId - b.runId)[0] ?? all[0];
  return { ok: false, brokenAt: first?.runId ?? 0, reason: first?.reason ?? '', runs, thinnedRuns, broken: all };
}

/**
 * Each blob is inflated and hashed once per verification, however many runs share it;
 * each manifest's content hash is recomputed once, however many snapshots point at it.
 */
class BlobVerdicts {
  private readonly facets = new Map<number, { hash: string; status: unknown } | undefined>();
  private readonly findings = new Map<number, { text: string; finding: Finding } | undefined>();
  private readonly scores = new Map<number, string | undefined>();
  /** Manifest id -> content hash recomputed from its verified facet blobs. */
  readonly manifests = new Map<number, string>();
  constructor(private readonly db: Db) {}

  async facet(id: number): Promise<{ hash: string; status: unknown } | undefined> {
    if (!this.facets.has(id)) {
      const text = await this.text('facet_blobs', id);
      const row =
        text === undefined
          ? undefined
          : {
              hash: sha256Hex(text),
              status: readJson(FacetSnapshotRecord, text, `facet_blobs row id=${id} data`, fitsFacetSnapshot).status,
            };
      this.facets.set(id, row);
    }
    return this.facets.get(id);
  }

  async finding(id: number): Promise<{ text: string; finding: Finding } | undefined> {
    if (!this.findings.has(id)) {
      const text = await this.text('finding_blobs', id);
      this.findings.set(
        id,
        text === undefined ? undefined : { text, finding: readJson(StoredFinding, text, `finding_blobs row id=${id} data`) },
      );
    }
    return this.findings.get(id);
  }

  async score(id: number): Promise<string | undefined> {
    if (!this.scores.has(id)) this.scores.set(id, await this.text('score_blobs', id));
    return this.scores.get(id);
  }

  private async text(table: BlobTable, id: number): Promise<string | undefined> {
    const row = await readBlob(this.db, table, id);
    return row ? verifiedBlobText(row) : undefined;
  }
}

async function verifySnapshots(db: Db, run: RunRow, blobs: BlobVerdicts, fail: Fail): Promise<void> {
  const thinned = parseThinned(run.thinned_nodes, run.id);
  const rows = await effectiveSnapshotRows(db, run);
  const contentHashes: string[] = [];
  let errors = 0;
  for (const row of rows) {
    if (row.cluster !== run.cluster) fail(`snapshot of ${row.node} belongs to cluster ${row.cluster}`);
    if (row.manifest_node_id !== row.node_id) fail(`snapshot of node ${row.node} points at another node's manifest`);
    let recomputed = blobs.manifests.get(row.manifest_id);
    if (recomputed === undefined) {
      const facetHashes: Partial<Record<FacetName, string>> = {};
      for (const facet of await manifestFacetRows(db, row.manifest_id)) {
        const blob = await blobs.facet(facet.blob_id);
        if (!blob) {
          fail(`facet ${facet.facet} of node ${row.node}: blob ${facet.blob_id} is missing or its content no longer matches its hash`);
        }
        if (blob.status !== facet.status) fail(`facet ${facet.facet} of node ${row.node}: status column disagrees with the stored facet`);
        facetHashes[facet.facet as FacetName] = blob.hash;
      }
      recomputed = contentHashFromFacetHashes(row.cluster, row.node, row.error, facetHashes);
      blobs.manifests.set(row.manifest_id, recomputed);
    }
    if (recomputed !== row.content_hash) fail(`snapshot of node ${row.node}: content differs from its content_hash`);
    contentHashes.push(recomputed);
    if (row.error !== null) errors += 1;
  }
  if (rows.length !== run.node_count) {
    fail(`holds ${rows.length} node snapshots (${thinned.length} thinned), run row says ${run.node_count}`);
  }
  if (errors !== run.error_count) fail(`holds ${errors} unreachable snapshots, run row says ${run.error_count}`);
  if (snapshotsHash(contentHashes) !== run.snapshots_hash) fail('snapshots differ from snapshots_hash');
}

/** report_hash over the node scores, each detail rebuilt from its verified blob and time. */
async function verifyScores(db: Db, run: RunRow, blobs: BlobVerdicts, fail: Fail): Promise<void> {
  const nodes: NodeScoreRow[] = [];
  for (const row of await storedScoreRows(db, run.id)) {
    const text = await blobs.score(row.detail_id);
    if (text === undefined) {
      fail(`score of node ${row.node}: detail blob ${row.detail_id} is missing or its content no longer matches its hash`);
    }
    nodes.push({ node: row.node, reachable: row.reachable, ready: row.ready, score: row.score, detail: joinDetail(text, row.snapshot_at) });
  }
  if (reportHash(run, nodes) !== run.report_hash) fail('readiness or node scores differ from report_hash');
}

async function verifyFindings(db: Db, run: RunRow, blobs: BlobVerdicts, fail: Fail): Promise<Finding[]> {
  const rows = readRows(
    RunFindingRow,
    await db.all('SELECT run_id, finding_id, blob_id FROM run_findings WHERE run_id = ?', [run.id]),
    'run_findings',
  );
  const texts: { id: string; text: string }[] = [];
  const findings: Finding[] = [];
  for (const row of rows) {
    const blob = await blobs.finding(row.blob_id);
    if (!blob) fail(`finding ${row.finding_id}: blob is missing or its content no longer matches its hash`);
    if (blob.finding.id !== row.finding_id) fail(`finding ${row.finding_id}: stored finding has id ${blob.finding.id}`);
    texts.push({ id: row.finding_id, text: blob.text });
    findings.push(blob.finding);
  }
  if (findingsHash(texts) !== run.findings_hash) fail('findings differ from findings_hash');
  return findings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A node_changes row as the chain compares it (the run is the one being verified). */
const ChangeRow = z.object({
  node: z.string(),
  at: z.string(),
  facet: z.string(),
  key: z.string(),
  change: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
});
type ChangeRow = z.infer<typeof ChangeRow>;

/** A run_findings row: which finding blob a run recorded under which id. */
const RunFindingRow = z.object({ run_id: Int, finding_id: z.string(), blob_id: Int });

/**
 * The change log is derived data too: re-diffing each snapshot against the history
 * before it must give the stored rows. A snapshot whose content equals the node's
 * previous one has no changes by construction and is not inflated, so this costs in
 * proportion to what changed. Thinned snapshots equal their predecessor: no rows.
 */
async function verifyChanges(db: Db, run: RunRow, fail: Fail): Promise<void> {
  const stored = readRows(
    ChangeRow,
    await db.all('SELECT node, at, facet, key, change, before, after FROM node_changes WHERE run_id = ? ORDER BY id', [run.id]),
    `node_changes of run ${run.id}`,
  );
  const own: SnapshotRow[] = await snapshotRowsOfRun(db, run.id);
  const expected: ChangeRow[] = [];
  for (const row of own) {
    const prev = await previousSnapshotRow(db, row.node_id, run.id);
    const hasStored = stored.some((c) => c.node === row.node);
    if ((!prev || prev.content_hash === row.content_hash) && !hasStored) continue;
    const hashes: Partial<Record<FacetName, string>> = {};
    for (const f of await manifestFacetRows(db, row.manifest_id)) if (f.hash !== null) hashes[f.facet as FacetName] = f.hash;
    const at = msToIso(row.taken_at);
    for (const c of await changesAgainstHistory(db, run.id, await assembleSnapshot(db, row), hashes, row.content_hash, prev)) {
      expected.push({ node: row.node, at, facet: c.facet, key: c.key, change: c.change, before: c.before, after: c.after });
    }
  }
  const render = (rows: ChangeRow[]) => rows.map((r) => canonicalJson(r)).sort();
  const want = render(expected);
  const have = render(stored);
  if (want.length !== have.length || want.some((w, i) => w !== have[i])) {
    const differing = have.find((h) => !want.includes(h)) ?? want.find((w) => !have.includes(w));
    fail(`change log differs from what its snapshots give (${have.length} stored, ${want.length} expected; first difference ${differing})`);
  }
}

/**
 * Episodes are derived data: replaying planEpisodes over each run's (verified)
 * findings must give the table exactly. A mismatch is reported at the run that
 * wrote the disagreeing field.
 */
class EpisodeReplay {
  private readonly expected: Omit<EpisodeRow, 'id'>[] = [];
  private readonly openByCluster = new Map<string, Map<string, number>>();

  apply(run: RunRow, findings: readonly Finding[]): void {
    const open = this.openByCluster.get(run.cluster) ?? new Map<string, number>();
    this.openByCluster.set(run.cluster, open);
    const openRows = [...open.entries()].map(([findingId, index]) => ({
      id: index,
      finding_id: findingId,
      values_last: this.at(index).values_last,
    }));
    const plan = planEpisodes(openRows, findings);
    for (const f of plan.open) {
      const values = canonicalJson(f.values);
      open.set(f.id, this.expected.length);
      this.expected.push({
        finding_id: f.id,
        cluster: run.cluster,
        facet: f.facet,
        key: f.key,
        kind: f.kind,
        severity: f.severity,
        rule: f.rule,
        message: f.message,
        first_seen: run.started_at,
        last_seen: run.started_at,
        resolved_at: null,
        first_run_id: run.id,
        last_run_id: run.id,
        resolved_run_id: null,
        values_open: values,
        values_last: values,
        values_close: null,
        waived: f.waived ? 1 : 0,
        waiver: f.waiver ? canonicalJson(f.waiver) : null,
      });
    }
    for (const { episodeId, finding: f } of plan.continue) {
      Object.assign(this.at(episodeId), { last_seen: run.started_at, last_run_id: run.id, ...continuedFields(f) });
    }
    for (const { episodeId, valuesLast } of plan.resolve) {
      const episode = this.at(episodeId);
      Object.assign(episode, { resolved_at: run.started_at, resolved_run_id: run.id, values_close: valuesLast });
      open.delete(episode.finding_id);
    }
  }

  /**
   * Compares the table with the replay cluster by cluster, in id order within each (the
   * runs of one cluster are stored one after the other, so are their episodes); returns
   * the first disagreement of each cluster that `check` selects.
   */
  async compare(db: Db, check: (cluster: string) => boolean): Promise<ChainBreak[]> {
    const actual = readRows(EpisodeRow, await db.all('SELECT * FROM finding_episodes ORDER BY id'), 'finding_episodes');
    const clusters = new Set([...actual.map((e) => e.cluster), ...this.expected.map((e) => e.cluster)]);
    const breaks: ChainBreak[] = [];
    for (const cluster of clusters) {
      if (!check(cluster)) continue;
      try {
        this.compareCluster(
          actual.filter((e) => e.cluster === cluster),
          this.expected.filter((e) => e.cluster === cluster),
        );
      } catch (error) {
        if (!(error instanceof Broken)) throw error;
        breaks.push({ cluster, runId: error.runId, reason: error.message });
      }
    }
    return breaks;
  }

  private compareCluster(actual: readonly EpisodeRow[], expected: readonly Omit<EpisodeRow, 'id'>[]): void {
    const firstFields = ['finding_id', 'cluster', 'facet', 'key', 'kind', 'first_seen', 'first_run_id', 'values_open'];
    const closeFields = ['resolved_at', 'resolved_run_id', 'values_close'];
    for (let i = 0; i < Math.max(actual.length, expected.length); i += 1) {
      const want = expected[i];
      const have = actual[i];
      if (!want || !have) {
        const runId = want?.first_run_id ?? have?.first_run_id ?? 0;
        throw new Broken(runId, `finding episodes: ${actual.length} stored, ${expected.length} follow from the runs' findings`);
      }
      for (const field of Object.keys(want) as (keyof typeof want)[]) {
        if (want[field] === have[field]) continue;
        const runId = firstFields.includes(field)
          ? want.first_run_id
          : closeFields.includes(field)
            ? (want.resolved_run_id ?? have.resolved_run_id ?? want.last_run_id)
            : want.last_run_id;
        throw new Broken(runId, `finding episode ${have.id} (${want.finding_id}): ${field} differs from what the runs' findings give`);
      }
    }
  }

  private at(index: number): Omit<EpisodeRow, 'id'> {
    const episode = this.expected[index];
    if (!episode) throw new Error(`episode replay lost index ${index}`);
    return episode;
  }
}
