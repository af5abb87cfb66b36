export { createMetrics, DAEMON_METRICS, RUN_RESULT_METRICS, VIEW_METRICS, type DriftdMetrics } from './metrics.js';
export { EXPOSITION_CONTENT_TYPE } from './exposition.js';
export { KERNEL_RELEASE_ITEM } from './node-metrics.js';
export type { MetricSample, RunResults, ViewMetric } from './view-metric.js';
