/**
 * The Prometheus surface: one private Registry (never prom-client's global one, so tests
 * and embedders can build as many as they like), every metric computed from the view at
 * scrape time.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { DaemonView } from '../daemon/view.js';
import { CLUSTER_METRICS } from './cluster-metrics.js';
import { NODE_METRICS } from './node-metrics.js';
import { RUN_METRICS } from './run-metrics.js';
import type { MetricSample, ViewMetric } from './view-metric.js';
import { WINDOW_METRICS } from './window-metrics.js';

export const VIEW_METRICS: readonly ViewMetric[] = [...RUN_METRICS, ...CLUSTER_METRICS, ...NODE_METRICS, ...WINDOW_METRICS];

export interface DriftdMetrics {
  registry: Registry;
  render(): Promise<string>;
  contentType: string;
}

interface SettableMetric {
  reset(): void;
  remove(...values: string[]): void;
}

/** Replace the metric's series by the samples; an unlabelled metric with no sample is dropped, not shown as 0. */
function apply(metric: SettableMetric, definition: ViewMetric, samples: MetricSample[], write: (sample: MetricSample) => void): void {
  metric.reset();
  if (samples.length === 0 && definition.labelNames.length === 0) metric.remove();
  for (const sample of samples) write(sample);
}

function register(registry: Registry, definition: ViewMetric, viewForScrape: () => DaemonView): void {
  const config = {
    name: definition.name,
    help: definition.help,
    labelNames: [...definition.labelNames],
    registers: [registry],
  };
  if (definition.type === 'counter') {
    new Counter({
      ...config,
      collect() {
        apply(this, definition, definition.samples(viewForScrape()), (sample) => this.inc(sample.labels, sample.value));
      },
    });
  } else {
    new Gauge({
      ...config,
      collect() {
        apply(this, definition, definition.samples(viewForScrape()), (sample) => this.set(sample.labels, sample.value));
      },
    });
  }
}

export function createMetrics(getView: () => DaemonView): DriftdMetrics {
  const registry = new Registry();
  // One view per scrape: every metric of one exposition reads the same run, even if the
  // daemon swaps the view halfway. Renders are serialised so the pin cannot be shared.
  let pinned: DaemonView | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  for (const definition of VIEW_METRICS) register(registry, definition, () => pinned ?? getView());

  const renderOnce = async (): Promise<string> => {
    pinned = getView();
    try {
      return await registry.metrics();
    } finally {
      pinned = undefined;
    }
  };

  return {
    registry,
    contentType: registry.contentType,
    render(): Promise<string> {
      const result = queue.then(renderOnce);
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
