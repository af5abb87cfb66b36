/** What the HTTP server is given by the daemon: read-only access to the view, and one action. */
import type { CheckReport } from '../core/check-report.js';
import type { DaemonView } from '../view/view.js';
import type { HistoryReader } from './history-reader.js';

/** The subset of pino the server uses; a pino Logger fits. */
export interface HttpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MetricsRenderer {
  /** The Prometheus exposition as byte chunks, written in order without copying. */
  exposition(): Promise<readonly Buffer[]>;
  contentType: string;
}

/** A cluster another instance audits, as its latest stored run says. */
export interface PeerCluster {
  report: CheckReport;
  /** When that run finished. */
  lastRunAt: string;
  /** The instance that stored it (its run meta), null if none is recorded. */
  auditedBy: string | null;
}

/**
 * Sharing clusters with other instances (PostgreSQL, README "Several instances"): the
 * configured clusters this instance does not audit, answered from the store so that any
 * instance's API shows every cluster.
 */
export interface PeerClusters {
  /** This instance's id, reported as `auditedBy` of the clusters in its own view. */
  self: string;
  /** Configured clusters not in this instance's view, in config order. */
  names(): string[];
  /** The cluster's latest stored run; null when none is stored yet. */
  latest(cluster: string): Promise<PeerCluster | null>;
  /** The configured cluster a node belongs to, if it is one of `names()`. */
  clusterOfNode(node: string): string | undefined;
}

export interface HttpServerDeps {
  getView: () => DaemonView;
  /** Set only when clusters are shared with other instances; null when not (now). */
  peers?: () => PeerClusters | null;
  metrics: MetricsRenderer;
  history?: HistoryReader;
  /** Starts a run in the background unless one is in progress. */
  triggerRun: () => 'started' | 'busy';
  /**
   * When set, every route but /metrics, /healthz and /readyz needs `Authorization: Bearer <token>`.
   * A function is asked on every request, so the daemon can swap the token on SIGHUP.
   */
  token?: string | (() => string | undefined);
  logger: HttpLogger;
  /** The HTML report of a cluster; null when there is none. */
  reportHtml?: (cluster: string) => Promise<string | null>;
  /** Request bodies above this are refused with 413. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Slow-client limits; the defaults suit production, tests shorten them. */
  timeouts?: HttpTimeouts;
}

export interface HttpTimeouts {
  /** Time to receive the request headers. Default 10 s. */
  headersMs?: number;
  /** Time to receive the whole request. Default 30 s. */
  requestMs?: number;
}
