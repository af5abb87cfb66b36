export { createMetrics, VIEW_METRICS, type DriftdMetrics } from './metrics.js';
export { KERNEL_RELEASE_ITEM } from './node-metrics.js';
export type { MetricSample, ViewMetric } from './view-metric.js';
