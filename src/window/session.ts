/**
 * What every window command shares: the rules, the history store and the window tables
 * of the configured database, and "collect the cluster now and record it as a run".
 */
import { existsSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { formatIssue, resolveFromConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import type { CompiledRules } from '../core/engine/index.js';
import { auditClusters, loadRulesFor, type ClusterAudit } from '../audit/audit.js';
import { Store, type RunRecord } from '../store/index.js';
import { WindowError } from './errors.js';
import type { WindowStore } from '../store/windows.js';
import { readOpenWindowContexts } from './views.js';

export interface WindowSession {
  loaded: LoadedConfig;
  rules: CompiledRules;
  store: Store;
  windows: WindowStore;
  now: () => Date;
  close(): void;
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
export function withReadonlyWindows<T>(loaded: LoadedConfig, use: (windows: WindowStore | null) => T): T {
  const file = resolveFromConfig(loaded, loaded.config.database);
  if (!existsSync(file)) return use(null);
  const store = Store.open(file, { readonly: true });
  try {
    return use(store.windows());
  } finally {
    store.close();
  }
}

/** The window tables, writable, without rules (abort). */
export function withWritableWindows<T>(loaded: LoadedConfig, use: (windows: WindowStore) => T): T {
  const file = resolveFromConfig(loaded, loaded.config.database);
  if (!existsSync(file)) throw new WindowError('no-window', `no database at ${file}, so no window is open`);
  const store = Store.open(file);
  try {
    return use(store.windows());
  } finally {
    store.close();
  }
}

export function openSession(loaded: LoadedConfig, now: () => Date = () => new Date()): WindowSession {
  const rules = compiledRulesOf(loaded);
  const file = resolveFromConfig(loaded, loaded.config.database);
  // One connection: the store creates and migrates the file, the window tables included.
  const store = Store.open(file);
  return {
    loaded,
    rules,
    store,
    windows: store.windows(),
    now,
    close() {
      store.close();
    },
  };
}

export function withSession<T>(loaded: LoadedConfig, now: () => Date, use: (session: WindowSession) => Promise<T>): Promise<T> {
  const session = openSession(loaded, now);
  return use(session).finally(() => session.close());
}

export async function auditCluster(
  session: AuditContext & { store?: Pick<Store, 'windows'> },
  cluster: ClusterConfig,
): Promise<ClusterAudit> {
  const store = session.store;
  const [audit] = await auditClusters({
    loaded: session.loaded,
    rules: session.rules,
    clusters: [cluster],
    now: session.now,
    // A run recorded while the cluster's window is open is judged as the daemon judges it.
    ...(store ? { openWindows: () => readOpenWindowContexts(store) } : {}),
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
  const run = session.store.saveRun({
    cluster: cluster.name,
    startedAt: audit.startedAt,
    finishedAt: audit.finishedAt,
    snapshots: audit.snapshots,
    report: audit.report,
    meta,
  });
  return { audit, run };
}
