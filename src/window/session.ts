/**
 * What every window command shares: the rules, the history store and the window tables
 * of the configured database, and "collect the cluster now and record it as a run".
 */
import type { LoadedConfig } from '../config/load.js';
import { formatIssue } from '../config/load.js';
import { databaseMayHoldHistory, databaseOf, openStoreOf } from '../config/database.js';
import type { ClusterConfig } from '../config/schema.js';
import type { CompiledRules } from '../core/engine/index.js';
import { auditClusters, loadRulesFor, type ClusterAudit } from '../audit/audit.js';
import type { RunRecord, Store } from '../store/index.js';
import { WindowError } from './errors.js';
import type { WindowStore } from '../store/windows.js';
import { readOpenWindowContexts } from './views.js';

export interface WindowSession {
  loaded: LoadedConfig;
  rules: CompiledRules;
  store: Store;
  windows: WindowStore;
  now: () => Date;
  close(): Promise<void>;
}

/** What collecting and judging needs; no database. */
export type AuditContext = Pick<WindowSession, 'loaded' | 'rules' | 'now'>;

export function compiledRulesOf(loaded: LoadedConfig): CompiledRules {
  const rules = loadRulesFor(loaded);
  if (rules.errors.length > 0) {
    throw new WindowError('rules-invalid', `rule packs are invalid, so no verdict is given:\n${rules.errors.map(formatIssue).join('\n')}`);
  }
  return rules.rules;
}

/**
 * Reads the window tables without creating or writing anything (plan, status): null when
 * there is no database yet, which also means no window.
 */
export async function withReadonlyWindows<T>(loaded: LoadedConfig, use: (windows: WindowStore | null) => T | Promise<T>): Promise<T> {
  if (!databaseMayHoldHistory(loaded)) return use(null);
  const store = await openStoreOf(loaded, { readonly: true });
  try {
    return await use(store.windows());
  } finally {
    await store.close();
  }
}

/** The window tables, writable, without rules (abort). */
export async function withWritableWindows<T>(loaded: LoadedConfig, use: (windows: WindowStore) => T | Promise<T>): Promise<T> {
  if (!databaseMayHoldHistory(loaded)) {
    throw new WindowError('no-window', `no database at ${databaseOf(loaded).shown}, so no window is open`);
  }
  const store = await openStoreOf(loaded);
  try {
    return await use(store.windows());
  } finally {
    await store.close();
  }
}

export async function openSession(loaded: LoadedConfig, now: () => Date = () => new Date()): Promise<WindowSession> {
  const rules = compiledRulesOf(loaded);
  // One connection: the store creates and migrates the database, the window tables included.
  const store = await openStoreOf(loaded);
  return {
    loaded,
    rules,
    store,
    windows: store.windows(),
    now,
    close() {
      return store.close();
    },
  };
}

export async function withSession<T>(loaded: LoadedConfig, now: () => Date, use: (session: WindowSession) => Promise<T>): Promise<T> {
  const session = await openSession(loaded, now);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

export async function auditCluster(
  session: AuditContext & { store?: Pick<Store, 'windows'> },
  cluster: ClusterConfig,
): Promise<ClusterAudit> {
  const store = session.store;
  // A run recorded while the cluster's window is open is judged as the daemon judges it.
  const windows = store ? await readOpenWindowContexts(store) : undefined;
  const [audit] = await auditClusters({
    loaded: session.loaded,
    rules: session.rules,
    clusters: [cluster],
    now: session.now,
    ...(windows ? { openWindows: () => windows } : {}),
  });
  if (!audit) throw new Error(`internal: no audit result for cluster ${cluster.name}`);
  return audit;
}

/** Collects the cluster now and records the run in the history, tagged with what it was for. */
export async function recordRun(
  session: WindowSession,
  cluster: ClusterConfig,
  meta: Record<string, unknown>,
): Promise<{ audit: ClusterAudit; run: RunRecord }> {
  const audit = await auditCluster(session, cluster);
  const run = await session.store.saveRun({
    cluster: cluster.name,
    startedAt: audit.startedAt,
    finishedAt: audit.finishedAt,
    snapshots: audit.snapshots,
    report: audit.report,
    meta,
  });
  return { audit, run };
}
