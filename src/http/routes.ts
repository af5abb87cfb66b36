/**
 * The route table. Each handler reads one view (taken once per request) and returns a
 * Reply; the server owns sockets, auth, bodies and error mapping.
 */
import type { DaemonView } from '../view/view.js';
import type { HttpServerDeps } from './deps.js';
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

function clusterOf(view: DaemonView, name: string) {
  const cluster = view.clusters.find((candidate) => candidate.name === name);
  if (!cluster) throw new HttpError(404, `no cluster named ${JSON.stringify(name)}`);
  return cluster;
}

/** The first cluster (in view order) with a node of that name, and the node's summary. */
function nodeOf(view: DaemonView, name: string) {
  for (const cluster of view.clusters) {
    const node = cluster.nodes.find((candidate) => candidate.node === name);
    if (node) return { cluster: cluster.name, node };
  }
  return undefined;
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
        GET: ({ view }) => ({
          status: 200,
          json: {
            clusters: view.clusters.map((cluster) => ({
              name: cluster.name,
              ready: cluster.report.ready,
              score: cluster.report.score,
              lastRunAt: cluster.lastRunAt,
              checkedAt: cluster.report.checkedAt,
              nodes: cluster.report.nodes.length,
              counts: cluster.report.summary,
            })),
          },
        }),
      },
    },
    {
      pattern: /^\/api\/v1\/clusters\/([^/]+)$/,
      public: false,
      methods: { GET: (ctx) => ({ status: 200, json: clusterOf(ctx.view, param(ctx, 0)).report }) },
    },
    {
      pattern: /^\/api\/v1\/clusters\/([^/]+)\/findings$/,
      public: false,
      methods: {
        GET: async (ctx) => {
          const cluster = clusterOf(ctx.view, param(ctx, 0));
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
          if (!found) throw new HttpError(404, `no snapshot of a node named ${JSON.stringify(name)}`);
          // The view says which snapshot is current; the store holds its content.
          const snapshot: unknown = await requireHistory(deps).snapshotOf(name, found.node.takenAt, found.cluster);
          if (snapshot === null || snapshot === undefined) {
            throw new HttpError(404, `the snapshot of ${JSON.stringify(name)} taken at ${found.node.takenAt} is not in the store`);
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
