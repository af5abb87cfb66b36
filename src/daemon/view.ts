/**
 * The daemon's in-memory view: what every reader (metrics, HTTP API, reports) sees.
 *
 * The daemon builds a whole new DaemonView after each run and swaps one reference, so a
 * scrape or a request never sees half a run. Readers take `getView()` once per request
 * and never mutate what they get.
 */
import type { CheckReport } from '../core/check-report.js';
import type { NodeSnapshot } from '../core/snapshot.js';

export interface ClusterView {
  name: string;
  report: CheckReport;
  snapshots: NodeSnapshot[];
  /** ISO 8601 UTC: when the run that produced this report finished. */
  lastRunAt: string;
  /** Finding id -> ISO time it was first seen open (from the store), for "oldest finding" metrics. */
  firstSeen?: Record<string, string>;
}

/** A maintenance window as the daemon last saw it. */
export interface WindowView {
  cluster: string;
  name: string;
  open: boolean;
  /** ISO 8601 UTC; past this while still open, the window has overrun. */
  plannedEnd?: string;
  /** Nodes still to be patched (or left half-patched) inside this window. */
  nodesPending: number;
}

export interface RunsView {
  total: number;
  failures: number;
  lastDurationSeconds: number | null;
  lastRunAt: string | null;
  /** ISO time of the last run that completed without failing; optional so older producers still fit. */
  lastSuccessAt?: string | null;
  running: boolean;
}

export interface ConfigReloadView {
  reloadSuccess: boolean;
  lastReloadAt: string | null;
}

export interface DaemonView {
  version: string;
  startedAt: string;
  firstRunCompleted: boolean;
  clusters: ClusterView[];
  runs: RunsView;
  config: ConfigReloadView;
  windows?: WindowView[];
}

/** The view before the first run: nothing known, nothing failed. */
export function emptyView(version = 'unknown', startedAt = new Date().toISOString()): DaemonView {
  return {
    version,
    startedAt,
    firstRunCompleted: false,
    clusters: [],
    runs: { total: 0, failures: 0, lastDurationSeconds: null, lastRunAt: null, lastSuccessAt: null, running: false },
    config: { reloadSuccess: true, lastReloadAt: null },
    windows: [],
  };
}
