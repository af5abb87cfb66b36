/** What the HTTP server is given by the daemon: read-only access to the view, and one action. */
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

export interface HttpServerDeps {
  getView: () => DaemonView;
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
