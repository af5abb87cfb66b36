/**
 * Retention: thin snapshots that say nothing new. A node snapshot is removed when it
 * is older than the horizon, its content equals the node's previous kept snapshot,
 * it is not the node's latest, and its run is not a boundary (a run that logged a
 * change or opened/resolved a finding episode). Run rows, findings, scores, episodes
 * and the change log are never removed, so the chain of run hashes is untouched; the
 * run records which nodes were thinned, and verifyChain recomputes its snapshots_hash
 * from the previous kept snapshot (equal content by construction).
 *
 * Why that stays true over many prunes: a row is only removed when it equals the
 * nearest earlier remaining row of its node; rows that stood on it then stand on that
 * one, which has the same content. Equality is transitive, so the invariant holds
 * whatever the horizons and clocks of later prunes.
 */
import { z } from 'zod';
import { HISTORY_LOCK, type Db } from './types.js';
import { IdRow, Int, readRow, readRows } from './rows.js';
import { StoreError } from './errors.js';
import { parseThinned } from './snapshots.js';
import { toIsoUtc } from './time.js';
import { chunks, sqlList } from './statements.js';

export interface PruneOptions {
  keepUnchangedDays: number;
  /** The caller's clock (ISO 8601). */
  now: string;
}

export interface PruneResult {
  deletedSnapshots: number;
  deletedBlobs: number;
  /** Runs that lost at least one snapshot in this prune. */
  thinnedRuns: number;
  horizon: string;
}

/** A node_snapshots row that retention may remove. */
const ThinRow = z.object({ run_id: Int, node_id: Int, node: z.string() });
const ThinnedRow = z.object({ thinned_nodes: z.string().nullable() });

export async function prune(db: Db, options: PruneOptions): Promise<PruneResult> {
  if (!(options.keepUnchangedDays >= 0)) {
    throw new StoreError('invalid-input', `keepUnchangedDays must be >= 0, got ${options.keepUnchangedDays}`);
  }
  const horizonMs = Date.parse(toIsoUtc(options.now, 'now')) - options.keepUnchangedDays * 86_400_000;
  const horizon = new Date(horizonMs).toISOString();
  const run = async (tx: Db): Promise<PruneResult> => {
    const boundaries = new Set(
      readRows(
        IdRow,
        await tx.all(
          `SELECT run_id AS id FROM node_changes
           UNION SELECT first_run_id FROM finding_episodes
           UNION SELECT resolved_run_id FROM finding_episodes WHERE resolved_run_id IS NOT NULL`,
        ),
        'node_changes and finding_episodes run ids',
      ).map((r) => r.id),
    );
    // A snapshot is removable when its content equals the nearest earlier KEPT row of its
    // node. That is the same as equalling the row just before it: if that row was kept it
    // is the one; if it was removed, it equalled the kept one before it. So one query with
    // LAG/LEAD finds them all, with no walk per node.
    const candidates = readRows(
      ThinRow,
      await tx.all(
        `SELECT s.run_id, s.node_id, n.node FROM (
           SELECT run_id, node_id, taken_at, manifest_id,
                  LAG(manifest_id) OVER (PARTITION BY node_id ORDER BY run_id) AS prev_manifest,
                  LEAD(run_id) OVER (PARTITION BY node_id ORDER BY run_id) AS next_run
             FROM node_snapshots) s
           JOIN nodes n ON n.id = s.node_id
          WHERE s.prev_manifest = s.manifest_id AND s.next_run IS NOT NULL AND s.taken_at < ?
          ORDER BY s.node_id, s.run_id`,
        // taken_at is whole milliseconds: below a fractional horizon is below its ceiling.
        [Math.ceil(horizonMs)],
      ),
      'node_snapshots',
    );
    const thinned = candidates.filter((row) => !boundaries.has(row.run_id));
    const byRun = new Map<number, { ids: number[]; nodes: string[] }>();
    for (const row of thinned) {
      const entry = byRun.get(row.run_id) ?? { ids: [], nodes: [] };
      entry.ids.push(row.node_id);
      entry.nodes.push(row.node);
      byRun.set(row.run_id, entry);
    }
    for (const [runId, { ids, nodes }] of byRun) {
      for (const page of chunks(ids)) {
        await tx.run(`DELETE FROM node_snapshots WHERE run_id = ? AND node_id IN (${sqlList(page.length)})`, [runId, ...page]);
      }
      const current = readRow(ThinnedRow, await tx.get('SELECT thinned_nodes FROM runs WHERE id = ?', [runId]), `runs row id=${runId}`);
      const existing = parseThinned(current.thinned_nodes, runId);
      await tx.run('UPDATE runs SET thinned_nodes = ? WHERE id = ?', [JSON.stringify([...new Set([...existing, ...nodes])].sort()), runId]);
    }
    // A thinned row equals a kept one, so its manifest stays referenced; these only
    // collect what nothing points at any more.
    const orphans = await tx.all('SELECT id FROM snapshot_manifests WHERE id NOT IN (SELECT manifest_id FROM node_snapshots)');
    for (const page of chunks(readRows(IdRow, orphans, 'snapshot_manifests').map((r) => r.id))) {
      const list = sqlList(page.length);
      await tx.run(`DELETE FROM manifest_facets WHERE manifest_id IN (${list})`, page);
      await tx.run(`DELETE FROM snapshot_manifests WHERE id IN (${list})`, page);
    }
    const blobs = await tx.run('DELETE FROM facet_blobs WHERE id NOT IN (SELECT blob_id FROM manifest_facets)');
    return { deletedSnapshots: thinned.length, deletedBlobs: blobs.changes, thinnedRuns: byRun.size, horizon };
  };
  return db.transaction(run, { lock: HISTORY_LOCK });
}
