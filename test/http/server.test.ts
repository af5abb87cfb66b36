import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckReportSchema } from '../../src/core/check-report.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { emptyView, summarizeSnapshot, type DaemonView } from '../../src/view/view.js';
import { createHttpServer, type HttpLogger, type HttpServerDeps, type HistoryReader } from '../../src/http/server.js';
import { createMetrics } from '../../src/metrics/index.js';
import { Store } from '../../src/store/index.js';
import { parseExposition, valueOf } from '../metrics/exposition.js';
import { HANDMADE_REPORTS, handmadeSnapshots, handmadeView } from '../metrics/handmade-view.js';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

function recordingLogger(lines: LogLine[]): HttpLogger {
  return {
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

const TOKEN = 's3cret-token-for-tests';
const started: Array<{ close(): Promise<void> }> = [];
const stores: Array<{ store: Store; dir: string }> = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
  for (const { store, dir } of stores.splice(0)) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A real SQLite store holding the hand-made view's run of each cluster (what the daemon stores). */
async function storeWithHandmadeRuns(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'driftd-http-'));
  const store = await Store.open(join(dir, 'driftd.db'));
  stores.push({ store, dir });
  const snapshots = handmadeSnapshots();
  for (const cluster of ['pg-ha', 'nfs-ha'] as const) {
    await store.saveRun({
      cluster,
      startedAt: '2026-11-26T07:59:00.000Z',
      finishedAt: '2026-11-26T08:00:00.000Z',
      snapshots: snapshots[cluster],
      report: HANDMADE_REPORTS[cluster],
    });
  }
  return store;
}

interface Harness {
  base: string;
  logs: LogLine[];
  setView(view: DaemonView): void;
  historyCalls: Array<{ method: string; query: object }>;
  runs: { busy: boolean; triggered: number };
  store: Store;
}

async function start(overrides: Partial<HttpServerDeps> = {}): Promise<Harness> {
  let view = handmadeView();
  const logs: LogLine[] = [];
  const historyCalls: Harness['historyCalls'] = [];
  const runs = { busy: false, triggered: 0 };
  const store = await storeWithHandmadeRuns();
  const history: HistoryReader = {
    findingEpisodes: (query) => {
      historyCalls.push({ method: 'findingEpisodes', query });
      return [
        { findingId: 'f-old', severity: 'critical', firstSeen: '2026-11-01T00:00:00.000Z' },
        { findingId: 'f-sysctl-swappiness', severity: 'warning', firstSeen: '2026-11-01T00:00:00.000Z' },
      ];
    },
    changes: (query) => {
      historyCalls.push({ method: 'changes', query });
      return [{ node: 'pg2', facet: 'packages', key: 'drbd-utils', change: 'changed', before: '9.22.0-1', after: '9.15.0-1' }];
    },
    snapshotOf: (node, at, cluster) => store.snapshotOf(node, at, cluster),
  };
  const server = createHttpServer({
    getView: () => view,
    metrics: createMetrics(() => view),
    history,
    triggerRun: () => {
      if (runs.busy) return 'busy';
      runs.busy = true;
      runs.triggered += 1;
      return 'started';
    },
    logger: recordingLogger(logs),
    reportHtml: async (cluster) => (cluster === 'pg-ha' ? '<!doctype html><title>pg-ha</title>' : null),
    ...overrides,
  });
  started.push(server);
  const address = await server.listen('127.0.0.1', 0);
  expect(address.host).toBe('127.0.0.1');
  expect(address.port).toBeGreaterThan(0);
  return { base: `http://127.0.0.1:${address.port}`, logs, setView: (next) => (view = next), historyCalls, runs, store };
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, init);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe('probes and /metrics', () => {
  it('/healthz answers 200 whatever the run state', async () => {
    const h = await start();
    h.setView(emptyView());
    expect(await getJson(`${h.base}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz is 503 until the first run completed, then 200', async () => {
    const h = await start();
    h.setView(emptyView());
    expect((await getJson(`${h.base}/readyz`)).status).toBe(503);
    h.setView(handmadeView());
    expect((await getJson(`${h.base}/readyz`)).status).toBe(200);
  });

  it('/metrics serves the exposition with the Prometheus content type', async () => {
    const h = await start();
    const response = await fetch(`${h.base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toMatch(/^driftd_runs_total 12$/m);
  });

  it('/metrics after a view swap shows the new run, not the exposition of the previous one', async () => {
    const h = await start();
    const read = async () => parseExposition(await (await fetch(`${h.base}/metrics`)).text());
    const before = await read();
    expect(valueOf(before, 'driftd_cluster_ready', { cluster: 'nfs-ha' })).toBe(1);
    const view = handmadeView();
    h.setView({
      ...view,
      runs: { ...view.runs, total: 13 },
      clusters: view.clusters.map((c) => (c.name === 'nfs-ha' ? { ...c, report: { ...c.report, ready: false, score: 0.5 } } : c)),
    });
    const after = await read();
    expect(valueOf(after, 'driftd_runs_total')).toBe(13);
    expect(valueOf(after, 'driftd_cluster_ready', { cluster: 'nfs-ha' })).toBe(0);
    expect(valueOf(after, 'driftd_cluster_readiness_ratio', { cluster: 'nfs-ha' })).toBe(0.5);
  });

  it('/metrics has a Content-Length that matches the bytes sent', async () => {
    const h = await start();
    const response = await fetch(`${h.base}/metrics`);
    const body = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(body.length);
    expect(body.toString('utf8')).toBe(await createMetrics(handmadeView).render());
  });

  it('HEAD /metrics answers the headers of the exposition and no body', async () => {
    const h = await start();
    const response = await fetch(`${h.base}/metrics`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await response.text()).toBe('');
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
  });

  it('HEAD works where GET does, without a body', async () => {
    const h = await start();
    const response = await fetch(`${h.base}/healthz`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('cluster API', () => {
  it('lists clusters with readiness, score and counts', async () => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/clusters`);
    expect(status).toBe(200);
    expect(body['clusters']).toEqual([
      {
        name: 'pg-ha',
        ready: false,
        score: 0.45,
        lastRunAt: '2026-11-26T08:00:00.000Z',
        checkedAt: '2026-11-26T08:00:00.000Z',
        nodes: 3,
        counts: { critical: 2, warning: 1, info: 0, waived: 1 },
      },
      {
        name: 'nfs-ha',
        ready: true,
        score: 1,
        lastRunAt: '2026-11-26T08:00:00.000Z',
        checkedAt: '2026-11-26T08:00:00.000Z',
        nodes: 2,
        counts: { critical: 0, warning: 0, info: 0, waived: 0 },
      },
    ]);
  });

  it('serves a cluster as the CheckReport contract', async () => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/clusters/pg-ha`);
    expect(status).toBe(200);
    const report = CheckReportSchema.parse(body);
    expect(report).toEqual(handmadeView().clusters[0]?.report);
  });

  it('404s an unknown cluster with a JSON error', async () => {
    const h = await start();
    expect(await getJson(`${h.base}/api/v1/clusters/nope`)).toMatchObject({ status: 404, body: { error: 'no cluster named "nope"' } });
  });

  it.each([
    ['', ['f-pkg-drbd-utils', 'f-node-pg3-unreachable', 'f-sysctl-swappiness', 'f-kernel-release']],
    ['?severity=critical', ['f-pkg-drbd-utils', 'f-node-pg3-unreachable']],
    ['?severity=warning,info', ['f-sysctl-swappiness', 'f-kernel-release']],
  ])('current findings %s', async (query, ids) => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/clusters/pg-ha/findings${query}`);
    expect(status).toBe(200);
    expect(body['source']).toBe('current');
    expect((body['findings'] as Array<{ id: string }>).map((f) => f.id)).toEqual(ids);
    expect(h.historyCalls).toEqual([]);
  });

  it('findings since a time come from history, with the time normalised to UTC', async () => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/clusters/pg-ha/findings?since=2026-11-20T01:00:00%2B01:00&severity=critical`);
    expect(status).toBe(200);
    expect(h.historyCalls).toEqual([{ method: 'findingEpisodes', query: { cluster: 'pg-ha', since: '2026-11-20T00:00:00.000Z' } }]);
    expect(body).toMatchObject({ source: 'history', since: '2026-11-20T00:00:00.000Z' });
    expect((body['episodes'] as Array<{ findingId: string }>).map((e) => e.findingId)).toEqual(['f-old']);
  });

  it.each([
    ['since=yesterday', /since must be an ISO 8601 UTC date-time such as 2026-11-26T08:00:00Z/],
    ['since=1700000000', /since must be an ISO 8601/],
    ['since=2026-11-26T08:00:00', /since must be an ISO 8601/],
    ['since=2026-13-45', /since must be an ISO 8601/],
    ['until=2026-11-26T08:00:00Z&since=2026-11-27T00:00:00Z', /since \(2026-11-27T00:00:00.000Z\) is after until/],
    ['severity=fatal', /severity must be one or more of critical, warning, info/],
  ])('rejects a bad query (%s) with 400 and the expected format', async (query, message) => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/clusters/pg-ha/findings?${query}`);
    expect(status).toBe(400);
    expect(body['error']).toMatch(message);
    expect(h.historyCalls).toEqual([]);
  });

  it('answers 501 for history queries when no store is configured', async () => {
    const h = await start({ history: undefined });
    const { status, body } = await getJson(`${h.base}/api/v1/clusters/pg-ha/findings?since=2026-11-01`);
    expect(status).toBe(501);
    expect(body['error']).toMatch(/history is not available/);
  });
});

describe('node API', () => {
  it('serves the latest snapshot of a node', async () => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/nodes/pg2/snapshot`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ cluster: 'pg-ha', node: 'pg2', facets: { kernel: { items: { release: { value: '6.1.0-26-amd64' } } } } });
  });

  it('404s a node it has no snapshot of', async () => {
    const h = await start();
    expect((await getJson(`${h.base}/api/v1/nodes/ghost/snapshot`)).status).toBe(404);
  });

  it('reads the full snapshot from the store, the one the view names, not a newer one stored meanwhile', async () => {
    const h = await start();
    // A run in progress has stored pg2 again (kernel upgraded) but not swapped the view yet.
    const newer: NodeSnapshot = {
      cluster: 'pg-ha',
      node: 'pg2',
      takenAt: '2026-11-26T08:15:31.000Z',
      facets: { kernel: { status: 'ok', items: { release: { value: '6.1.0-28-amd64' } }, durationMs: 40 } },
    };
    const others = handmadeSnapshots()['pg-ha'].filter((snapshot) => snapshot.node !== 'pg2');
    await h.store.saveRun({
      cluster: 'pg-ha',
      startedAt: '2026-11-26T08:15:00.000Z',
      finishedAt: '2026-11-26T08:16:00.000Z',
      snapshots: [...others, newer],
      report: HANDMADE_REPORTS['pg-ha'],
    });
    const served = await getJson(`${h.base}/api/v1/nodes/pg2/snapshot`);
    expect(served.body).toEqual(handmadeSnapshots()['pg-ha'].find((snapshot) => snapshot.node === 'pg2'));

    // The daemon swaps in the new run: the route follows the view.
    const view = handmadeView();
    h.setView({
      ...view,
      clusters: view.clusters.map((c) => (c.name === 'pg-ha' ? { ...c, nodes: [...others, newer].map(summarizeSnapshot) } : c)),
    });
    const after = await getJson(`${h.base}/api/v1/nodes/pg2/snapshot`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(newer);
  });

  it("serves an unreachable node's snapshot with its error", async () => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/nodes/pg3/snapshot`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ cluster: 'pg-ha', node: 'pg3', error: 'connect ECONNREFUSED 127.0.0.3:22', facets: {} });
  });

  it('404s a node of the view whose snapshot is not in the store, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftd-http-empty-'));
    const empty = await Store.open(join(dir, 'driftd.db'));
    stores.push({ store: empty, dir });
    const h = await start({
      history: { findingEpisodes: () => [], changes: () => [], snapshotOf: (node, at, cluster) => empty.snapshotOf(node, at, cluster) },
    });
    const { status, body } = await getJson(`${h.base}/api/v1/nodes/pg2/snapshot`);
    expect(status).toBe(404);
    expect(body['error']).toMatch(/taken at 2026-11-26T07:59:31.000Z is not in the store/);
  });

  it('answers 501 for a node snapshot when no store is configured', async () => {
    const h = await start({ history: undefined });
    expect((await getJson(`${h.base}/api/v1/nodes/pg2/snapshot`)).status).toBe(501);
    expect((await getJson(`${h.base}/api/v1/nodes/ghost/snapshot`)).status).toBe(404);
  });

  it('reads changes from history with node, since and until', async () => {
    const h = await start();
    const { status, body } = await getJson(`${h.base}/api/v1/nodes/pg2/changes?since=2026-11-01&until=2026-11-26T08:00:00Z`);
    expect(status).toBe(200);
    expect(h.historyCalls).toEqual([
      { method: 'changes', query: { node: 'pg2', since: '2026-11-01T00:00:00.000Z', until: '2026-11-26T08:00:00.000Z' } },
    ]);
    expect(body['changes']).toHaveLength(1);
  });

  it('404s the changes of a node that is neither in the view nor ever stored (issue #22)', async () => {
    const h = await start();
    const unknown = await getJson(`${h.base}/api/v1/nodes/ghost/changes`);
    expect(unknown.status).toBe(404);
    expect(unknown.body['error']).toMatch(/no node named "ghost"/);
    expect(h.historyCalls).toEqual([]);
    // A node no longer in the view but known to the store still has its change log.
    const known = await start({
      getView: () => emptyView('test', '2026-11-26T08:00:00.000Z'),
      history: { findingEpisodes: () => [], changes: () => [], snapshotOf: () => null, knowsNode: (node) => node === 'retired' },
    });
    expect((await getJson(`${known.base}/api/v1/nodes/retired/changes`)).status).toBe(200);
    expect((await getJson(`${known.base}/api/v1/nodes/ghost/changes`)).status).toBe(404);
  });

  it('400s a path segment that is not valid percent-encoding', async () => {
    const h = await start();
    expect((await getJson(`${h.base}/api/v1/nodes/%E0%A4%A/snapshot`)).status).toBe(400);
  });
});

describe('runs', () => {
  it('POST /api/v1/runs starts a run (202), then says a run is in progress (409)', async () => {
    const h = await start();
    expect(await getJson(`${h.base}/api/v1/runs`, { method: 'POST' })).toMatchObject({ status: 202, body: { status: 'started' } });
    expect(await getJson(`${h.base}/api/v1/runs`, { method: 'POST' })).toMatchObject({
      status: 409,
      body: { error: 'a run is in progress' },
    });
    expect(h.runs.triggered).toBe(1);
  });

  it('refuses a body over the limit with 413 and does not start a run', async () => {
    const h = await start({ maxBodyBytes: 1024 });
    const { status, body } = await getJson(`${h.base}/api/v1/runs`, { method: 'POST', body: 'x'.repeat(4096) });
    expect(status).toBe(413);
    expect(body['error']).toMatch(/over 1024 bytes/);
    expect(h.runs.triggered).toBe(0);
  });

  it('refuses a chunked body that grows over the limit', async () => {
    const h = await start({ maxBodyBytes: 1024 });
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i += 1) controller.enqueue(new Uint8Array(512));
        controller.close();
      },
    });
    const response = await fetch(`${h.base}/api/v1/runs`, { method: 'POST', body: chunks, duplex: 'half' });
    expect(response.status).toBe(413);
    expect(h.runs.triggered).toBe(0);
  });
});

describe('routing errors', () => {
  it.each([
    ['GET', '/api/v1/runs', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/api/v1/clusters/pg-ha', 'GET, HEAD'],
  ])('%s %s is 405 with Allow: %s', async (method, path, allow) => {
    const h = await start();
    const { status, headers, body } = await getJson(`${h.base}${path}`, { method });
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe(allow);
    expect(body['error']).toMatch(/not allowed/);
  });

  it('404s an unknown route', async () => {
    const h = await start();
    expect(await getJson(`${h.base}/api/v2/nothing`)).toMatchObject({ status: 404, body: { error: 'no route for /api/v2/nothing' } });
  });

  it('answers an internal error with 500 and no stack trace, and logs it', async () => {
    const h = await start({
      history: {
        findingEpisodes: () => {
          throw new Error('database is locked at /var/lib/driftd/driftd.db');
        },
        changes: () => [],
        snapshotOf: () => null,
      },
    });
    const response = await fetch(`${h.base}/api/v1/clusters/pg-ha/findings?since=2026-11-01`);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: 'internal error; see the driftd log' });
    expect(text).not.toMatch(/locked|at .*\.ts|\/var\/lib/);
    expect(h.logs.filter((line) => line.level === 'error')).toHaveLength(1);
  });

  it('answers a failing metrics render with 500', async () => {
    const h = await start({ metrics: { contentType: 'text/plain', exposition: () => Promise.reject(new Error('boom')) } });
    expect((await getJson(`${h.base}/metrics`)).status).toBe(500);
  });

  it('answers malformed HTTP with 400 and keeps serving', async () => {
    const h = await start();
    const port = Number(new URL(h.base).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
  });

  it("node's own 400 and 431 answers are JSON like every other API error (issue #22)", async () => {
    const h = await start();
    const port = Number(new URL(h.base).port);
    const exchange = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
    const split = (reply: string) => {
      const [head, body] = reply.split('\r\n\r\n') as [string, string];
      return { head, body };
    };
    const bad = split(await exchange('NOT HTTP\r\n\r\n'));
    expect(bad.head).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(bad.head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(bad.body)).toEqual({ error: 'malformed HTTP request' });
    const huge = split(await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(huge.head).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge.head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(huge.body)).toEqual({ error: 'request headers too large' });
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
  });
});

describe('HTML report', () => {
  it('serves the report as HTML with a restrictive CSP', async () => {
    const h = await start();
    const response = await fetch(`${h.base}/report/pg-ha`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(await response.text()).toContain('<title>pg-ha</title>');
  });

  it('its CSP lets no script run (the report has none): no script-src, default-src none, no base, form or framing', async () => {
    const h = await start();
    const csp = (await fetch(`${h.base}/report/pg-ha`)).headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...values]) => [name, values.join(' ')]),
    );
    expect(directives.get('default-src')).toBe("'none'");
    // Scripts fall back to default-src 'none'; nothing may loosen that.
    expect(directives.has('script-src')).toBe(false);
    expect(directives.has('script-src-elem')).toBe(false);
    expect(directives.has('script-src-attr')).toBe(false);
    expect(directives.get('style-src')).toBe("'unsafe-inline'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'none'");
    expect(directives.get('form-action')).toBe("'none'");
  });

  it.each([
    ['a cluster without a report', {}],
    ['a server without a report renderer', { reportHtml: undefined }],
  ])('404s %s', async (_, overrides) => {
    const h = await start(overrides);
    expect((await getJson(`${h.base}/report/nfs-ha`)).status).toBe(404);
  });
});

describe('bearer token', () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it.each(['/healthz', '/readyz', '/metrics'])('%s stays open without a token', async (path) => {
    const h = await start({ token: TOKEN });
    expect((await fetch(`${h.base}${path}`)).status).toBe(200);
  });

  it.each([
    ['no header', {}],
    ['a wrong token', { Authorization: 'Bearer wrong' }],
    ['a token that is a prefix', { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['another scheme', { Authorization: `Basic ${TOKEN}` }],
  ])('refuses the API with %s: 401 JSON and WWW-Authenticate', async (_, headers) => {
    const h = await start({ token: TOKEN });
    for (const [method, path] of [
      ['GET', '/api/v1/clusters'],
      ['POST', '/api/v1/runs'],
      ['GET', '/report/pg-ha'],
      ['GET', '/api/v2/unknown'],
    ] as const) {
      const { status, body, headers: responseHeaders } = await getJson(`${h.base}${path}`, { method, headers });
      expect(status, `${method} ${path}`).toBe(401);
      expect(body['error']).toMatch(/bearer token/);
      expect(responseHeaders.get('www-authenticate')).toBe('Bearer realm="driftd"');
    }
    expect(h.runs.triggered).toBe(0);
    const warned = h.logs.filter((line) => line.level === 'warn');
    expect(warned.length).toBeGreaterThan(0);
    expect(JSON.stringify(h.logs)).not.toContain(TOKEN);
  });

  it('lets the right token through', async () => {
    const h = await start({ token: TOKEN });
    expect((await getJson(`${h.base}/api/v1/clusters`, { headers: auth })).status).toBe(200);
    expect((await getJson(`${h.base}/api/v1/runs`, { method: 'POST', headers: { authorization: `bearer  ${TOKEN}` } })).status).toBe(202);
  });
});

function rawExchange(port: number, request: string): Promise<{ reply: string; elapsedMs: number }> {
  const before = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('close', () => resolve({ reply, elapsedMs: Date.now() - before }));
    socket.on('error', reject);
  });
}

describe('slow clients', () => {
  it('drops a client that never finishes its headers (408 after the headers timeout)', async () => {
    const h = await start({ timeouts: { headersMs: 500, requestMs: 1_000 } });
    const { reply, elapsedMs } = await rawExchange(Number(new URL(h.base).port), 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsedMs).toBeGreaterThanOrEqual(400);
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('drops a client that never finishes its body (408 after the request timeout)', async () => {
    const h = await start({ timeouts: { headersMs: 500, requestMs: 1_000 } });
    const { reply, elapsedMs } = await rawExchange(
      Number(new URL(h.base).port),
      'POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    expect(h.runs.triggered).toBe(0);
  });
});

describe('lifecycle', () => {
  it('close() returns promptly even with an idle keep-alive connection', async () => {
    const h = await start();
    await fetch(`${h.base}/healthz`);
    const server = started.pop();
    const before = Date.now();
    await server?.close();
    expect(Date.now() - before).toBeLessThan(2_000);
    await expect(fetch(`${h.base}/healthz`)).rejects.toThrow();
  });

  it('listen() rejects when the port is taken', async () => {
    const h = await start();
    const other = createHttpServer({
      getView: emptyView,
      metrics: createMetrics(emptyView),
      triggerRun: () => 'busy',
      logger: recordingLogger([]),
    });
    await expect(other.listen('127.0.0.1', Number(new URL(h.base).port))).rejects.toThrow(/EADDRINUSE/);
  });

  it('accepts a pino logger as its logger', () => {
    const logger: HttpLogger = pino({ level: 'silent' });
    expect(typeof logger.warn).toBe('function');
  });
});
