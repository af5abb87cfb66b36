/**
 * The v2 -> v3 row conversion (schema and reasons in migrations.ts, SCHEMA_V3). Runs
 * inside the migration transaction after the SQL step has renamed the old tables to
 * v2_*; reads them in pages (better-sqlite3 cannot write while a query iterates),
 * writes the new tables, drops the old ones. Nothing is recomputed from content: v2
 * content hashes become manifest keys as they are, so a v2 file that was tampered
 * with still fails verification after the migration.
 */
import { z } from 'zod';
import type { Db, NodeScoreRow } from './types.js';
import { packDurations } from './durations.js';
import { insertNodeScores } from './scores.js';
import { msToIso } from './time.js';
import { Int, readRows } from './rows.js';

const PAGE = 2_000;

/** A row of the schema-2 node_snapshots table, as it is converted. */
const V2Snapshot = z.object({
  id: Int,
  run_id: Int,
  cluster: z.string(),
  node: z.string(),
  taken_at: z.string(),
  error: z.string().nullable(),
  content_hash: z.string(),
});

/** A row of the schema-2 snapshot_facets table. */
const V2Facet = z.object({
  snapshot_id: Int,
  facet: z.string(),
  blob_id: Int,
  status: z.string(),
  duration_ms: Int.nullable(),
});

/** A row of the schema-2 node_scores table (a NodeScoreRow of its run). */
const V2Score = z.object({
  run_id: Int,
  node: z.string(),
  reachable: Int,
  ready: Int,
  score: z.number(),
  detail: z.string(),
}) satisfies z.ZodType<NodeScoreRow & { run_id: number }>;
type V2Score = z.infer<typeof V2Score>;

const NodeRow = z.object({ id: Int, cluster: z.string(), node: z.string() });

export async function convertV2Rows(db: Db): Promise<void> {
  await db.exec(`INSERT INTO nodes (cluster, node)
           SELECT cluster, node FROM v2_node_snapshots GROUP BY cluster, node ORDER BY min(id)`);
  await convertSnapshots(db);
  await convertScores(db);
  await db.exec('DROP TABLE v2_snapshot_facets; DROP TABLE v2_node_snapshots; DROP TABLE v2_node_scores;');
}

async function convertSnapshots(db: Db): Promise<void> {
  const nodeIds = new Map(
    readRows(NodeRow, await db.all('SELECT id, cluster, node FROM nodes'), 'nodes').map((n) => [`${n.cluster}\u0000${n.node}`, n.id]),
  );
  /** content hash -> manifest id and what the manifest says, to catch rows that disagree. */
  const manifests = new Map<string, { id: number; signature: string }>();
  let after = 0;
  for (;;) {
    const page = await db.all(
      'SELECT id, run_id, cluster, node, taken_at, error, content_hash FROM v2_node_snapshots WHERE id > ? ORDER BY id LIMIT ?',
      [after, PAGE],
    );
    const rows = readRows(V2Snapshot, page, 'node_snapshots (schema 2)');
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.id;
      const nodeId = nodeIds.get(`${row.cluster}\u0000${row.node}`) as number;
      const facets = readRows(
        V2Facet,
        await db.all(
          'SELECT snapshot_id, facet, blob_id, status, duration_ms FROM v2_snapshot_facets WHERE snapshot_id = ? ORDER BY facet',
          [row.id],
        ),
        'snapshot_facets (schema 2)',
      );
      const signature = JSON.stringify([nodeId, row.error, facets.map((f) => [f.facet, f.blob_id, f.status])]);
      let manifest = manifests.get(row.content_hash);
      if (manifest === undefined) {
        const id = await db.insert('INSERT INTO snapshot_manifests (hash, node_id, error) VALUES (?, ?, ?)', [
          row.content_hash,
          nodeId,
          row.error,
        ]);
        for (const f of facets) {
          await db.run('INSERT INTO manifest_facets (manifest_id, facet, blob_id, status) VALUES (?, ?, ?, ?)', [
            id,
            f.facet,
            f.blob_id,
            f.status,
          ]);
        }
        manifest = { id, signature };
        manifests.set(row.content_hash, manifest);
      } else if (manifest.signature !== signature) {
        throw new Error(
          `v2 snapshot ${row.id} (${row.node}, run ${row.run_id}) has content hash ${row.content_hash} but other facets than an earlier snapshot with that hash; run \`driftd history verify\` with the previous driftd`,
        );
      }
      const takenAt = Date.parse(row.taken_at);
      if (Number.isNaN(takenAt) || msToIso(takenAt) !== row.taken_at) {
        throw new Error(
          `v2 snapshot ${row.id} (${row.node}, run ${row.run_id}): taken_at ${JSON.stringify(row.taken_at)} is not a stored UTC time`,
        );
      }
      await db.run('INSERT INTO node_snapshots (run_id, node_id, manifest_id, taken_at, durations) VALUES (?, ?, ?, ?, ?)', [
        row.run_id,
        nodeId,
        manifest.id,
        takenAt,
        packDurations(facets.map((f) => f.duration_ms)),
      ]);
    }
  }
}

async function convertScores(db: Db): Promise<void> {
  const ids = new Map<string, number>();
  let after: [number, string] = [0, ''];
  for (;;) {
    const page = await db.all(
      `SELECT run_id, node, reachable, ready, score, detail FROM v2_node_scores
        WHERE (run_id, node) > (?, ?) ORDER BY run_id, node LIMIT ?`,
      [after[0], after[1], PAGE],
    );
    const rows = readRows(V2Score, page, 'node_scores (schema 2)');
    if (rows.length === 0) break;
    const last = rows[rows.length - 1] as V2Score;
    after = [last.run_id, last.node];
    const byRun = new Map<number, V2Score[]>();
    for (const row of rows) byRun.set(row.run_id, [...(byRun.get(row.run_id) ?? []), row]);
    for (const [runId, scores] of byRun) await insertNodeScores(db, runId, scores, ids);
  }
}
