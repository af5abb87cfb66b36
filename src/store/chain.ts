/**
 * The evidence chain. Each run row carries
 *   snapshots_hash = sha256(canonical(sorted snapshot content hashes))
 *   findings_hash  = sha256(canonical(findings sorted by id))
 *   report_hash    = sha256(canonical(readiness verdict and per-node scores))
 *   hash           = sha256(canonical{id, cluster, started_at, finished_at, node_count,
 *                    error_count, meta, prev_hash, snapshots_hash, findings_hash, report_hash})
 * and prev_hash = the previous run's hash (one chain for the whole file, in id order).
 *
 * verifyChain recomputes all of it from the stored rows, down to the sha256 of every
 * inflated blob, and names the first run whose link does not hold. Deleting the newest
 * run cannot be detected from inside the file (nothing points forward); exporting the
 * latest hash elsewhere (metrics, logs) closes that gap.
 */
import { canonicalJson, sha256Hex } from '../core/snapshot.js';
import type { Db } from './db.js';
import { planEpisodes, type EpisodeRow } from './findings.js';
import { verifiedBlobText, type BlobRow } from './blobs.js';
import { contentHashFromFacetHashes, effectiveSnapshotRows, facetRowsOf, parseThinned } from './snapshots.js';
import type { Finding } from '../core/findings.js';

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

export interface NodeScoreRow {
  node: string;
  reachable: number;
  ready: number;
  score: number;
  detail: string;
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

export type ChainVerdict =
  | { ok: true; runs: number; thinnedRuns: number }
  | { ok: false; brokenAt: number; reason: string; runs: number; thinnedRuns: number };

interface RunRow extends RunHashInput, ReportRunFields {
  hash: string;
  thinned_nodes: string | null;
}

class Broken extends Error {
  constructor(
    readonly runId: number,
    reason: string,
  ) {
    super(reason);
  }
}

export function verifyChain(db: Db): ChainVerdict {
  const runs = db.prepare('SELECT * FROM runs ORDER BY id').all() as RunRow[];
  const facetBlobs = new BlobCache(db, 'facet_blobs');
  const findingBlobs = new BlobCache(db, 'finding_blobs');
  let prevHash: string | null = null;
  let thinnedRuns = 0;
  const findingsByRun = new Map<number, Finding[]>();
  try {
    for (const run of runs) {
      const fail = (reason: string): never => {
        throw new Broken(run.id, `run ${run.id} (${run.cluster}, ${run.started_at}): ${reason}`);
      };
      if (run.prev_hash !== prevHash) fail('prev_hash does not match the previous run (a run was removed or edited)');
      if (parseThinned(run.thinned_nodes).length > 0) thinnedRuns += 1;
      verifySnapshots(db, run, facetBlobs, fail);
      findingsByRun.set(run.id, verifyFindings(db, run, findingBlobs, fail));
      const nodes = db
        .prepare('SELECT node, reachable, ready, score, detail FROM node_scores WHERE run_id = ?')
        .all(run.id) as NodeScoreRow[];
      if (reportHash(run, nodes) !== run.report_hash) fail('readiness or node scores differ from report_hash');
      if (runHash(run) !== run.hash) fail('run row fields (times, counts, meta or hashes) differ from its hash');
      prevHash = run.hash;
    }
    verifyEpisodes(db, runs, findingsByRun);
  } catch (error) {
    if (error instanceof Broken) {
      return { ok: false, brokenAt: error.runId, reason: error.message, runs: runs.length, thinnedRuns };
    }
    throw error;
  }
  return { ok: true, runs: runs.length, thinnedRuns };
}

class BlobCache {
  private readonly verdicts = new Map<number, string | undefined>();
  constructor(
    private readonly db: Db,
    private readonly table: 'facet_blobs' | 'finding_blobs',
  ) {}
  /** The blob's text if present and intact; undefined if missing or tampered. */
  text(id: number): string | undefined {
    if (this.verdicts.has(id)) return this.verdicts.get(id);
    const row = this.db.prepare(`SELECT id, hash, data FROM ${this.table} WHERE id = ?`).get(id) as
      | BlobRow
      | undefined;
    const text = row ? verifiedBlobText(row) : undefined;
    this.verdicts.set(id, text);
    return text;
  }
  hash(id: number): string | undefined {
    const row = this.db.prepare(`SELECT hash FROM ${this.table} WHERE id = ?`).get(id) as
      | { hash: string }
      | undefined;
    return row?.hash;
  }
}

function verifySnapshots(db: Db, run: RunRow, blobs: BlobCache, fail: (reason: string) => never): void {
  const thinned = parseThinned(run.thinned_nodes);
  const rows = effectiveSnapshotRows(db, run);
  const contentHashes: string[] = [];
  let errors = 0;
  for (const row of rows) {
    if (row.cluster !== run.cluster) fail(`snapshot of ${row.node} belongs to cluster ${row.cluster}`);
    const facetHashes: Record<string, string> = {};
    for (const facet of facetRowsOf(db, row.id)) {
      const text = blobs.text(facet.blob_id);
      if (text === undefined) fail(`facet ${facet.facet} of node ${row.node}: blob ${facet.blob_id} is missing or its content no longer matches its hash`);
      const stored = JSON.parse(text as string) as { status?: unknown };
      if (stored.status !== facet.status) fail(`facet ${facet.facet} of node ${row.node}: status column disagrees with the stored facet`);
      facetHashes[facet.facet] = blobs.hash(facet.blob_id) as string;
    }
    const recomputed = contentHashFromFacetHashes(row.cluster, row.node, row.error, facetHashes);
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

function verifyFindings(db: Db, run: RunRow, blobs: BlobCache, fail: (reason: string) => never): Finding[] {
  const rows = db.prepare('SELECT finding_id, blob_id FROM run_findings WHERE run_id = ?').all(run.id) as {
    finding_id: string;
    blob_id: number;
  }[];
  const texts: { id: string; text: string }[] = [];
  const findings: Finding[] = [];
  for (const row of rows) {
    const text = blobs.text(row.blob_id);
    if (text === undefined) fail(`finding ${row.finding_id}: blob is missing or its content no longer matches its hash`);
    const finding = JSON.parse(text as string) as Finding;
    if (finding.id !== row.finding_id) fail(`finding ${row.finding_id}: stored finding has id ${finding.id}`);
    texts.push({ id: row.finding_id, text: text as string });
    findings.push(finding);
  }
  if (findingsHash(texts) !== run.findings_hash) fail('findings differ from findings_hash');
  findings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return findings;
}

/**
 * Episodes are derived data: replaying planEpisodes over each run's (verified)
 * findings must give the table exactly. A mismatch is reported at the run that
 * wrote the disagreeing field.
 */
function verifyEpisodes(db: Db, runs: readonly RunRow[], findingsByRun: Map<number, Finding[]>): void {
  type Expected = Omit<EpisodeRow, 'id'>;
  const expected: Expected[] = [];
  const openByCluster = new Map<string, Map<string, number>>();
  for (const run of runs) {
    const open = openByCluster.get(run.cluster) ?? new Map<string, number>();
    openByCluster.set(run.cluster, open);
    const openRows = [...open.entries()].map(([findingId, index]) => ({
      id: index,
      finding_id: findingId,
      values_last: (expected[index] as Expected).values_last,
    }));
    const plan = planEpisodes(openRows, findingsByRun.get(run.id) ?? []);
    for (const f of plan.open) {
      const values = canonicalJson(f.values);
      open.set(f.id, expected.length);
      expected.push({
        finding_id: f.id, cluster: run.cluster, facet: f.facet, key: f.key, kind: f.kind,
        severity: f.severity, rule: f.rule, message: f.message, first_seen: run.started_at,
        last_seen: run.started_at, resolved_at: null, first_run_id: run.id, last_run_id: run.id,
        resolved_run_id: null, values_open: values, values_last: values, values_close: null,
        waived: f.waived ? 1 : 0, waiver: f.waiver ? canonicalJson(f.waiver) : null,
      });
    }
    for (const { episodeId, finding: f } of plan.continue) {
      Object.assign(expected[episodeId] as Expected, {
        last_seen: run.started_at, last_run_id: run.id, values_last: canonicalJson(f.values),
        severity: f.severity, rule: f.rule, message: f.message, waived: f.waived ? 1 : 0,
        waiver: f.waiver ? canonicalJson(f.waiver) : null,
      });
    }
    for (const { episodeId, valuesLast } of plan.resolve) {
      const episode = expected[episodeId] as Expected;
      Object.assign(episode, { resolved_at: run.started_at, resolved_run_id: run.id, values_close: valuesLast });
      open.delete(episode.finding_id);
    }
  }
  const actual = db.prepare('SELECT * FROM finding_episodes ORDER BY id').all() as EpisodeRow[];
  const firstFields: (keyof Expected)[] = ['finding_id', 'cluster', 'facet', 'key', 'kind', 'first_seen', 'first_run_id', 'values_open'];
  const closeFields: (keyof Expected)[] = ['resolved_at', 'resolved_run_id', 'values_close'];
  for (let i = 0; i < Math.max(actual.length, expected.length); i += 1) {
    const want = expected[i];
    const have = actual[i];
    if (!want || !have) {
      const runId = want?.first_run_id ?? have?.first_run_id ?? 0;
      throw new Broken(runId, `finding episodes: ${actual.length} stored, ${expected.length} follow from the runs' findings`);
    }
    for (const field of Object.keys(want) as (keyof Expected)[]) {
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
