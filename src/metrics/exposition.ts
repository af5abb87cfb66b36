/**
 * The Prometheus text exposition format (version 0.0.4), written directly: one
 * `# HELP`, one `# TYPE` and the samples of each family, values as JavaScript prints
 * them. No per-series objects, no label hashing beyond one map per family that keeps
 * each series once (a later sample of the same series replaces a gauge's value and adds
 * to a counter's, as prom-client's set() and inc() did).
 */
import type { MetricSample, ViewMetric } from './view-metric.js';

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const HELP_ESCAPES = /[\\\n]/;
const LABEL_ESCAPES = /[\\"\n]/;

function escapeHelp(text: string): string {
  return HELP_ESCAPES.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text;
}

function escapeLabelValue(text: string): string {
  return LABEL_ESCAPES.test(text) ? text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : text;
}

export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `{a="x",b="y"}` in the metric's label order; '' for an unlabelled metric. */
function labelSet(labelNames: readonly string[], sample: MetricSample): string {
  if (labelNames.length === 0) return '';
  let text = '{';
  for (let i = 0; i < labelNames.length; i += 1) {
    const name = labelNames[i] as string;
    if (i > 0) text += ',';
    text += `${name}="${escapeLabelValue(sample.labels[name] ?? '')}"`;
  }
  return `${text}}`;
}

/**
 * One metric family as exposition text. A family without samples keeps its HELP and
 * TYPE lines (so every metric is always declared) and exposes no series: an unknown
 * value is absent, never a misleading 0.
 */
export function renderFamily<View>(metric: ViewMetric<View>, samples: readonly MetricSample[]): string {
  const series = new Map<string, number>();
  for (const sample of samples) {
    const labels = labelSet(metric.labelNames, sample);
    const previous = series.get(labels);
    series.set(labels, metric.type === 'counter' && previous !== undefined ? previous + sample.value : sample.value);
  }
  const lines = [`# HELP ${metric.name} ${escapeHelp(metric.help)}`, `# TYPE ${metric.name} ${metric.type}`];
  for (const [labels, value] of series) lines.push(`${metric.name}${labels} ${formatSampleValue(value)}`);
  return `${lines.join('\n')}\n`;
}
