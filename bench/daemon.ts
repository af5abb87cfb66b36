/**
 * Measurement 5: /metrics latency (sequential scrapes over one keep-alive connection,
 * timed from the client) and the serving process's RSS with a 1000-node view loaded.
 *
 * The run part of the exposition is rendered once per view, so the steady-state scrapes
 * are cached ones. What a new run costs is measured on its own, after the steady-state
 * scrapes: SWAPS times a new view swapped in without prepare() and the first scrape
 * after it timed (the render on the scrape path), then SWAPS times a swap with prepare()
 * as the daemon does it (the render off the scrape path, timed in the child) and the
 * scrape after it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { childScript } from './child.js';
import type { DaemonMemory, DaemonReady, DaemonSwapped } from './daemon-child.js';
import { target, type Figure, type TargetCheck } from './result.js';
import { median, percentile, round } from './stats.js';

export interface DaemonOptions {
  clusters: number;
  nodesPerCluster: number;
  packages: number;
  scrapes: number;
  warmupScrapes: number;
  seed: number;
  /** New views swapped in after the steady-state scrapes, for the first-scrape figures. Default 10. */
  swaps?: number;
}

interface Spread {
  median: number;
  max: number;
}

export interface DaemonSummary {
  options: DaemonOptions;
  ready: DaemonReady;
  memory: DaemonMemory;
  latencyMs: { p50: number; p90: number; p99: number; max: number; median: number };
  /** The first scrape after a swap without prepare(): the run part rendered on the scrape path. */
  firstScrapeAfterSwapMs: Spread;
  /** prepare() right after a swap, in the child (what the daemon spends once per run). */
  prepareMs: Spread;
  /** The first scrape after a swap with prepare(). */
  firstScrapeAfterPreparedSwapMs: Spread;
  bodyBytes: number;
  series: number;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), max: Math.max(...values) };
}

export async function measureDaemon(options: DaemonOptions): Promise<DaemonSummary> {
  const child = fork(
    childScript('daemon-child.ts'),
    [String(options.clusters), String(options.nodesPerCluster), String(options.packages), String(options.seed)],
    { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  try {
    const ready = await nextMessage<DaemonReady>(child);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let body = '';
    for (let i = 0; i < options.warmupScrapes; i += 1) body = await scrape(agent, ready.port);
    const latencies: number[] = [];
    for (let i = 0; i < options.scrapes; i += 1) {
      const started = performance.now();
      body = await scrape(agent, ready.port);
      latencies.push(performance.now() - started);
    }
    const swaps = options.swaps ?? 10;
    const cold: number[] = [];
    const prepare: number[] = [];
    const prepared: number[] = [];
    for (let i = 0; i < swaps; i += 1) {
      child.send('swap');
      await nextMessage<DaemonSwapped>(child);
      const started = performance.now();
      await scrape(agent, ready.port);
      cold.push(performance.now() - started);
    }
    for (let i = 0; i < swaps; i += 1) {
      child.send('swap-prepare');
      const swapped = await nextMessage<DaemonSwapped>(child);
      if (swapped.prepareMs === undefined) throw new Error('daemon-child did not time prepare()');
      prepare.push(swapped.prepareMs);
      const started = performance.now();
      await scrape(agent, ready.port);
      prepared.push(performance.now() - started);
    }
    agent.destroy();
    child.send('report');
    const memory = await nextMessage<DaemonMemory>(child);
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    return {
      options,
      ready,
      memory,
      latencyMs: {
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        median: median(latencies),
      },
      firstScrapeAfterSwapMs: spread(cold),
      prepareMs: spread(prepare),
      firstScrapeAfterPreparedSwapMs: spread(prepared),
      bodyBytes: Buffer.byteLength(body),
      series: body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The daemon section's figures and targets, as run.ts prints and records them. */
export function daemonResults(s: DaemonSummary): { figures: Figure[]; targets: TargetCheck[] } {
  const swaps = s.options.swaps ?? 10;
  return {
    figures: [
      { label: `view: ${s.ready.clusters} clusters x ${s.options.nodesPerCluster} nodes, findings`, value: s.ready.findings },
      { label: '/metrics body', value: s.bodyBytes, unit: 'B' },
      { label: '/metrics series', value: s.series },
      { label: `/metrics p50 over ${s.options.scrapes} scrapes`, value: round(s.latencyMs.p50, 1), unit: 'ms' },
      { label: '/metrics max', value: round(s.latencyMs.max, 1), unit: 'ms' },
      { label: `first scrape after a swap, unprepared (median of ${swaps})`, value: round(s.firstScrapeAfterSwapMs.median, 1), unit: 'ms' },
      { label: 'first scrape after a swap, unprepared (max)', value: round(s.firstScrapeAfterSwapMs.max, 1), unit: 'ms' },
      { label: 'prepare() of the first view, right after it was built', value: round(s.ready.firstPrepareMs, 1), unit: 'ms' },
      { label: `prepare() after a swap, off the scrape path (median of ${swaps})`, value: round(s.prepareMs.median, 1), unit: 'ms' },
      { label: 'prepare() after a swap (max)', value: round(s.prepareMs.max, 1), unit: 'ms' },
      { label: 'first scrape after a prepared swap (median)', value: round(s.firstScrapeAfterPreparedSwapMs.median, 1), unit: 'ms' },
      { label: 'RSS after scrapes, before a forced GC', value: round(s.memory.rssMb, 0), unit: 'MB' },
      { label: 'JS heap used after GC', value: round(s.memory.heapUsedAfterGcMb, 0), unit: 'MB' },
      { label: 'RSS after 10 s idle + another full GC', value: round(s.memory.rssIdleMb, 0), unit: 'MB' },
      { label: 'JS heap committed after 10 s idle + GC', value: round(s.memory.heapTotalIdleMb, 0), unit: 'MB' },
      { label: 'peak RSS while building the view (snapshots, reports)', value: round(s.ready.maxRssAtReadyMb, 0), unit: 'MB' },
      { label: 'peak RSS over build, scrapes and swaps', value: round(s.memory.maxRssMb, 0), unit: 'MB' },
    ],
    targets: [
      target('daemon.metrics_p99', `/metrics p99, ${s.ready.nodes}-node view`, round(s.latencyMs.p99, 1), 'ms', '<', 50),
      target('daemon.rss', `RSS after scrapes + full GC, ${s.ready.nodes}-node view`, round(s.memory.rssAfterGcMb, 0), 'MB', '<', 300),
    ],
  };
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`daemon-child exited (${code}) before answering`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

function scrape(agent: Agent, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.once('end', () => {
        if (res.statusCode !== 200) reject(new Error(`/metrics answered ${res.statusCode}`));
        else resolve(body);
      });
      res.once('error', reject);
    });
    req.once('error', reject);
  });
}
