/**
 * The daemon's in-memory view: what every reader (metrics, HTTP API, reports) sees.
 *
 * The daemon builds a whole new DaemonView after each run and swaps one reference, so a
 * scrape or a request never sees half a run. Readers take `getView()` once per request
 * and never mutate what they get.
 */
import type { CheckReport } from '../core/check-report.js';
import type { FacetName, NodeSnapshot } from '../core/snapshot.js';

/** The kernel facet item holding `uname -r`; the kernel collector owns that key. */
export const KERNEL_RELEASE_ITEM = 'release';

/**
 * What the view keeps of one node's snapshot: what metrics read, a few hundred bytes.
 * The full snapshot (every package, sysctl, module) lives in the store only; the API
 * reads it from there by (cluster, node, takenAt).
 */
export interface NodeSummary {
  node: string;
  /** The snapshot's takenAt, ISO 8601 UTC: the key to read it back from the store. */
  takenAt: string;
  /** Wall time of each facet that recorded one, in milliseconds. */
  facetDurationsMs: Partial<Record<FacetName, number>>;
  /** `uname -r`, when the kernel facet was collected. */
  kernelRelease?: string;
}

export interface ClusterView {
  name: string;
  report: CheckReport;
  /** One summary per snapshot of the run, in the run's node order. */
  nodes: NodeSummary[];
  /** The store's id of the run this view shows, when it was stored. */
  runId?: number;
  /** ISO 8601 UTC: when the run that produced this report finished. */
  lastRunAt: string;
  /** Finding id -> ISO time it was first seen open (from the store), for "oldest finding" metrics. */
  firstSeen?: Record<string, string>;
}

/**
 * Detached copy of a string: strings cut from a large command output (kernel release)
 * can keep the whole output alive in V8; the view must not hold on to collection buffers.
 */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** The summary the view keeps of a snapshot; the snapshot itself can then be dropped. */
export function summarizeSnapshot(snapshot: NodeSnapshot): NodeSummary {
  const facetDurationsMs: NodeSummary['facetDurationsMs'] = {};
  for (const [facet, data] of Object.entries(snapshot.facets) as [FacetName, NodeSnapshot['facets'][FacetName]][]) {
    if (data?.durationMs !== undefined) facetDurationsMs[facet] = data.durationMs;
  }
  const release = snapshot.facets.kernel?.items[KERNEL_RELEASE_ITEM]?.value;
  return {
    node: snapshot.node,
    takenAt: snapshot.takenAt,
    facetDurationsMs,
    ...(release ? { kernelRelease: detached(release) } : {}),
  };
}

/** What a stored run of one cluster hands to the view. */
export interface StoredClusterRun {
  name: string;
  report: CheckReport;
  snapshots: readonly NodeSnapshot[];
  runId?: number;
  lastRunAt: string;
  firstSeen?: Record<string, string>;
}

/**
 * The view of one cluster after a run: the report, and a summary of each snapshot (the
 * snapshots themselves are in the store and can be dropped). The report is copied with
 * fresh strings: keys and values the engine took from parsed output are slices that
 * would keep each node's whole command output alive for as long as the view.
 */
export function clusterViewOf(run: StoredClusterRun): ClusterView {
  return {
    name: run.name,
    report: structuredClone(run.report),
    nodes: run.snapshots.map(summarizeSnapshot),
    ...(run.runId !== undefined ? { runId: run.runId } : {}),
    lastRunAt: run.lastRunAt,
    ...(run.firstSeen ? { firstSeen: run.firstSeen } : {}),
  };
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
