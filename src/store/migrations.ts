/**
 * Schema versions, tracked in `PRAGMA user_version` (SQLite) or the driftd_schema table
 * (PostgreSQL). All pending steps run in ONE transaction at open: a failure leaves the
 * database exactly as it was. A database written by a newer driftd is refused rather
 * than half-understood.
 *
 * One definition for both stores: the steps are written in SQLite's SQL and PostgreSQL
 * runs the same steps, translated by postgresDdl (sql.ts), from an empty database up;
 * row conversions (`convert`) run over the same SqlDb interface on both.
 *
 * Never edit a released step; add a new one.
 */
import { StoreError } from './errors.js';
import { convertV2Rows } from './migrate-v3.js';
import { postgresDdl } from './sql.js';
import { HISTORY_LOCK, type Db } from './types.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Row conversion that SQL alone cannot do (hashing, compression), run after `sql` in the same transaction. */
  convert?: (db: Db) => Promise<void>;
}

/** v1: the base schema. */
export const SCHEMA_V1 = `
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  cluster        TEXT    NOT NULL,
  started_at     TEXT    NOT NULL,
  finished_at    TEXT    NOT NULL,
  node_count     INTEGER NOT NULL,
  error_count    INTEGER NOT NULL,
  checked_at     TEXT    NOT NULL,
  ready          INTEGER NOT NULL,
  score          REAL    NOT NULL,
  baseline       TEXT,
  summary        TEXT    NOT NULL,
  meta           TEXT,
  prev_hash      TEXT,
  snapshots_hash TEXT    NOT NULL,
  findings_hash  TEXT    NOT NULL,
  report_hash    TEXT    NOT NULL,
  hash           TEXT    NOT NULL UNIQUE
);
CREATE INDEX runs_cluster_started ON runs(cluster, started_at);

CREATE TABLE facet_blobs (
  id    INTEGER PRIMARY KEY,
  hash  TEXT    NOT NULL UNIQUE,
  facet TEXT    NOT NULL,
  data  BLOB    NOT NULL,
  size  INTEGER NOT NULL
);

CREATE TABLE node_snapshots (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES runs(id),
  cluster      TEXT    NOT NULL,
  node         TEXT    NOT NULL,
  taken_at     TEXT    NOT NULL,
  error        TEXT,
  content_hash TEXT    NOT NULL,
  UNIQUE (run_id, node)
);
CREATE INDEX node_snapshots_node ON node_snapshots(node, cluster, run_id);

CREATE TABLE snapshot_facets (
  snapshot_id INTEGER NOT NULL REFERENCES node_snapshots(id) ON DELETE CASCADE,
  facet       TEXT    NOT NULL,
  blob_id     INTEGER NOT NULL,
  status      TEXT    NOT NULL,
  duration_ms INTEGER,
  PRIMARY KEY (snapshot_id, facet)
) WITHOUT ROWID;

CREATE TABLE finding_blobs (
  id   INTEGER PRIMARY KEY,
  hash TEXT    NOT NULL UNIQUE,
  data BLOB    NOT NULL,
  size INTEGER NOT NULL
);

CREATE TABLE run_findings (
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  finding_id TEXT    NOT NULL,
  blob_id    INTEGER NOT NULL REFERENCES finding_blobs(id),
  PRIMARY KEY (run_id, finding_id)
) WITHOUT ROWID;

CREATE TABLE node_scores (
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  node      TEXT    NOT NULL,
  reachable INTEGER NOT NULL,
  ready     INTEGER NOT NULL,
  score     REAL    NOT NULL,
  detail    TEXT    NOT NULL,
  PRIMARY KEY (run_id, node)
) WITHOUT ROWID;

CREATE TABLE finding_episodes (
  id              INTEGER PRIMARY KEY,
  finding_id      TEXT    NOT NULL,
  cluster         TEXT    NOT NULL,
  facet           TEXT    NOT NULL,
  key             TEXT    NOT NULL,
  kind            TEXT    NOT NULL,
  severity        TEXT    NOT NULL,
  rule            TEXT,
  message         TEXT    NOT NULL,
  first_seen      TEXT    NOT NULL,
  last_seen       TEXT    NOT NULL,
  resolved_at     TEXT,
  first_run_id    INTEGER NOT NULL REFERENCES runs(id),
  last_run_id     INTEGER NOT NULL REFERENCES runs(id),
  resolved_run_id INTEGER REFERENCES runs(id),
  values_open     TEXT    NOT NULL,
  values_last     TEXT    NOT NULL,
  values_close    TEXT,
  waived          INTEGER NOT NULL,
  waiver          TEXT
);
CREATE UNIQUE INDEX finding_episodes_one_open
  ON finding_episodes(cluster, finding_id) WHERE resolved_at IS NULL;

CREATE TABLE node_changes (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  cluster TEXT    NOT NULL,
  node    TEXT    NOT NULL,
  at      TEXT    NOT NULL,
  facet   TEXT    NOT NULL,
  key     TEXT    NOT NULL,
  change  TEXT    NOT NULL CHECK (change IN ('added', 'removed', 'changed')),
  before  TEXT,
  after   TEXT
);
`;

/**
 * v2: retention and history queries. `thinned_nodes` records which nodes' snapshots
 * prune() removed from a run, so the run's snapshots_hash can still be recomputed
 * (a thinned snapshot equals the node's previous kept one by construction). The
 * indexes serve `changes({node, since})`, `changes({cluster, since})`, episode
 * windows, and prune's boundary lookups.
 */
export const SCHEMA_V2 = `
ALTER TABLE runs ADD COLUMN thinned_nodes TEXT;
CREATE INDEX node_changes_node_at ON node_changes(node, at);
CREATE INDEX node_changes_cluster_at ON node_changes(cluster, at);
CREATE INDEX node_changes_run ON node_changes(run_id);
CREATE INDEX finding_episodes_cluster_seen ON finding_episodes(cluster, first_seen);
`;

/**
 * v3: what an unchanged node costs per run. v2 wrote, per node per run, a snapshot row
 * with cluster, node, ISO time and a 64-char content hash, ten facet rows, and the
 * node's whole score explanation (~900 bytes). v3 keeps per run only what changes
 * every run and points at deduplicated rows for the rest:
 *
 * - `nodes` interns (cluster, node) once; rows refer to it by integer.
 * - `snapshot_manifests`: one row per distinct snapshot content, keyed by the
 *   snapshot's content hash (the one the evidence chain already uses), with its error
 *   text; `manifest_facets` lists its facets (blob id and status) once.
 * - `node_snapshots` per run: run, node, manifest, taken_at in epoch milliseconds and
 *   the facet durations packed into a few bytes (durations.ts).
 * - `score_blobs`: a node's score explanation (facet statuses, error, contributions)
 *   stored once by hash, deflated; `node_scores` keeps per run the columns a report
 *   reads (reachable, ready, score), the snapshot time (epoch ms when it round-trips to
 *   the same ISO text, the text otherwise, NULL when the blob holds the whole detail)
 *   and the blob id.
 *
 * The old tables are renamed to v2_*, converted row by row (migrate-v3.ts), dropped.
 * Chain hashes are untouched: content hashes become manifest keys, and each score
 * detail text is rebuilt byte for byte from blob and time (checked per row on the way).
 */
export const SCHEMA_V3 = `
DROP INDEX node_snapshots_node;
ALTER TABLE node_snapshots RENAME TO v2_node_snapshots;
ALTER TABLE snapshot_facets RENAME TO v2_snapshot_facets;
ALTER TABLE node_scores RENAME TO v2_node_scores;

CREATE TABLE nodes (
  id      INTEGER PRIMARY KEY,
  cluster TEXT    NOT NULL,
  node    TEXT    NOT NULL,
  UNIQUE (cluster, node)
);

CREATE TABLE snapshot_manifests (
  id      INTEGER PRIMARY KEY,
  hash    TEXT    NOT NULL UNIQUE,
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  error   TEXT
);

CREATE TABLE manifest_facets (
  manifest_id INTEGER NOT NULL REFERENCES snapshot_manifests(id),
  facet       TEXT    NOT NULL,
  blob_id     INTEGER NOT NULL,
  status      TEXT    NOT NULL,
  PRIMARY KEY (manifest_id, facet)
) WITHOUT ROWID;

CREATE TABLE node_snapshots (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  node_id     INTEGER NOT NULL REFERENCES nodes(id),
  manifest_id INTEGER NOT NULL REFERENCES snapshot_manifests(id),
  taken_at    INTEGER NOT NULL,
  durations   BLOB,
  PRIMARY KEY (run_id, node_id)
) WITHOUT ROWID;
CREATE INDEX node_snapshots_node ON node_snapshots(node_id, run_id);

CREATE TABLE score_blobs (
  id   INTEGER PRIMARY KEY,
  hash TEXT    NOT NULL UNIQUE,
  data BLOB    NOT NULL,
  size INTEGER NOT NULL
);

-- snapshot_at has no declared type on purpose: it holds an integer (epoch ms) or text.
CREATE TABLE node_scores (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  node        TEXT    NOT NULL,
  reachable   INTEGER NOT NULL,
  ready       INTEGER NOT NULL,
  score       REAL    NOT NULL,
  snapshot_at,
  detail_id   INTEGER NOT NULL REFERENCES score_blobs(id),
  PRIMARY KEY (run_id, node)
) WITHOUT ROWID;
`;

/**
 * Schema 4: the maintenance-window tables become ordinary store tables, with foreign keys
 * to the runs they cite. Up to schema 3 the window code created them itself with
 * CREATE TABLE IF NOT EXISTS and no reference to runs; such tables are copied over (their
 * rows must cite existing runs, which runs are never deleted guarantees) and dropped.
 */
const LEGACY_WINDOW_TABLES = `
CREATE TABLE IF NOT EXISTS maintenance_windows (
  id INTEGER PRIMARY KEY, cluster TEXT NOT NULL, name TEXT NOT NULL, opened_at TEXT NOT NULL,
  planned_end TEXT, closed_at TEXT, baseline_run_id INTEGER NOT NULL, nodes_json TEXT NOT NULL,
  expectation_json TEXT NOT NULL, expectation_file TEXT, baseline_values_json TEXT NOT NULL,
  baseline_finding_ids_json TEXT NOT NULL, version_format TEXT NOT NULL, summary_json TEXT
);
CREATE TABLE IF NOT EXISTS maintenance_window_verifications (
  id INTEGER PRIMARY KEY, window_id INTEGER NOT NULL, node TEXT NOT NULL, at TEXT NOT NULL,
  verdict TEXT NOT NULL, run_id INTEGER, evidence_json TEXT NOT NULL
);
DROP INDEX IF EXISTS maintenance_windows_one_open;
DROP INDEX IF EXISTS maintenance_window_verifications_by_window;
ALTER TABLE maintenance_window_verifications RENAME TO legacy_window_verifications;
ALTER TABLE maintenance_windows RENAME TO legacy_windows;
`;

const SCHEMA_V4 = `${LEGACY_WINDOW_TABLES}
CREATE TABLE maintenance_windows (
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  name TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  planned_end TEXT,
  closed_at TEXT,
  baseline_run_id INTEGER NOT NULL REFERENCES runs(id),
  nodes_json TEXT NOT NULL,
  expectation_json TEXT NOT NULL,
  expectation_file TEXT,
  baseline_values_json TEXT NOT NULL,
  baseline_finding_ids_json TEXT NOT NULL,
  version_format TEXT NOT NULL CHECK (version_format IN ('deb', 'rpm')),
  summary_json TEXT
);
CREATE UNIQUE INDEX maintenance_windows_one_open ON maintenance_windows(cluster) WHERE closed_at IS NULL;
CREATE TABLE maintenance_window_verifications (
  id INTEGER PRIMARY KEY,
  window_id INTEGER NOT NULL REFERENCES maintenance_windows(id),
  node TEXT NOT NULL,
  at TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('safe', 'not-safe', 'undecided')),
  run_id INTEGER REFERENCES runs(id),
  evidence_json TEXT NOT NULL
);
CREATE INDEX maintenance_window_verifications_by_window ON maintenance_window_verifications(window_id, node, at);
INSERT INTO maintenance_windows SELECT id, cluster, name, opened_at, planned_end, closed_at, baseline_run_id, nodes_json,
  expectation_json, expectation_file, baseline_values_json, baseline_finding_ids_json, version_format, summary_json FROM legacy_windows;
INSERT INTO maintenance_window_verifications SELECT id, window_id, node, at, verdict, run_id, evidence_json FROM legacy_window_verifications;
DROP TABLE legacy_window_verifications;
DROP TABLE legacy_windows;
`;

/**
 * Schema 5: the evidence chain per cluster. Up to schema 4 every run linked to the
 * previous run in id order, whatever its cluster (one chain for the whole database, one
 * lock for every writer). From schema 5 a run links to the previous run OF ITS CLUSTER,
 * so clusters written by different instances no longer serialise on one lock (chain.ts).
 *
 * `store_settings` records `chain_per_cluster_from`: the first run id linked per cluster
 * (the next id at migration time; 1 for a database created at schema 5). Runs before it
 * keep, and are verified by, the global rule; from it on, each cluster's first run links
 * to that cluster's last run before the switch (null for a cluster new since). The rows
 * and hashes of existing runs are untouched.
 *
 * `runs_cluster_id` serves the link lookup (the cluster's last run). On PostgreSQL runs.id
 * now comes from its identity sequence (concurrent clusters cannot both take max(id) + 1),
 * which saveRun never advanced while it chose ids itself: `convert` moves it past them.
 */
const SCHEMA_V5 = `
CREATE TABLE store_settings (
  name  TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO store_settings (name, value) SELECT 'chain_per_cluster_from', coalesce(max(id), 0) + 1 FROM runs;
CREATE INDEX runs_cluster_id ON runs(cluster, id);
`;

async function continueRunIds(db: Db): Promise<void> {
  if (db.dialect !== 'postgres') return;
  await db.get("SELECT setval(pg_get_serial_sequence('runs', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM runs), false) AS v");
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'base schema', sql: SCHEMA_V1 },
  { version: 2, description: 'retention column and history indexes', sql: SCHEMA_V2 },
  { version: 3, description: 'manifests, interned nodes, deduplicated score details', sql: SCHEMA_V3, convert: convertV2Rows },
  { version: 4, description: 'maintenance-window tables as store tables, with foreign keys to runs', sql: SCHEMA_V4 },
  {
    version: 5,
    description: 'evidence chain per cluster (store_settings.chain_per_cluster_from)',
    sql: SCHEMA_V5,
    convert: continueRunIds,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export async function schemaVersion(db: Db): Promise<number> {
  return db.schemaVersion();
}

/** `shown` names the database in messages (a path, or a URL without its password). */
export async function migrate(db: Db, shown: string, migrations: readonly Migration[], readonly = false): Promise<void> {
  const known = migrations[migrations.length - 1]?.version ?? 0;
  const current = await db.schemaVersion();
  if (current > known) {
    throw new StoreError(
      'newer-schema',
      `database ${shown} was written by a newer driftd (schema ${current}, this build knows ${known}); upgrade driftd or point \`database:\` elsewhere`,
    );
  }
  if (!migrations.some((m) => m.version > current)) return;
  if (readonly) {
    throw new StoreError(
      'migration-failed',
      `database ${shown} is at schema ${current} and needs migrating to ${known}; open it once read-write`,
    );
  }
  const apply = async (tx: Db): Promise<void> => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const locked = await tx.schemaVersion();
    for (const step of migrations.filter((m) => m.version > locked)) {
      await tx.exec(tx.dialect === 'postgres' ? postgresDdl(step.sql) : step.sql);
      await step.convert?.(tx);
    }
    // SQLite's user_version lives in the file header: it rolls back with the steps, as the table does on PostgreSQL.
    await tx.setSchemaVersion(known);
  };
  try {
    await db.transaction(apply, { lock: HISTORY_LOCK });
  } catch (error) {
    if (error instanceof StoreError && error.code === 'unavailable') throw error;
    throw new StoreError(
      'migration-failed',
      `database ${shown}: migrating schema ${current} -> ${known} failed, nothing was changed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
