/**
 * Maintenance windows and their verifications, in the history database next to the runs.
 * The tables are ordinary store migrations (schema 4, src/store/migrations.ts) with
 * foreign keys to the runs they cite, and are read and written through the store's one
 * connection (`Store.windows()`), so pragmas, busy timeout and migrations are the store's.
 *
 * One open window per cluster is enforced by the database itself (a partial unique
 * index), so two `window start` racing each other cannot both win.
 */
import type { BaselineValues } from '../core/window/classify.js';
import type { Expectation } from '../core/window/expectation.js';
import type { WindowSummary } from '../core/window/summary.js';
import type { NodeEvaluation, NodeVerdict } from '../core/window/verdict.js';
import type { Db } from './types.js';
import { isUniqueViolation } from './sql.js';
import {
  BaselineValuesRecord,
  ExpectationRecord,
  NodeEvaluationRecord,
  StringListRecord,
  VerificationRow,
  WindowRow,
  WindowSummaryRecord,
} from './window-records.js';
import { readJson, readRow } from './rows.js';

export type WindowStoreErrorCode = 'already-open' | 'not-open';

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

export class WindowStore {
  /** Over the store's connection: `Store.windows()`. */
  constructor(private readonly db: Db) {}

  async openWindow(input: NewWindow): Promise<WindowRecord> {
    const existing = await this.openWindowOf(input.cluster);
    if (existing) throw alreadyOpenError(existing);
    try {
      const id = await this.db.insert(
        `INSERT INTO maintenance_windows (cluster, name, opened_at, planned_end, baseline_run_id, nodes_json, expectation_json,
           expectation_file, baseline_values_json, baseline_finding_ids_json, version_format)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
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
        ],
      );
      return { ...input, id, closedAt: null, summary: null };
    } catch (err) {
      // Lost a race with another `window start` between the check and the insert.
      if (isUniqueViolation(err)) {
        const winner = await this.openWindowOf(input.cluster);
        if (winner) throw alreadyOpenError(winner);
      }
      throw err;
    }
  }

  async openWindowOf(cluster: string): Promise<WindowRecord | null> {
    const row: unknown = await this.db.get('SELECT * FROM maintenance_windows WHERE cluster = ? AND closed_at IS NULL', [cluster]);
    return row === undefined ? null : toRecord(row);
  }

  async window(id: number): Promise<WindowRecord | null> {
    const row: unknown = await this.db.get('SELECT * FROM maintenance_windows WHERE id = ?', [id]);
    return row === undefined ? null : toRecord(row);
  }

  /** Every window, newest first. */
  async windows(): Promise<WindowRecord[]> {
    return (await this.db.all('SELECT * FROM maintenance_windows ORDER BY id DESC')).map(toRecord);
  }

  async recordVerification(input: Omit<VerificationRecord, 'id'>): Promise<VerificationRecord> {
    const id = await this.db.insert(
      'INSERT INTO maintenance_window_verifications (window_id, node, at, verdict, run_id, evidence_json) VALUES (?, ?, ?, ?, ?, ?)',
      [input.windowId, input.node, input.at, input.verdict, input.runId, JSON.stringify(input.evidence)],
    );
    return { ...input, id };
  }

  /** Verifications of a window, oldest first. */
  async verifications(windowId: number): Promise<VerificationRecord[]> {
    const rows = (await this.db.all('SELECT * FROM maintenance_window_verifications WHERE window_id = ? ORDER BY at, id', [windowId])).map(
      (row) => readRow(VerificationRow, row, 'maintenance_window_verifications'),
    );
    return rows.map((r) => ({
      id: r.id,
      windowId: r.window_id,
      node: r.node,
      at: r.at,
      verdict: r.verdict,
      runId: r.run_id,
      evidence: readJson(NodeEvaluationRecord, r.evidence_json, `maintenance_window_verifications row id=${r.id} column evidence_json`),
    }));
  }

  /** Closes the window with its summary; refuses a window that is not open. */
  async closeWindow(id: number, closedAt: string, summary: WindowSummary): Promise<WindowRecord> {
    const result = await this.db.run('UPDATE maintenance_windows SET closed_at = ?, summary_json = ? WHERE id = ? AND closed_at IS NULL', [
      closedAt,
      JSON.stringify(summary),
      id,
    ]);
    if (result.changes !== 1) throw new WindowStoreError('not-open', `window ${id} is not open`);
    const record = await this.window(id);
    if (!record) throw new WindowStoreError('not-open', `window ${id} vanished`);
    return record;
  }
}

export function alreadyOpenError(existing: WindowRecord): WindowStoreError {
  return new WindowStoreError(
    'already-open',
    `cluster ${existing.cluster} already has an open window "${existing.name}" (id ${existing.id}, opened ${existing.openedAt}); finish it with \`driftd window finish --cluster ${existing.cluster}\` before starting another`,
  );
}

function toRecord(raw: unknown): WindowRecord {
  const row = readRow(WindowRow, raw, 'maintenance_windows');
  return {
    id: row.id,
    cluster: row.cluster,
    name: row.name,
    openedAt: row.opened_at,
    plannedEnd: row.planned_end,
    closedAt: row.closed_at,
    baselineRunId: row.baseline_run_id,
    nodes: readJson(StringListRecord, row.nodes_json, `maintenance_windows row id=${row.id} column nodes_json`),
    expectation: readJson(ExpectationRecord, row.expectation_json, `maintenance_windows row id=${row.id} column expectation_json`),
    expectationFile: row.expectation_file,
    baselineValues: readJson(
      BaselineValuesRecord,
      row.baseline_values_json,
      `maintenance_windows row id=${row.id} column baseline_values_json`,
    ),
    baselineFindingIds: readJson(
      StringListRecord,
      row.baseline_finding_ids_json,
      `maintenance_windows row id=${row.id} column baseline_finding_ids_json`,
    ),
    versionFormat: row.version_format,
    summary:
      row.summary_json === null
        ? null
        : readJson(WindowSummaryRecord, row.summary_json, `maintenance_windows row id=${row.id} column summary_json`),
  };
}
