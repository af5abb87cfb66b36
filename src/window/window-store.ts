/**
 * Windows and their evidence, kept in the history database next to the runs, in tables
 * of their own. A separate connection to the same file (the history store owns its own
 * schema and migrations); WAL lets both write without blocking each other for long, and
 * busy_timeout waits out the other writer instead of failing.
 *
 * One open window per cluster is enforced by the database itself (a partial unique
 * index), so two `window start` racing each other cannot both win.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { BaselineValues } from '../core/window/classify.js';
import type { Expectation } from '../core/window/expectation.js';
import type { WindowSummary } from '../core/window/summary.js';
import type { NodeEvaluation, NodeVerdict } from '../core/window/verdict.js';
import {
  BaselineValuesRecord,
  ExpectationRecord,
  NodeEvaluationRecord,
  readColumn,
  StringListRecord,
  WindowSummaryRecord,
} from './records.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS maintenance_windows (
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  name TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  planned_end TEXT,
  closed_at TEXT,
  baseline_run_id INTEGER NOT NULL,
  nodes_json TEXT NOT NULL,
  expectation_json TEXT NOT NULL,
  expectation_file TEXT,
  baseline_values_json TEXT NOT NULL,
  baseline_finding_ids_json TEXT NOT NULL,
  version_format TEXT NOT NULL,
  summary_json TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS maintenance_windows_one_open
  ON maintenance_windows(cluster) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS maintenance_window_verifications (
  id INTEGER PRIMARY KEY,
  window_id INTEGER NOT NULL REFERENCES maintenance_windows(id),
  node TEXT NOT NULL,
  at TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('safe', 'not-safe', 'undecided')),
  run_id INTEGER,
  evidence_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS maintenance_window_verifications_by_window
  ON maintenance_window_verifications(window_id, node, at);
`;

export const WINDOW_BUSY_TIMEOUT_MS = 5_000;

export type WindowStoreErrorCode = 'already-open' | 'not-open' | 'no-database';

export class WindowStoreError extends Error {
  override readonly name = 'WindowStoreError';
  constructor(
    readonly code: WindowStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface WindowRecord {
  id: number;
  cluster: string;
  name: string;
  openedAt: string;
  plannedEnd: string | null;
  closedAt: string | null;
  baselineRunId: number;
  /** The nodes in plan order. */
  nodes: string[];
  expectation: Expectation;
  expectationFile: string | null;
  baselineValues: BaselineValues;
  baselineFindingIds: string[];
  versionFormat: 'deb' | 'rpm';
  summary: WindowSummary | null;
}

export type NewWindow = Omit<WindowRecord, 'id' | 'closedAt' | 'summary'>;

export interface VerificationRecord {
  id: number;
  windowId: number;
  node: string;
  at: string;
  verdict: NodeVerdict;
  runId: number | null;
  evidence: NodeEvaluation;
}

interface WindowRow {
  id: number;
  cluster: string;
  name: string;
  opened_at: string;
  planned_end: string | null;
  closed_at: string | null;
  baseline_run_id: number;
  nodes_json: string;
  expectation_json: string;
  expectation_file: string | null;
  baseline_values_json: string;
  baseline_finding_ids_json: string;
  version_format: string;
  summary_json: string | null;
}

interface VerificationRow {
  id: number;
  window_id: number;
  node: string;
  at: string;
  verdict: NodeVerdict;
  run_id: number | null;
  evidence_json: string;
}

export class WindowStore {
  private constructor(private readonly db: Database.Database) {}

  /**
   * Opens the history database for windows. Writable: creates the tables if missing.
   * Read-only (the daemon's view): never creates anything; a database without the
   * tables simply has no windows.
   */
  static open(path: string, options: { readonly?: boolean } = {}): WindowStore {
    if (options.readonly && !existsSync(path)) throw new WindowStoreError('no-database', `no database at ${path}`);
    const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    try {
      db.pragma(`busy_timeout = ${WINDOW_BUSY_TIMEOUT_MS}`);
      db.pragma('foreign_keys = ON');
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.exec(SCHEMA);
      }
      return new WindowStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private hasTables(): boolean {
    const row = this.db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('maintenance_windows', 'maintenance_window_verifications')")
      .get() as { n: number };
    return row.n === 2;
  }

  openWindow(input: NewWindow): WindowRecord {
    const existing = this.openWindowOf(input.cluster);
    if (existing) throw alreadyOpenError(existing);
    try {
      const result = this.db
        .prepare(
          `INSERT INTO maintenance_windows (cluster, name, opened_at, planned_end, baseline_run_id, nodes_json, expectation_json,
             expectation_file, baseline_values_json, baseline_finding_ids_json, version_format)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.cluster,
          input.name,
          input.openedAt,
          input.plannedEnd,
          input.baselineRunId,
          JSON.stringify(input.nodes),
          JSON.stringify(input.expectation),
          input.expectationFile,
          JSON.stringify(input.baselineValues),
          JSON.stringify(input.baselineFindingIds),
          input.versionFormat,
        );
      return { ...input, id: Number(result.lastInsertRowid), closedAt: null, summary: null };
    } catch (err) {
      // Lost a race with another `window start` between the check and the insert.
      if (err instanceof Error && /UNIQUE constraint failed/.test(err.message)) {
        const winner = this.openWindowOf(input.cluster);
        if (winner) throw alreadyOpenError(winner);
      }
      throw err;
    }
  }

  openWindowOf(cluster: string): WindowRecord | null {
    if (!this.hasTables()) return null;
    const row = this.db.prepare('SELECT * FROM maintenance_windows WHERE cluster = ? AND closed_at IS NULL').get(cluster) as WindowRow | undefined;
    return row ? toRecord(row) : null;
  }

  window(id: number): WindowRecord | null {
    if (!this.hasTables()) return null;
    const row = this.db.prepare('SELECT * FROM maintenance_windows WHERE id = ?').get(id) as WindowRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Every window, newest first. */
  windows(): WindowRecord[] {
    if (!this.hasTables()) return [];
    return (this.db.prepare('SELECT * FROM maintenance_windows ORDER BY id DESC').all() as WindowRow[]).map(toRecord);
  }

  recordVerification(input: Omit<VerificationRecord, 'id'>): VerificationRecord {
    const result = this.db
      .prepare('INSERT INTO maintenance_window_verifications (window_id, node, at, verdict, run_id, evidence_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(input.windowId, input.node, input.at, input.verdict, input.runId, JSON.stringify(input.evidence));
    return { ...input, id: Number(result.lastInsertRowid) };
  }

  /** Verifications of a window, oldest first. */
  verifications(windowId: number): VerificationRecord[] {
    if (!this.hasTables()) return [];
    const rows = this.db
      .prepare('SELECT * FROM maintenance_window_verifications WHERE window_id = ? ORDER BY at, id')
      .all(windowId) as VerificationRow[];
    return rows.map((r) => ({
      id: r.id,
      windowId: r.window_id,
      node: r.node,
      at: r.at,
      verdict: r.verdict,
      runId: r.run_id,
      evidence: readColumn(NodeEvaluationRecord, r.evidence_json, `verification ${r.id} evidence_json`),
    }));
  }

  /** Closes the window with its summary; refuses a window that is not open. */
  closeWindow(id: number, closedAt: string, summary: WindowSummary): WindowRecord {
    const result = this.db
      .prepare('UPDATE maintenance_windows SET closed_at = ?, summary_json = ? WHERE id = ? AND closed_at IS NULL')
      .run(closedAt, JSON.stringify(summary), id);
    if (result.changes !== 1) throw new WindowStoreError('not-open', `window ${id} is not open`);
    const record = this.window(id);
    if (!record) throw new WindowStoreError('not-open', `window ${id} vanished`);
    return record;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function alreadyOpenError(existing: WindowRecord): WindowStoreError {
  return new WindowStoreError(
    'already-open',
    `cluster ${existing.cluster} already has an open window "${existing.name}" (id ${existing.id}, opened ${existing.openedAt}); finish it with \`driftd window finish --cluster ${existing.cluster}\` before starting another`,
  );
}

function toRecord(row: WindowRow): WindowRecord {
  return {
    id: row.id,
    cluster: row.cluster,
    name: row.name,
    openedAt: row.opened_at,
    plannedEnd: row.planned_end,
    closedAt: row.closed_at,
    baselineRunId: row.baseline_run_id,
    nodes: readColumn(StringListRecord, row.nodes_json, `window ${row.id} nodes_json`),
    expectation: readColumn(ExpectationRecord, row.expectation_json, `window ${row.id} expectation_json`),
    expectationFile: row.expectation_file,
    baselineValues: readColumn(BaselineValuesRecord, row.baseline_values_json, `window ${row.id} baseline_values_json`),
    baselineFindingIds: readColumn(StringListRecord, row.baseline_finding_ids_json, `window ${row.id} baseline_finding_ids_json`),
    versionFormat: row.version_format === 'rpm' ? 'rpm' : 'deb',
    summary: row.summary_json === null ? null : readColumn(WindowSummaryRecord, row.summary_json, `window ${row.id} summary_json`),
  };
}
