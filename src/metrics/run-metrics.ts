/** The daemon's own health: build, runs, config reloads. */
import { boolValue, isoToUnixSeconds, type MetricSample, type ViewMetric } from './view-metric.js';

/** Unlabelled series with an optional value: absent rather than a misleading 0. */
function single(value: number | null): MetricSample[] {
  return value === null ? [] : [{ labels: {}, value }];
}

export const buildInfoMetric: ViewMetric = {
  name: 'driftd_build_info',
  help: 'driftd version (always 1).',
  type: 'gauge',
  labelNames: ['version'],
  samples: (view) => [{ labels: { version: view.version }, value: 1 }],
};

export const startTimeMetric: ViewMetric = {
  name: 'driftd_start_time_seconds',
  help: 'When the daemon started, Unix seconds.',
  type: 'gauge',
  labelNames: [],
  samples: (view) => single(isoToUnixSeconds(view.startedAt)),
};

export const runsTotalMetric: ViewMetric = {
  name: 'driftd_runs_total',
  help: 'Collection runs started since the daemon started.',
  type: 'counter',
  labelNames: [],
  samples: (view) => single(view.runs.total),
};

export const runFailuresTotalMetric: ViewMetric = {
  name: 'driftd_run_failures_total',
  help: 'Collection runs that failed as a whole since the daemon started.',
  type: 'counter',
  labelNames: [],
  samples: (view) => single(view.runs.failures),
};

export const runDurationMetric: ViewMetric = {
  name: 'driftd_run_duration_seconds',
  help: 'Wall time of the last completed run. Absent before the first run.',
  type: 'gauge',
  labelNames: [],
  samples: (view) => single(view.runs.lastDurationSeconds),
};

export const runInProgressMetric: ViewMetric = {
  name: 'driftd_run_in_progress',
  help: '1 while a run is in progress.',
  type: 'gauge',
  labelNames: [],
  samples: (view) => single(boolValue(view.runs.running)),
};

export const lastRunMetric: ViewMetric = {
  name: 'driftd_last_run_timestamp_seconds',
  help: 'When the last run finished (successfully or not), Unix seconds. Absent before the first run.',
  type: 'gauge',
  labelNames: [],
  samples: (view) => single(isoToUnixSeconds(view.runs.lastRunAt)),
};

export const lastSuccessfulRunMetric: ViewMetric = {
  name: 'driftd_last_successful_run_timestamp_seconds',
  help: 'When the last successful run finished, Unix seconds. Absent before the first one.',
  type: 'gauge',
  labelNames: [],
  samples: (view) => single(isoToUnixSeconds(view.runs.lastSuccessAt)),
};

export const configReloadSuccessMetric: ViewMetric = {
  name: 'driftd_config_reload_success',
  help: '1 when the last configuration (re)load succeeded, else 0 (the previous configuration stays in force).',
  type: 'gauge',
  labelNames: [],
  samples: (view) => single(boolValue(view.config.reloadSuccess)),
};

export const configLastReloadMetric: ViewMetric = {
  name: 'driftd_config_last_reload_timestamp_seconds',
  help: 'When the configuration was last (re)loaded, Unix seconds. Absent until the first reload.',
  type: 'gauge',
  labelNames: [],
  samples: (view) => single(isoToUnixSeconds(view.config.lastReloadAt)),
};

export const RUN_METRICS: readonly ViewMetric[] = [
  buildInfoMetric,
  startTimeMetric,
  runsTotalMetric,
  runFailuresTotalMetric,
  runDurationMetric,
  runInProgressMetric,
  lastRunMetric,
  lastSuccessfulRunMetric,
  configReloadSuccessMetric,
  configLastReloadMetric,
];
