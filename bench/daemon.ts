/**
 * Measurement 5: /metrics latency (sequential scrapes over one keep-alive connection,
 * timed from the client) and the serving process's RSS with a 1000-node view loaded.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { childScript } from './child.js';
import type { DaemonMemory, DaemonReady } from './daemon-child.js';
import { median, percentile } from './stats.js';

export interface DaemonOptions {
  clusters: number;
  nodesPerCluster: number;
  packages: number;
  scrapes: number;
  warmupScrapes: number;
  seed: number;
}

export interface DaemonSummary {
  options: DaemonOptions;
  ready: DaemonReady;
  memory: DaemonMemory;
  latencyMs: { p50: number; p90: number; p99: number; max: number; median: number };
  bodyBytes: number;
  series: number;
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
      bodyBytes: Buffer.byteLength(body),
      series: body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
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
