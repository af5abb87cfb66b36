/**
 * The Prometheus surface: exposition text written straight from the view (exposition.ts),
 * no registry and no per-series objects.
 *
 * Two parts per scrape:
 * - the daemon's own health (runs, reloads, build): a dozen series, rendered each scrape;
 * - what the last run produced (findings, scores, nodes, windows): tens of thousands of
 *   series at a thousand nodes, a function of `view.clusters` and `view.windows` only.
 *   The daemon swaps those two arrays once per run and never mutates them, so their text
 *   is rendered once per run and kept until the next swap (memoised on their identity).
 *   The daemon calls prepare() right after the swap, so no scrape pays for the render.
 */
import type { DaemonView } from '../view/view.js';
import { CLUSTER_METRICS } from './cluster-metrics.js';
import { EXPOSITION_CONTENT_TYPE, renderFamily } from './exposition.js';
import { FAILOVER_METRICS } from './failover-metrics.js';
import { NODE_METRICS } from './node-metrics.js';
import { RUN_METRICS } from './run-metrics.js';
import type { RunResults, ViewMetric } from './view-metric.js';
import { WINDOW_METRICS } from './window-metrics.js';

/** Rendered on every scrape: cheap, and they change between runs (running, reloads). */
export const DAEMON_METRICS: readonly ViewMetric[] = RUN_METRICS;
/** Rendered once per run: they read only `clusters` and `windows`. */
export const RUN_RESULT_METRICS: readonly ViewMetric<RunResults>[] = [
  ...CLUSTER_METRICS,
  ...NODE_METRICS,
  ...FAILOVER_METRICS,
  ...WINDOW_METRICS,
];
export const VIEW_METRICS: readonly ViewMetric[] = [...DAEMON_METRICS, ...RUN_RESULT_METRICS];

export interface DriftdMetrics {
  /** The whole exposition for the current view, as text. */
  render(): Promise<string>;
  /**
   * The same exposition as bytes to write in order: the daemon's own series, then the
   * run part encoded once per run (not copied or re-encoded per scrape).
   */
  exposition(): Promise<readonly Buffer[]>;
  /**
   * Renders the run part for `view` now (default: the current view), so the next scrape
   * only adds the daemon's own dozen series. Call it after swapping in a new run.
   */
  prepare(view?: DaemonView): void;
  contentType: string;
}

interface RenderedRun {
  clusters: RunResults['clusters'];
  windows: RunResults['windows'];
  /** Kept encoded only: scrapes write these bytes; render() decodes them (tests, tools). */
  bytes: Buffer;
}

function renderAll<View>(metrics: readonly ViewMetric<View>[], view: View): string {
  return metrics.map((metric) => renderFamily(metric, metric.samples(view))).join('\n');
}

export function createMetrics(getView: () => DaemonView): DriftdMetrics {
  let rendered: RenderedRun | undefined;

  const runPart = (view: DaemonView): RenderedRun => {
    if (rendered && rendered.clusters === view.clusters && rendered.windows === view.windows) return rendered;
    const bytes = Buffer.from(renderAll(RUN_RESULT_METRICS, view), 'utf8');
    rendered = { clusters: view.clusters, windows: view.windows, bytes };
    return rendered;
  };
  // The daemon's part ends with a blank line that separates it from the run part.
  const daemonPart = (view: DaemonView): string => `${renderAll(DAEMON_METRICS, view)}\n`;

  return {
    contentType: EXPOSITION_CONTENT_TYPE,
    // One view per scrape: every family of one exposition reads the same run.
    render(): Promise<string> {
      const view = getView();
      return Promise.resolve(daemonPart(view) + runPart(view).bytes.toString('utf8'));
    },
    exposition(): Promise<readonly Buffer[]> {
      const view = getView();
      return Promise.resolve([Buffer.from(daemonPart(view), 'utf8'), runPart(view).bytes]);
    },
    prepare(view = getView()): void {
      runPart(view);
    },
  };
}
