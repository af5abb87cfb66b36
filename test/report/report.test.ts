/**
 * `driftd report` on a store filled by real replayed runs (see demo-store.ts for the
 * story): every section carries the right figures in JSON, HTML and Markdown, values are
 * escaped, the command writes files and stdout, and a tampered store shows up as a
 * broken chain.
 */
import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReport } from '../../src/cli/commands/report.js';
import { reportCommand } from '../../src/cli/definitions/report.js';
import { snapshotContentHash, facetHashes } from '../../src/core/snapshot.js';
import { auditReportFromStore, renderClusterReportHtml } from '../../src/report/from-store.js';
import { renderAuditHtml } from '../../src/report/html.js';
import { renderAuditMarkdown } from '../../src/report/markdown.js';
import { AuditReportSchema, type AuditReport } from '../../src/report/schema.js';
import { Store } from '../../src/store/index.js';
import { DRIFTD_VERSION } from '../../src/version.js';
import {
  auditAndSave,
  buildDemoStore,
  OPENSSL_OLD,
  PACEMAKER_NEW,
  PACEMAKER_OLD,
  RUN_TIMES,
  SCRIPT_VALUE,
  WAIVER_JUSTIFICATION,
  type DemoStore,
} from './demo-store.js';

const NOW = new Date('2026-11-21T00:00:00.000Z');
const SINCE = '2026-11-20T00:00:00.000Z';

let demo: DemoStore;
let report: AuditReport;

function build(store: Store, since = SINCE, until = NOW.toISOString()): Promise<AuditReport> {
  const cluster = demo.loaded.config.clusters[0];
  if (!cluster) throw new Error('no cluster');
  return auditReportFromStore(store, {
    loaded: demo.loaded,
    cluster,
    since,
    until,
    generatedAt: NOW.toISOString(),
    commandLine: 'driftd report --test',
  });
}

async function withStore<T>(file: string, use: (store: Store) => T | Promise<T>): Promise<T> {
  const store = await Store.open(file, { readonly: true });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  demo = await buildDemoStore();
  report = await withStore(demo.dbFile, (store) => build(store));
}, 60_000);

afterAll(() => demo?.cleanup());

describe('audit report model from real runs', () => {
  it('validates against AuditReportSchema and says who made it', () => {
    expect(AuditReportSchema.parse(report)).toEqual(report);
    expect(report.driftdVersion).toBe(DRIFTD_VERSION);
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(report.period).toEqual({ since: SINCE, until: NOW.toISOString() });
    expect(report.cluster.name).toBe('erp-demo');
    expect(report.cluster.nodes.map((n) => [n.name, n.role])).toEqual([
      ['erp-a', 'primary'],
      ['erp-b', 'standby'],
      ['erp-c', null],
    ]);
  });

  it('counts runs and ready/not-ready runs', () => {
    expect(report.summary).toMatchObject({ runs: 5, readyRuns: 3, notReadyRuns: 2, currentlyReady: true });
    expect(report.evidence.runCount).toBe(5);
    expect(report.readiness.points.map((p) => [p.at, p.ready])).toEqual(RUN_TIMES.map((at, i) => [at, i !== 2 && i !== 3]));
  });

  it('finds the not-ready stretch the erp-b drift caused, ending at the run that put it back', () => {
    expect(report.readiness.notReady).toEqual([{ from: RUN_TIMES[2], to: RUN_TIMES[4], runs: 2 }]);
  });

  it('lists every finding episode with first seen, resolved and duration', () => {
    // Two of the seven are the shipped best-practice pack's, open on every node from the first run:
    // the demo's real corosync.conf has token 3000 (< 5000) and its CIB no migration-threshold.
    // openssl and libssl3 (one upgrade) are one episode since issue #21: libssl3 is evidence.
    expect(report.summary).toMatchObject({
      episodes: 7,
      openEpisodes: 5,
      resolvedEpisodes: 2,
      episodesBySeverity: { critical: 1, warning: 5, info: 1 },
    });
    const byKey = new Map(report.episodes.map((e) => [`${e.facet}/${e.key}`, e]));
    expect([...byKey.keys()].sort()).toEqual([
      'corosync/totem.token',
      'pacemaker/rsc_defaults.migration-threshold',
      'packages/curl',
      'packages/openssl',
      'packages/pacemaker',
      'sysctl/kernel.core_pattern',
      'sysctl/vm.swappiness',
    ]);
    expect(byKey.get('corosync/totem.token')).toMatchObject({
      kind: 'expectation',
      rule: 'corosync-token',
      status: 'open',
      firstSeen: RUN_TIMES[0],
    });
    const pacemaker = byKey.get('packages/pacemaker');
    expect(pacemaker).toMatchObject({
      severity: 'critical',
      status: 'resolved',
      firstSeen: RUN_TIMES[2],
      resolvedAt: RUN_TIMES[4],
      durationSeconds: 7200,
    });
    expect(pacemaker?.valuesLast).toEqual({ 'erp-a': PACEMAKER_OLD, 'erp-b': PACEMAKER_NEW, 'erp-c': PACEMAKER_OLD });
    expect(byKey.get('sysctl/kernel.core_pattern')?.valuesLast['erp-b']).toBe(SCRIPT_VALUE);
    // Still open: the duration runs to the end of the period.
    expect(byKey.get('packages/openssl')).toMatchObject({
      status: 'open',
      resolvedAt: null,
      firstSeen: RUN_TIMES[1],
      durationSeconds: 15 * 3600,
    });
    expect(byKey.get('packages/openssl')?.valuesLast['erp-c']).toBe(OPENSSL_OLD);
    expect(byKey.get('sysctl/vm.swappiness')).toMatchObject({ waived: true, waiver: { author: 'ops-team', rule: 'erp-swappiness' } });
    expect(byKey.get('packages/curl')).toMatchObject({ waived: false, severity: 'info' });
  });

  it('shows the waivers in force and marks the expired one', () => {
    expect(report.rules.waivers).toEqual([
      expect.objectContaining({
        rule: 'erp-swappiness',
        author: 'ops-team',
        expires: '2099-12-31',
        justification: WAIVER_JUSTIFICATION,
        expired: false,
        pack: 'audit-test',
      }),
      expect.objectContaining({ rule: 'erp-curl', author: 'jdoe', expires: '2020-01-31', expired: true }),
    ]);
    expect(report.rules.packs.map((p) => p.pack)).toContain('audit-test');
    expect(report.rules.errors).toEqual([]);
  });

  it('builds the node x facet parity matrix of the latest run', () => {
    expect(report.parity?.runId).toBe(5);
    const cell = (node: string, facet: string) => report.parity?.rows.find((r) => r.node === node)?.cells.find((c) => c.facet === facet);
    // openssl+libssl3 are one headline (one upgrade), curl the info one.
    expect(cell('erp-c', 'packages')).toMatchObject({ status: 'drift', drift: { critical: 0, warning: 1, info: 1, waived: 0 } });
    expect(cell('erp-c', 'sysctl')).toMatchObject({ status: 'waived', drift: { critical: 0, warning: 0, info: 0, waived: 1 } });
    // erp-b was put back at run 5: at parity again.
    expect(cell('erp-b', 'packages')?.status).toBe('parity');
    expect(cell('erp-b', 'sysctl')?.status).toBe('parity');
    // The recorded VM has no /proc/modules: unsupported, not drift.
    expect(cell('erp-a', 'modules')?.status).toBe('unsupported');
    expect(cell('erp-a', 'modules')?.detail).toMatch(/proc\/modules/);
    // Besides modules, only the best-practice findings that hold on every node (token, migration-threshold).
    for (const node of ['erp-a', 'erp-b']) {
      expect(
        report.parity?.rows
          .find((r) => r.node === node)
          ?.cells.filter((c) => c.status !== 'parity')
          .map((c) => c.facet),
      ).toEqual(['modules', 'corosync', 'pacemaker']);
    }
  });

  it('lists the changes per node', () => {
    expect(report.summary.changes).toBe(8);
    const of = (node: string) => report.changes.filter((c) => c.node === node).map((c) => [c.at, c.facet, c.key, c.change]);
    expect(of('erp-a')).toEqual([]);
    expect(of('erp-b')).toEqual([
      [RUN_TIMES[2], 'packages', 'pacemaker', 'changed'],
      [RUN_TIMES[2], 'sysctl', 'kernel.core_pattern', 'changed'],
      [RUN_TIMES[4], 'packages', 'pacemaker', 'changed'],
      [RUN_TIMES[4], 'sysctl', 'kernel.core_pattern', 'changed'],
    ]);
    expect(of('erp-c')).toContainEqual([RUN_TIMES[1], 'packages', 'curl', 'removed']);
  });

  it('carries the evidence: chain verdict, run hashes and the snapshot hashes of the latest run', async () => {
    expect(report.evidence.chain).toEqual({ ok: true, runsVerified: 5, thinnedRuns: 0, brokenAt: null, reason: null });
    await withStore(demo.dbFile, async (store) => {
      const latest = await store.latestRun('erp-demo');
      expect(report.latestRun).toMatchObject({
        id: latest?.id,
        hash: latest?.hash,
        prevHash: latest?.prevHash,
        snapshotsHash: latest?.snapshotsHash,
        snapshotsHashMatches: true,
      });
      const snapshots = await store.snapshotsOfRun(latest?.id ?? 0);
      expect(report.evidence.snapshots.map((s) => [s.node, s.contentHash, s.facets])).toEqual(
        snapshots.map((s) => [s.node, snapshotContentHash(s), facetHashes(s)]),
      );
    });
    expect(report.evidence.snapshots).toHaveLength(3);
  });

  it('narrows everything to the period', async () => {
    const narrow = await withStore(demo.dbFile, (store) => build(store, '2026-11-20T10:30:00.000Z'));
    expect(narrow.summary).toMatchObject({ runs: 2, readyRuns: 1, notReadyRuns: 1, episodes: 7, changes: 2 });
    expect(narrow.readiness.notReady).toEqual([{ from: RUN_TIMES[3], to: RUN_TIMES[4], runs: 1 }]);
    const early = await withStore(demo.dbFile, (store) => build(store, SINCE, '2026-11-20T09:30:00.000Z'));
    expect(early.summary).toMatchObject({ runs: 2, readyRuns: 2, episodes: 5, openEpisodes: 5 });
    expect(early.latestRun?.id).toBe(2);
    const empty = await withStore(demo.dbFile, (store) => build(store, '2026-10-01T00:00:00.000Z', '2026-10-02T00:00:00.000Z'));
    expect(empty.summary).toMatchObject({ runs: 0, currentlyReady: null, episodes: 0 });
    expect(empty.parity).toBeNull();
    expect(renderAuditHtml(empty)).toContain('No run of this cluster in the period.');
  });
});

describe('HTML rendering', () => {
  let html: string;
  beforeAll(() => {
    html = renderAuditHtml(report);
  });

  it('escapes every value: a finding value holding <script> stays text', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;drift&quot;)&lt;/script&gt;');
    expect(html).toContain('erp-c runs the batch jobs &amp; is tuned &lt;differently&gt; on purpose');
  });

  it('is self-contained: a CSP forbids fetching, and nothing points outside', () => {
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:">`,
    );
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/@import|url\(/);
    expect(html).toMatch(/<svg class="chart"/);
    expect(html).toMatch(/@media print/);
  });

  it('has every section with its figures', () => {
    for (const id of ['summary', 'cluster', 'rules', 'parity', 'readiness', 'episodes', 'changes', 'evidence', 'provenance']) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).toContain('Finding episodes (7)');
    expect(html).toContain('Changes per node (8)');
    expect(html).toContain('Not-ready stretches (1)');
    expect(html).toMatch(/data-figure="runs"><dt>Runs in period<\/dt><dd>5<\/dd>/);
    expect(html).toContain('data-chain="ok"');
    expect(html).toContain(report.latestRun?.hash ?? 'missing');
    for (const s of report.evidence.snapshots) expect(html).toContain(s.contentHash);
    expect(html).toContain('driftd report --test');
    expect(html).toContain(`driftd ${DRIFTD_VERSION}`);
    expect(html).toMatch(/<td class="cell drift-warning" data-status="drift">1 W · 1 I<\/td>/);
    expect(html).toContain('<span class="badge bad">expired</span>');
    expect((html.match(/data-status="open"/g) ?? []).length).toBe(5); // 5 open episodes since openssl+libssl3 are one (#21)
    expect((html.match(/data-status="resolved"/g) ?? []).length).toBe(2);
    // one shaded band per not-ready stretch, one dot per run
    expect((html.match(/class="band-not-ready"/g) ?? []).length).toBe(1);
    expect((html.match(/<circle cx=/g) ?? []).length).toBe(5 + 1); // + the legend dot
  });
});

describe('Markdown rendering', () => {
  it('holds the same facts in tables, escaped', () => {
    const md = renderAuditMarkdown(report);
    expect(md).not.toMatch(/<script/i);
    expect(md).toContain('&lt;script&gt;alert("drift")&lt;/script&gt;');
    for (const heading of [
      '## Summary',
      '## Cluster and nodes',
      '## Rules and waivers',
      '## Parity matrix, latest run',
      '## Readiness over time',
      '## Finding episodes (7)',
      '## Changes per node (8)',
      '## Evidence',
      '## Provenance',
    ]) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('| Runs in period | 5 |');
    expect(md).toMatch(/\| erp-c \| ok \| ok \| \*\*1 W · 1 I\*\* \| unsupported \| ok \(1 waived\) \|/);
    expect(md).toContain(`| 2026-11-20T10:00:00.000Z | 2026-11-20T12:00:00.000Z | 2 |`);
    expect(md).toContain('**expired**');
    expect(md).toContain(`\`${report.latestRun?.hash ?? 'missing'}\``);
    expect(md).toContain('Evidence chain intact: verifyChain recomputed 5 runs');
    // Every table row has as many cells as its header.
    const lines = md.split('\n');
    lines.forEach((line, i) => {
      if (!line.startsWith('| ---')) return;
      const width = (lines[i - 1] ?? '').split(/(?<!\\)\|/).length;
      for (let j = i + 1; j < lines.length && lines[j]?.startsWith('|'); j++) {
        expect((lines[j] ?? '').split(/(?<!\\)\|/).length, lines[j]).toBe(width);
      }
    });
  });
});

describe('driftd report command', () => {
  it.each(['json', 'md', 'html'] as const)('writes --format %s to --out with the exact command line', async (format) => {
    const out = path.join(demo.dir, `report.${format}`);
    const argv = ['driftd', 'report', '--config', demo.configFile, '--since', '2026-11-20', '--format', format, '--out', out];
    const code = await runReport({ config: demo.configFile, since: '2026-11-20', format, out }, NOW, argv);
    expect(code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const quoted = `driftd report --config ${demo.configFile} --since 2026-11-20 --format ${format} --out ${out}`;
    if (format === 'json') {
      const parsed = AuditReportSchema.parse(JSON.parse(text));
      expect(parsed.commandLine).toBe(quoted);
      expect(parsed.summary.runs).toBe(5);
      expect(parsed.period.since).toBe(SINCE);
    } else {
      expect(text).toContain(format === 'html' ? quoted.replace(/&/g, '&amp;') : quoted);
    }
  });

  it('parses its options through commander (inside a driftd program too) and prints to stdout with --out -', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const before = process.exitCode;
    try {
      await reportCommand()
        .exitOverride()
        .parseAsync(['--config', demo.configFile, '--format', 'json', '--since', '7d', '--out', '-'], { from: 'user' });
      expect(process.exitCode).toBe(0);
      const printed = write.mock.calls.map((c) => String(c[0])).join('');
      const parsed = AuditReportSchema.parse(JSON.parse(printed));
      expect(parsed.cluster.name).toBe('erp-demo');
      expect(parsed.commandLine).toBe(`driftd report --config ${demo.configFile} --format json --since 7d --out -`);
      const out = path.join(demo.dir, 'from-program.json');
      const program = new Command('driftd').exitOverride().addCommand(reportCommand());
      await program.parseAsync(['report', '-c', demo.configFile, '--format', 'json', '--out', out, '--since', '2026-11-20 00:00'], {
        from: 'user',
      });
      expect(AuditReportSchema.parse(JSON.parse(readFileSync(out, 'utf8'))).commandLine).toBe(
        `driftd report -c ${demo.configFile} --format json --out ${out} --since '2026-11-20 00:00'`,
      );
    } finally {
      write.mockRestore();
      process.exitCode = before;
    }
  });

  it('refuses a bad format, a bad time and an unknown cluster', async () => {
    await expect(
      reportCommand()
        .exitOverride()
        .configureOutput({ writeErr: () => undefined })
        .parseAsync(['--config', demo.configFile, '--format', 'pdf'], { from: 'user' }),
    ).rejects.toThrow(/pdf/);
    await expect(runReport({ config: demo.configFile, since: 'yesterday', format: 'json', out: '-' }, NOW, ['driftd'])).rejects.toThrow(
      /--since "yesterday" is not a time/,
    );
    await expect(
      runReport({ config: demo.configFile, cluster: 'nope', since: '30d', format: 'json', out: '-' }, NOW, ['driftd']),
    ).rejects.toThrow(/no cluster named "nope"/);
    await expect(
      runReport({ config: demo.configFile, since: '2026-11-22', until: '2026-11-21', format: 'json', out: '-' }, NOW, ['driftd']),
    ).rejects.toThrow(/must be before/);
  });

  it('still writes the report from a tampered store, says the chain is broken, and exits 1', async () => {
    // Same config, its database a copy in which someone raised erp-b's score in run 3.
    const config = path.join(demo.dir, 'tampered.yaml');
    writeFileSync(config, readFileSync(demo.configFile, 'utf8').replace('database: ./driftd.db', 'database: ./tampered.db'));
    copyFileSync(demo.dbFile, path.join(demo.dir, 'tampered.db'));
    const db = new Database(path.join(demo.dir, 'tampered.db'));
    db.prepare("UPDATE node_scores SET score = 1, ready = 1 WHERE run_id = 3 AND node = 'erp-b'").run();
    db.close();
    const out = path.join(demo.dir, 'tampered.html');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await runReport({ config, since: '2026-11-20', format: 'html', out }, NOW, ['driftd']);
      expect(code).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/evidence chain is BROKEN at run 3/);
    } finally {
      stderr.mockRestore();
    }
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-chain="broken"');
    expect(html).toContain('Evidence chain BROKEN at run 3');
    expect(html).toContain('<span class="badge bad">evidence chain BROKEN</span>');
  });
});

describe('renderClusterReportHtml (GET /report/:cluster)', () => {
  it('renders the last 30 days for a configured cluster with runs, null otherwise', async () => {
    await withStoreAsync(demo.dbFile, async (store) => {
      const html = await renderClusterReportHtml(store, demo.loaded, 'erp-demo', NOW);
      expect(html).toContain('<h1>driftd parity audit: erp-demo</h1>');
      expect(html).toContain('GET /report/erp-demo');
      expect(html).toContain('Finding episodes (7)');
      expect(await renderClusterReportHtml(store, demo.loaded, 'unknown', NOW)).toBeNull();
    });
    const empty = path.join(demo.dir, 'empty.db');
    await (await Store.open(empty)).close();
    await withStoreAsync(empty, async (store) => {
      expect(await renderClusterReportHtml(store, demo.loaded, 'erp-demo', NOW)).toBeNull();
    });
  });
});

async function withStoreAsync(file: string, use: (store: Store) => Promise<void>): Promise<void> {
  const store = await Store.open(file, { readonly: true });
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

describe('a run with an unreachable node and an unreadable facet', () => {
  let other: DemoStore;
  let broken: AuditReport;
  const AT = '2026-11-20T13:00:00.000Z';

  beforeAll(async () => {
    other = await buildDemoStore();
    // erp-c's recordings vanish (the node is gone); erp-b's sysctl command never finished.
    renameSync(path.join(other.dir, 'nodes', 'erp-c'), path.join(other.dir, 'nodes', 'erp-c.gone'));
    rmSync(path.join(other.dir, 'nodes', 'erp-b', 'sysctl-all.exit'));
    writeFileSync(path.join(other.dir, 'nodes', 'erp-b', 'sysctl-all.error'), 'timeout after 60s');
    const store = await Store.open(other.dbFile);
    try {
      await auditAndSave(other.loaded, store, AT);
      const cluster = other.loaded.config.clusters[0];
      if (!cluster) throw new Error('no cluster');
      broken = await auditReportFromStore(store, {
        loaded: other.loaded,
        cluster,
        since: SINCE,
        until: NOW.toISOString(),
        generatedAt: NOW.toISOString(),
        commandLine: 'driftd report',
      });
    } finally {
      await store.close();
    }
  }, 60_000);

  afterAll(() => other?.cleanup());

  it('marks every cell of the unreachable node and the errored facet, and the run not ready', () => {
    const row = (node: string) => broken.parity?.rows.find((r) => r.node === node);
    expect(broken.latestRun).toMatchObject({ id: 6, ready: false, errorCount: 1 });
    expect(row('erp-c')).toMatchObject({ reachable: false, ready: false, score: 0 });
    expect(row('erp-c')?.error).toMatch(/replay directory .* does not exist/);
    expect(new Set(row('erp-c')?.cells.map((c) => c.status))).toEqual(new Set(['unreachable']));
    expect(row('erp-b')?.cells.find((c) => c.facet === 'sysctl')).toMatchObject({ status: 'error' });
    expect(row('erp-b')?.cells.find((c) => c.facet === 'sysctl')?.detail).toMatch(/timeout after 60s/);
    expect(broken.evidence.snapshots.find((s) => s.node === 'erp-c')?.error).toMatch(/does not exist/);
    expect(broken.latestRun?.snapshotsHashMatches).toBe(true);
    expect(broken.evidence.chain).toMatchObject({ ok: true, runsVerified: 6 });
    expect(broken.readiness.notReady.at(-1)).toEqual({ from: AT, to: null, runs: 1 });
    const html = renderAuditHtml(broken);
    expect(html).toMatch(
      new RegExp(
        `<td class="cell unreachable" data-status="unreachable" colspan="${broken.parity?.facets.length}">unreachable<br><small>node erp-c: replay directory`,
      ),
    );
    expect(html).toContain('still not ready at the end of the period');
    expect(html).toContain('<span class="badge bad">NOT ready at the latest run</span>');
  });
});
