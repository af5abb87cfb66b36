/**
 * The I/O edge of the audit report: reads the store, the config and the rule packs, then
 * hands plain data to the pure model builder. Used by `driftd report` and by the daemon's
 * GET /report/:cluster.
 */
import type { LoadedConfig } from '../config/load.js';
import { formatIssue } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import { loadRulesFor } from '../audit/audit.js';
import type { LoadedRulePacks } from '../rules/load.js';
import type { Store } from '../store/index.js';
import { DRIFTD_VERSION } from '../version.js';
import { renderAuditHtml } from './html.js';
import { buildAuditReport } from './model.js';
import type { AuditReport } from './schema.js';
import { DEFAULT_REPORT_DAYS } from './defaults.js';

/** The default look-back of a report: 30 days. */
export { DEFAULT_REPORT_DAYS };

export interface ReportRequest {
  loaded: LoadedConfig;
  cluster: ClusterConfig;
  since: string;
  until: string;
  generatedAt: string;
  commandLine: string;
  /** Already loaded packs (the daemon has them); loaded from the config otherwise. */
  rules?: LoadedRulePacks;
}

export async function auditReportFromStore(store: Store, request: ReportRequest): Promise<AuditReport> {
  const { cluster, since, until } = request;
  const rules = request.rules ?? loadRulesFor(request.loaded);
  const runs = await store.runs({ cluster: cluster.name, since, until });
  const last = runs.at(-1);
  const report = last ? await store.reportOf(last.id) : null;
  return buildAuditReport({
    generatedAt: request.generatedAt,
    driftdVersion: DRIFTD_VERSION,
    commandLine: request.commandLine,
    cluster: {
      name: cluster.name,
      baseline: cluster.baseline ?? null,
      facets: cluster.facets,
      nodes: cluster.nodes.map((n) => ({
        name: n.name,
        transport: n.transport,
        host: n.host ?? n.path,
        role: n.role,
      })),
    },
    period: { since, until },
    packs: rules.packs,
    ruleErrors: rules.errors.map(formatIssue),
    runs,
    latest: last && report ? { run: last, report, snapshots: await store.snapshotsOfRun(last.id) } : null,
    readiness: await store.readinessHistory(cluster.name, since, until),
    episodes: await store.findingEpisodes({ cluster: cluster.name, since, until }),
    changes: await store.changes({ cluster: cluster.name, since, until }),
    chain: await store.verifyChain(),
  });
}

export interface ClusterReportOptions {
  rules?: LoadedRulePacks;
  /** Look-back in days; default 30. */
  days?: number;
}

/**
 * The HTML report of a cluster over the last 30 days, for GET /report/:cluster. Null when
 * the cluster is not configured or has no stored run yet (the route answers 404).
 */
export async function renderClusterReportHtml(
  store: Store,
  loaded: LoadedConfig,
  clusterName: string,
  now: Date,
  options: ClusterReportOptions = {},
): Promise<string | null> {
  const cluster = loaded.config.clusters.find((c) => c.name === clusterName);
  if (!cluster) return null;
  if ((await store.latestRun(cluster.name)) === null) return null;
  const days = options.days ?? DEFAULT_REPORT_DAYS;
  const report = await auditReportFromStore(store, {
    loaded,
    cluster,
    since: new Date(now.getTime() - days * 86_400_000).toISOString(),
    until: now.toISOString(),
    generatedAt: now.toISOString(),
    commandLine: `GET /report/${cluster.name} (driftd serve --config ${loaded.file})`,
    ...(options.rules ? { rules: options.rules } : {}),
  });
  return renderAuditHtml(report);
}
