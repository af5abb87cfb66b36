/**
 * The route table. Each handler reads one view (taken once per request) and returns a
 * Reply; the server owns sockets, auth, bodies and error mapping.
 */
import type { DaemonView } from '../view/view.js';
import type { CheckReport } from '../core/check-report.js';
import type { HttpServerDeps, PeerCluster } from './deps.js';
import { HttpError } from './errors.js';
import { severityFilter, timeRange } from './query.js';

export type Reply =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType: string; headers?: Record<string, string> }
  | { status: number; chunks: readonly Buffer[]; contentType: string; headers?: Record<string, string> };

export interface RouteContext {
  /** Decoded path segments captured by the route's pattern. */
  params: string[];
  query: URLSearchParams;
  view: DaemonView;
}

type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

export interface Route {
  pattern: RegExp;
  /** Reachable without the bearer token (probes and the Prometheus scrape). */
  public: boolean;
  methods: { GET?: Handler; POST?: Handler };
}

/**
 * A report's HTML is ours but may embed node-supplied text. It has no script (tested), so
 * none may run: no script-src (default-src 'none' covers it), no network fetches, no
 * framing, no <base> or form that could send anything elsewhere.
 */
const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The first cluster (in view order) with a node of that name, and the node's summary. */
function nodeOf(view: DaemonView, name: string) {
  for (const cluster of view.clusters) {
    const node = cluster.nodes.find((candidate) => candidate.node === name);
    if (node) return { cluster: cluster.name, node };
  }
  return undefined;
}

/** A cluster's current report: from this instance's view, or (sharing clusters) from the store. */
async function reportOf(deps: HttpServerDeps, view: DaemonView, name: string): Promise<{ name: string; report: CheckReport }> {
  const own = view.clusters.find((candidate) => candidate.name === name);
  if (own) return own;
  const peers = deps.peers?.();
  const stored = peers?.names().includes(name) ? await peers.latest(name) : null;
  if (!stored) throw new HttpError(404, `no cluster named ${JSON.stringify(name)}`);
  return { name, report: stored.report };
}

function summaryOf(name: string, report: CheckReport, lastRunAt: string) {
  return {
    name,
    ready: report.ready,
    score: report.score,
    lastRunAt,
    checkedAt: report.checkedAt,
    nodes: report.nodes.length,
    counts: report.summary,
  };
}

function requireHistory(deps: HttpServerDeps) {
  if (!deps.history) throw new HttpError(501, 'history is not available in this server (no store configured)');
  return deps.history;
}

function hasSeverityIn(wanted: Set<string>) {
  return (entry: unknown): boolean =>
    typeof entry === 'object' && entry !== null && 'severity' in entry && wanted.has(String(entry.severity));
}

function param(ctx: RouteContext, index: number): string {
  const value = ctx.params[index];
  if (value === undefined) throw new Error(`route pattern has no capture group ${index}`);
  return value;
}

export function routes(deps: HttpServerDeps): Route[] {
  return [
    {
      pattern: /^\/healthz$/,
      public: true,
      methods: { GET: () => ({ status: 200, json: { status: 'ok' } }) },
    },
    {
      pattern: /^\/readyz$/,
      public: true,
      methods: {
        GET: ({ view }) =>
          view.firstRunCompleted
            ? { status: 200, json: { status: 'ready' } }
            : { status: 503, json: { status: 'starting', error: 'the first run has not completed yet' } },
      },
    },
    {
      pattern: /^\/metrics$/,
      public: true,
      methods: {
        GET: async () => ({ status: 200, chunks: await deps.metrics.exposition(), contentType: deps.metrics.contentType }),
      },
    },
    {
      pattern: /^\/api\/v1\/clusters$/,
      public: false,
      methods: {
        GET: async ({ view }) => {
          const own = view.clusters.map((cluster) => summaryOf(cluster.name, cluster.report, cluster.lastRunAt));
          const peers = deps.peers?.();
          if (!peers) return { status: 200, json: { clusters: own } };
          // Sharing clusters: this instance's, then the others' from their latest stored run,
          // each saying which instance audited it (a cluster never stored yet is left out).
          const others: (ReturnType<typeof summaryOf> & { auditedBy: string | null })[] = [];
          for (const name of peers.names()) {
            const stored: PeerCluster | null = await peers.latest(name);
            if (stored) others.push({ ...summaryOf(name, stored.report, stored.lastRunAt), auditedBy: stored.auditedBy });
          }
          return { status: 200, json: { clusters: [...own.map((c) => ({ ...c, auditedBy: peers.self })), ...others] } };
        },
      },
    },
    {
      pattern: /^\/api\/v1\/clusters\/([^/]+)$/,
      public: false,
      methods: { GET: async (ctx) => ({ status: 200, json: (await reportOf(deps, ctx.view, param(ctx, 0))).report }) },
    },
    {
      pattern: /^\/api\/v1\/clusters\/([^/]+)\/findings$/,
      public: false,
      methods: {
        GET: async (ctx) => {
          const cluster = await reportOf(deps, ctx.view, param(ctx, 0));
          const severities = severityFilter(ctx.query);
          const range = timeRange(ctx.query);
          if (range.since === undefined && range.until === undefined) {
            const findings = cluster.report.findings.filter((finding) => !severities || severities.has(finding.severity));
            return { status: 200, json: { cluster: cluster.name, source: 'current', findings } };
          }
          const episodes = await requireHistory(deps).findingEpisodes({ cluster: cluster.name, ...range });
          return {
            status: 200,
            json: {
              cluster: cluster.name,
              source: 'history',
              ...range,
              episodes: severities ? episodes.filter(hasSeverityIn(severities)) : episodes,
            },
          };
        },
      },
    },
    {
      pattern: /^\/api\/v1\/nodes\/([^/]+)\/snapshot$/,
      public: false,
      methods: {
        GET: async (ctx) => {
          const name = param(ctx, 0);
          const found = nodeOf(ctx.view, name);
          if (found) {
            // The view says which snapshot is current; the store holds its content.
            const snapshot: unknown = await requireHistory(deps).snapshotOf(name, found.node.takenAt, found.cluster);
            if (snapshot === null || snapshot === undefined) {
              throw new HttpError(404, `the snapshot of ${JSON.stringify(name)} taken at ${found.node.takenAt} is not in the store`);
            }
            return { status: 200, json: snapshot };
          }
          // Sharing clusters: a node of another instance's cluster, at its latest stored snapshot.
          const cluster = deps.peers?.()?.clusterOfNode(name);
          if (cluster === undefined) throw new HttpError(404, `no snapshot of a node named ${JSON.stringify(name)}`);
          const snapshot: unknown = await requireHistory(deps).snapshotOf(name, new Date().toISOString(), cluster);
          if (snapshot === null || snapshot === undefined) {
            throw new HttpError(
              404,
              `no snapshot of ${JSON.stringify(name)} is stored yet (cluster ${cluster}, audited by another instance)`,
            );
          }
          return { status: 200, json: snapshot };
        },
      },
    },
    {
      pattern: /^\/api\/v1\/nodes\/([^/]+)\/changes$/,
      public: false,
      methods: {
        GET: async (ctx) => {
          const node = param(ctx, 0);
          const range = timeRange(ctx.query);
          const history = requireHistory(deps);
          // A node neither in the current view nor ever stored is unknown, not "no changes".
          if (!nodeOf(ctx.view, node) && (await history.knowsNode?.(node)) !== true) {
            throw new HttpError(404, `no node named ${JSON.stringify(node)} (not configured and never stored)`);
          }
          return { status: 200, json: { node, ...range, changes: await history.changes({ node, ...range }) } };
        },
      },
    },
    {
      pattern: /^\/api\/v1\/runs$/,
      public: false,
      methods: {
        POST: () =>
          deps.triggerRun() === 'started'
            ? { status: 202, json: { status: 'started' } }
            : { status: 409, json: { error: 'a run is in progress' } },
      },
    },
    {
      pattern: /^\/report\/([^/]+)$/,
      public: false,
      methods: {
        GET: async (ctx) => {
          const name = param(ctx, 0);
          const html = deps.reportHtml ? await deps.reportHtml(name) : null;
          if (html === null) throw new HttpError(404, `no report for a cluster named ${JSON.stringify(name)}`);
          return {
            status: 200,
            text: html,
            contentType: 'text/html; charset=utf-8',
            headers: { 'Content-Security-Policy': REPORT_CSP },
          };
        },
      },
    },
  ];
}
