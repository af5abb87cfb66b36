/**
 * The daemon's view of maintenance windows, for the driftd_window_* metrics and the
 * alerts built on them (DriftdMaintenanceWindowOverrun, DriftdNodesLeftHalfPatched).
 */
import type { WindowView } from '../view/view.js';
import type { WindowContext } from '../core/window/classify.js';
import type { Store } from '../store/index.js';
import type { VerificationRecord, WindowRecord } from '../store/windows.js';

/** What windowViews reads: WindowStore fits; tests may pass plain data. */
export interface WindowSource {
  windows(): WindowRecord[];
  verifications(windowId: number): VerificationRecord[];
}

/** How long a closed window stays in the view (open 0), so its series drop to 0 instead of vanishing. */
export const CLOSED_WINDOW_VISIBLE_MS = 24 * 3600 * 1000;

/**
 * One view per cluster: its open window, else its most recently closed one (closed less
 * than a day before `now`, or at any age when it was aborted with nodes pending).
 * nodesPending counts nodes whose latest verify in the window is not `safe`; for a
 * closed window, the nodes it left half-patched.
 */
export function windowViews(source: WindowSource, now: Date): WindowView[] {
  const seen = new Set<string>();
  const views: WindowView[] = [];
  const windows = source.windows();
  const ordered = [...windows.filter((w) => w.closedAt === null), ...windows.filter((w) => w.closedAt !== null)];
  for (const window of ordered) {
    if (seen.has(window.cluster)) continue;
    // A window that left nodes half-patched stays in view until a newer one replaces it.
    const leftPending = (window.summary?.pendingNodes.length ?? 0) > 0;
    if (window.closedAt !== null && !leftPending && now.getTime() - Date.parse(window.closedAt) > CLOSED_WINDOW_VISIBLE_MS) continue;
    seen.add(window.cluster);
    views.push(viewOf(window, window.closedAt === null ? source.verifications(window.id) : []));
  }
  return views.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
}

function viewOf(window: WindowRecord, verifications: readonly VerificationRecord[]): WindowView {
  const open = window.closedAt === null;
  const latest = new Map<string, VerificationRecord>();
  for (const v of verifications) latest.set(v.node, v);
  const nodesPending = open
    ? window.nodes.filter((n) => latest.get(n)?.verdict !== 'safe').length
    : (window.summary?.pendingNodes.length ?? 0);
  const view: WindowView = { cluster: window.cluster, name: window.name, open, nodesPending };
  if (window.plannedEnd !== null) view.plannedEnd = window.plannedEnd;
  return view;
}

/**
 * For the daemon: the views, read through its store. Errors (an unreadable row, a locked
 * database) reach the caller, which keeps the previous view and logs them.
 */
export async function readWindowViews(store: Pick<Store, 'windows'>, now: Date): Promise<WindowView[]> {
  const windows = await store.windows().windows();
  const verifications = new Map<number, VerificationRecord[]>();
  for (const w of windows) if (w.closedAt === null) verifications.set(w.id, await store.windows().verifications(w.id));
  return windowViews({ windows: () => windows, verifications: (id) => verifications.get(id) ?? [] }, now);
}

/** What classifyWindowFindings needs from a stored window. */
export function windowContextOf(window: WindowRecord): WindowContext {
  return {
    expectation: window.expectation,
    baselineValues: window.baselineValues,
    baselineFindingIds: window.baselineFindingIds,
    format: window.versionFormat,
  };
}

/**
 * cluster -> context of its open window, so each run (the daemon's, or `driftd check` by
 * hand) can split its findings with classifyWindowFindings(report, context).
 */
export async function readOpenWindowContexts(store: Pick<Store, 'windows'>): Promise<Map<string, WindowContext>> {
  return new Map((await store.windows().windows()).filter((w) => w.closedAt === null).map((w) => [w.cluster, windowContextOf(w)]));
}
