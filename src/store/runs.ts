/**
 * Runs: one collection + check of one cluster, saved in ONE transaction together with
 * its snapshots, findings, scores, episode updates, change log and chain hashes. A
 * crash half way leaves the previous state intact.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CheckReportSchema, NodeReportSchema, type CheckReport } from '../core/check-report.js';
import type { Change } from '../core/changes.js';
import type { Finding } from '../core/findings.js';
import { canonicalJson, type NodeSnapshot } from '../core/snapshot.js';
import { decompress as inflate } from './blobs.js';
import { changesAgainstHistory, insertChanges } from './changes.js';
import { findingsHash, reportHash, runHash, RunRow, snapshotsHash, type ReportRunFields } from './chain.js';
import { HISTORY_LOCK, type Db, type NodeScoreRow } from './types.js';
import { chunks, whereClause } from './statements.js';
import { StoreError } from './errors.js';
import { applyEpisodes, insertRunFindings, StoredFinding } from './findings.js';
import { internNodes } from './nodes.js';
import { insertNodeScores, nodeScoreRowsOfRun } from './scores.js';
import { remember, rememberedContentHash, snapshotFingerprint } from './fingerprints.js';
import {
  hashSnapshot,
  insertSnapshotRows,
  parseThinned,
  previousSnapshotRows,
  putManifests,
  type HashedSnapshot,
  type SnapshotRow,
} from './snapshots.js';
import { optionalIsoUtc, toIsoUtc } from './time.js';
import { Bytes, Int, readJson, readOptionalRow, readRows } from './rows.js';

/** Nodes hashed and written per batch of a run (a few round trips each on PostgreSQL). */
const NODES_PER_BATCH = 32;

export interface SaveRunInput {
  cluster: string;
  startedAt: string;
  finishedAt: string;
  snapshots: readonly NodeSnapshot[];
  report: CheckReport;
  /** Free-form extra records (windows, evidence) kept on the run and covered by its hash. */
  meta?: Record<string, unknown>;
}

export interface RunRecord {
  id: number;
  cluster: string;
  startedAt: string;
  finishedAt: string;
  nodeCount: number;
  errorCount: number;
  ready: boolean;
  score: number;
  checkedAt: string;
  baseline: string | null;
  meta: Record<string, unknown> | null;
  prevHash: string | null;
  snapshotsHash: string;
  findingsHash: string;
  reportHash: string;
  hash: string;
  /** Nodes whose snapshot prune() removed from this run (content equal to the previous kept one). */
  thinnedNodes: string[];
}

/** The cluster's last run's id and hash, where its next run links on. */
const LastRunRow = z.object({ hash: z.string() });
/** A node's score of a run, for the readiness history. */
const NodeScorePoint = z.object({ node: z.string(), score: z.number() });
const RunFindingBlobRow = z.object({ id: Int, finding_id: z.string(), data: Bytes });
const RunMeta = z.record(z.string(), z.unknown());
const ScoreDetail = NodeReportSchema.pick({ snapshotAt: true, facets: true, error: true, contributions: true });
const RunSummary = CheckReportSchema.shape.summary;

export function toRunRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    cluster: row.cluster,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    nodeCount: row.node_count,
    errorCount: row.error_count,
    ready: row.ready === 1,
    score: row.score,
    checkedAt: row.checked_at,
    baseline: row.baseline,
    meta: row.meta === null ? null : readJson(RunMeta, row.meta, `runs row id=${row.id} column meta`),
    prevHash: row.prev_hash,
    snapshotsHash: row.snapshots_hash,
    findingsHash: row.findings_hash,
    reportHash: row.report_hash,
    hash: row.hash,
    thinnedNodes: parseThinned(row.thinned_nodes, row.id),
  };
}

function validate(input: SaveRunInput): void {
  const nodes = new Set<string>();
  for (const s of input.snapshots) {
    if (s.cluster !== input.cluster) {
      throw new StoreError('invalid-input', `snapshot of ${s.node} is for cluster ${s.cluster}, run is for ${input.cluster}`);
    }
    if (nodes.has(s.node)) throw new StoreError('invalid-input', `node ${s.node} has two snapshots in one run`);
    nodes.add(s.node);
  }
  if (input.report.cluster !== input.cluster) {
    throw new StoreError('invalid-input', `report is for cluster ${input.report.cluster}, run is for ${input.cluster}`);
  }
}

export function nodeScoreRows(report: CheckReport): NodeScoreRow[] {
  return report.nodes.map((n) => ({
    node: n.name,
    reachable: n.reachable ? 1 : 0,
    ready: n.ready ? 1 : 0,
    score: n.score,
    detail: canonicalJson({
      snapshotAt: n.snapshotAt,
      facets: n.facets,
      error: n.error,
      contributions: n.contributions,
    }),
  }));
}

export function reportRunFields(report: CheckReport): ReportRunFields {
  return {
    checked_at: report.checkedAt,
    ready: report.ready ? 1 : 0,
    score: report.score,
    baseline: report.baseline,
    summary: canonicalJson(report.summary),
  };
}

/** How a run is stored; `guard` runs first inside the transaction and may refuse it by throwing (a lost lease). */
export interface SaveRunOptions {
  guard?: (tx: Db) => Promise<void>;
}

export async function saveRun(db: Db, input: SaveRunInput, options: SaveRunOptions = {}): Promise<RunRecord> {
  validate(input);
  const startedAt = toIsoUtc(input.startedAt, 'startedAt');
  const finishedAt = toIsoUtc(input.finishedAt, 'finishedAt');
  // Finding order decides episode ids; id order makes verifyChain's replay identical.
  const findings = [...(input.report.findings as Finding[])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const snapshots = [...input.snapshots].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const scoreRows = nodeScoreRows(input.report);
  const runFields = reportRunFields(input.report);

  // The chain link (the hash of the cluster's last run) is read and the run inserted
  // under the cluster's lock, so two writers of one cluster, whichever instances they run
  // in, never link onto the same run, while runs of other clusters are stored alongside
  // (PostgreSQL: a per-cluster advisory lock, plus the history lock shared, which prune
  // and migrations take exclusively). SQLite takes its one write lock up front (BEGIN
  // IMMEDIATE: a concurrent writer waits busy_timeout instead of failing on a
  // read-to-write upgrade). The id comes from the database (SQLite's rowid, PostgreSQL's
  // identity sequence): taken under the cluster's lock, it is above the cluster's last run.
  const write = async (tx: Db): Promise<RunRow> => {
    if (options.guard) await options.guard(tx);
    const last = readOptionalRow(
      LastRunRow,
      await tx.get('SELECT hash FROM runs WHERE cluster = ? ORDER BY id DESC LIMIT 1', [input.cluster]),
      'runs',
    );
    const row: RunRow = {
      id: 0,
      cluster: input.cluster,
      started_at: startedAt,
      finished_at: finishedAt,
      node_count: snapshots.length,
      error_count: snapshots.filter((s) => s.error !== undefined).length,
      ...runFields,
      meta: input.meta === undefined ? null : canonicalJson(input.meta),
      prev_hash: last?.hash ?? null,
      snapshots_hash: '',
      findings_hash: findingsHash(findings.map((f) => ({ id: f.id, text: canonicalJson(f) }))),
      report_hash: reportHash(runFields, scoreRows),
      hash: '',
      thinned_nodes: null,
    };
    // The run row goes first (children reference it); hashes are filled in before commit.
    const id = await tx.insert(
      `INSERT INTO runs (cluster, started_at, finished_at, node_count, error_count, checked_at, ready,
         score, baseline, summary, meta, prev_hash, snapshots_hash, findings_hash, report_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.cluster,
        row.started_at,
        row.finished_at,
        row.node_count,
        row.error_count,
        row.checked_at,
        row.ready,
        row.score,
        row.baseline,
        row.summary,
        row.meta,
        row.prev_hash,
        row.snapshots_hash,
        row.findings_hash,
        row.report_hash,
        `pending-${randomUUID()}`,
      ],
    );
    row.id = id;
    // A node whose content hash equals its previous snapshot's reuses that manifest and
    // has no changes to diff. The content hash comes from the in-process fingerprint
    // memo when the node's data is byte-identical to what this process last hashed
    // (fingerprints.ts); otherwise each facet is serialised canonically and hashed once.
    // Round trips count on PostgreSQL: the nodes' ids and their previous snapshots take one
    // statement for the whole run, the new manifests and the snapshot rows one per batch.
    const { ids: nodeIds, fresh } = await internNodes(
      tx,
      input.cluster,
      snapshots.map((s) => s.node),
    );
    const nodeIdOf = (snapshot: NodeSnapshot): number => {
      const nodeId = nodeIds.get(snapshot.node);
      if (nodeId === undefined) throw new StoreError('corrupt', `nodes: ${input.cluster}/${snapshot.node} is neither found nor written`);
      return nodeId;
    };
    const previous = await previousSnapshotRows(tx, snapshots.filter((s) => !fresh.has(s.node)).map(nodeIdOf), id);
    const contentHashes: string[] = [];
    // Nodes go through in batches: a changed node's hashed facets (canonical text kept for
    // its new blobs) live only until its batch is written, as they did per node before.
    for (const batch of chunks(snapshots, NODES_PER_BATCH)) {
      const rows: { nodeId: number; snapshot: NodeSnapshot; manifestId?: number; hashed?: HashedSnapshot; prev?: SnapshotRow }[] = [];
      for (const snapshot of batch) {
        const nodeId = nodeIdOf(snapshot);
        const prev = previous.get(nodeId);
        // A node seen for the first time has nothing to be unchanged against yet.
        const fingerprint = prev ? snapshotFingerprint(snapshot) : undefined;
        let hashed: HashedSnapshot | undefined;
        let contentHash = fingerprint === undefined ? undefined : rememberedContentHash(db, nodeId, fingerprint);
        if (contentHash === undefined) {
          hashed = hashSnapshot(snapshot);
          contentHash = hashed.contentHash;
          if (fingerprint !== undefined) remember(db, nodeId, fingerprint, contentHash);
        }
        contentHashes.push(contentHash);
        if (prev !== undefined && prev.content_hash === contentHash) rows.push({ nodeId, snapshot, manifestId: prev.manifest_id });
        else rows.push({ nodeId, snapshot, hashed: hashed ?? hashSnapshot(snapshot), ...(prev ? { prev } : {}) });
      }
      const changed = rows.flatMap((r) => (r.hashed ? [{ nodeId: r.nodeId, hashed: r.hashed }] : []));
      const manifests = await putManifests(tx, changed);
      const snapshotRows = rows.map((r) => {
        const manifestId = r.manifestId ?? (r.hashed ? manifests.get(r.hashed.contentHash) : undefined);
        if (manifestId === undefined) throw new StoreError('corrupt', `snapshot_manifests: no manifest for node ${r.snapshot.node}`);
        return { nodeId: r.nodeId, manifestId, snapshot: r.snapshot };
      });
      await insertSnapshotRows(tx, id, snapshotRows);
      const changes: { snapshot: NodeSnapshot; changes: Change[] }[] = [];
      for (const r of rows) {
        if (!r.hashed || !r.prev) continue;
        changes.push({
          snapshot: r.snapshot,
          changes: await changesAgainstHistory(tx, id, r.snapshot, r.hashed.facetHashes, r.hashed.contentHash, r.prev),
        });
      }
      await insertChanges(tx, id, changes);
    }
    row.snapshots_hash = snapshotsHash(contentHashes);
    row.hash = runHash(row);
    await tx.run('UPDATE runs SET snapshots_hash = ?, hash = ? WHERE id = ?', [row.snapshots_hash, row.hash, id]);
    await insertRunFindings(tx, id, findings);
    await insertNodeScores(tx, id, scoreRows);
    await applyEpisodes(tx, input.cluster, id, startedAt, findings);
    return row;
  };
  return toRunRecord(await db.transaction(write, { shared: HISTORY_LOCK, cluster: input.cluster }));
}

export async function latestRunRow(db: Db, cluster: string): Promise<RunRow | undefined> {
  return readOptionalRow(RunRow, await db.get('SELECT * FROM runs WHERE cluster = ? ORDER BY id DESC LIMIT 1', [cluster]), 'runs');
}

export async function runRow(db: Db, id: number): Promise<RunRow | undefined> {
  return readOptionalRow(RunRow, await db.get('SELECT * FROM runs WHERE id = ?', [id]), 'runs');
}

export interface RunQuery {
  cluster?: string;
  /** Inclusive, on started_at. */
  since?: string;
  /** Exclusive, on started_at. */
  until?: string;
}

export async function queryRunRows(db: Db, query: RunQuery): Promise<RunRow[]> {
  const where = whereClause([
    ['cluster = ?', query.cluster],
    ['started_at >= ?', optionalIsoUtc(query.since, 'since')],
    ['started_at < ?', optionalIsoUtc(query.until, 'until')],
  ]);
  return readRows(RunRow, await db.all(`SELECT * FROM runs ${where.sql} ORDER BY started_at, id`, where.params), 'runs');
}

export interface ReadinessPoint {
  at: string;
  runId: number;
  ready: boolean;
  score: number;
  nodes: Record<string, number>;
}

export async function readinessHistory(db: Db, query: RunQuery & { cluster: string }): Promise<ReadinessPoint[]> {
  const points: ReadinessPoint[] = [];
  for (const r of await queryRunRows(db, query)) {
    const scores = await db.all('SELECT node, score FROM node_scores WHERE run_id = ? ORDER BY node', [r.id]);
    points.push({
      at: r.started_at,
      runId: r.id,
      ready: r.ready === 1,
      score: r.score,
      nodes: Object.fromEntries(readRows(NodeScorePoint, scores, 'node_scores').map((s) => [s.node, s.score])),
    });
  }
  return points;
}

/** The CheckReport a run recorded (nodes sorted by name). */
export async function reportOfRun(db: Db, row: RunRow): Promise<CheckReport> {
  const nodes = await nodeScoreRowsOfRun(db, row.id);
  const findingRows = await db.all(
    `SELECT b.id, rf.finding_id, b.data FROM run_findings rf JOIN finding_blobs b ON b.id = rf.blob_id
        WHERE rf.run_id = ? ORDER BY rf.finding_id`,
    [row.id],
  );
  return {
    cluster: row.cluster,
    ready: row.ready === 1,
    score: row.score,
    checkedAt: row.checked_at,
    baseline: row.baseline,
    nodes: nodes.map((n) => {
      const detail = readJson(ScoreDetail, n.detail, `node_scores row run_id=${row.id} node=${n.node} score detail`);
      return { name: n.node, reachable: n.reachable === 1, ready: n.ready === 1, score: n.score, ...detail };
    }),
    findings: readRows(RunFindingBlobRow, findingRows, 'finding_blobs').map((f) =>
      readJson(StoredFinding, inflate(f.data), `finding_blobs row id=${f.id} (finding ${f.finding_id} of run ${row.id}) data`),
    ),
    summary: readJson(RunSummary, row.summary, `runs row id=${row.id} column summary`),
  };
}
