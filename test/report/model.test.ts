/**
 * The pure parts of the audit report, on hand-made inputs (the store-backed figures are in
 * report.test.ts): not-ready stretches, waiver expiry, parity cells for every node/facet
 * state, durations, and escaping of arbitrary text in HTML and Markdown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import type { Finding } from '../../src/core/findings.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { escapeHtml } from '../../src/report/escape.js';
import { renderAuditHtml } from '../../src/report/html.js';
import { renderAuditMarkdown, mdCell } from '../../src/report/markdown.js';
import {
  buildAuditReport,
  formatDuration,
  notReadyIntervals,
  parityMatrix,
  waiversInForce,
  type AuditReportInput,
} from '../../src/report/model.js';
import { AuditReportSchema } from '../../src/report/schema.js';
import type { RunRecord } from '../../src/store/index.js';

const point = (at: string, ready: boolean) => ({ at, runId: 0, ready, score: ready ? 1 : 0, nodes: {} });

describe('notReadyIntervals', () => {
  it.each([
    ['no runs', [], []],
    ['always ready', [point('T1', true), point('T2', true)], []],
    [
      'one stretch closed by a ready run',
      [point('T1', true), point('T2', false), point('T3', false), point('T4', true)],
      [{ from: 'T2', to: 'T4', runs: 2 }],
    ],
    ['still not ready at the end', [point('T1', false)], [{ from: 'T1', to: null, runs: 1 }]],
    [
      'two stretches',
      [point('T1', false), point('T2', true), point('T3', false)],
      [
        { from: 'T1', to: 'T2', runs: 1 },
        { from: 'T3', to: null, runs: 1 },
      ],
    ],
  ])('%s', (_name, points, expected) => {
    expect(notReadyIntervals(points)).toEqual(expected);
  });
});

describe('waiversInForce', () => {
  const pack = (expires: string) => [
    {
      pack: 'p',
      file: '/etc/driftd/rules/p.yaml',
      rules: [{ name: 'r', match: { facet: 'sysctl' as const, key: 'vm.*' }, waivers: [{ justification: 'j', author: 'a', expires }] }],
    },
  ];
  it.each([
    ['a date holds through its whole UTC day', '2026-12-31', '2026-12-31T23:59:59.999Z', false],
    ['and lapses at the next midnight', '2026-12-31', '2027-01-01T00:00:00.000Z', true],
    ['a date-time lapses at that instant', '2026-12-31T18:00:00Z', '2026-12-31T18:00:00.000Z', true],
    ['a second before, it holds', '2026-12-31T18:00:00Z', '2026-12-31T17:59:59.000Z', false],
  ])('%s', (_name, expires, now, expired) => {
    expect(waiversInForce(pack(expires), Date.parse(now))).toEqual([
      { pack: 'p', packFile: '/etc/driftd/rules/p.yaml', rule: 'r', key: null, justification: 'j', author: 'a', expires, expired },
    ]);
  });
});

const AT = '2026-11-20T08:00:00.000Z';

function finding(partial: Partial<Finding> & Pick<Finding, 'facet' | 'key' | 'severity' | 'outliers'>): Finding {
  return {
    id: `${partial.facet}:${partial.key}`,
    cluster: 'c',
    rule: null,
    kind: 'mismatch',
    values: {},
    majority: null,
    waived: false,
    message: 'm',
    ...partial,
  };
}

function checkReport(findings: Finding[]): CheckReport {
  const node = (name: string, reachable: boolean, facets: Record<string, 'ok' | 'unsupported' | 'error' | 'truncated'>) => ({
    name,
    reachable,
    ready: reachable,
    score: reachable ? 1 : 0,
    snapshotAt: reachable ? AT : null,
    facets,
    error: reachable ? null : 'ssh: connect ECONNREFUSED',
    contributions: [],
  });
  return {
    cluster: 'c',
    ready: false,
    score: 0,
    checkedAt: AT,
    baseline: null,
    nodes: [
      node('n1', true, { packages: 'ok', sysctl: 'ok', modules: 'unsupported', files: 'truncated' }),
      node('n2', true, { packages: 'ok', sysctl: 'error', modules: 'ok', files: 'ok' }),
      node('n3', false, {}),
    ],
    findings,
    summary: { critical: 1, warning: 1, info: 0, waived: 1 },
  };
}

const snapshots: NodeSnapshot[] = [
  {
    cluster: 'c',
    node: 'n1',
    takenAt: AT,
    facets: { packages: { status: 'ok', items: {} }, modules: { status: 'unsupported', items: {}, error: 'no /proc/modules' } },
  },
  { cluster: 'c', node: 'n2', takenAt: AT, facets: { sysctl: { status: 'error', items: {}, error: 'sysctl: exit 1' } } },
  { cluster: 'c', node: 'n3', takenAt: AT, error: 'ssh: connect ECONNREFUSED', facets: {} },
];
const cluster = {
  name: 'c',
  baseline: null,
  facets: ['packages', 'sysctl', 'modules', 'files', 'drbd'] as const,
  nodes: [
    { name: 'n1', transport: 'ssh' },
    { name: 'n2', transport: 'ssh' },
    { name: 'n3', transport: 'ssh' },
  ],
};

describe('parityMatrix', () => {
  const findings = [
    // No majority between two nodes: both are outliers, both count it.
    finding({ facet: 'packages', key: 'pacemaker', severity: 'critical', outliers: ['n1', 'n2'] }),
    finding({ facet: 'sysctl', key: 'vm.swappiness', severity: 'warning', outliers: ['n1'], waived: true }),
    finding({ facet: 'files', key: '/etc/hosts', severity: 'warning', outliers: ['n2'] }),
  ];
  const matrix = parityMatrix(cluster, 7, checkReport(findings), snapshots);
  const cell = (node: string, facet: string) => matrix.rows.find((r) => r.node === node)?.cells.find((c) => c.facet === facet);

  it.each([
    ['n1', 'packages', 'drift', { critical: 1, warning: 0, info: 0, waived: 0 }],
    ['n2', 'packages', 'drift', { critical: 1, warning: 0, info: 0, waived: 0 }],
    ['n1', 'sysctl', 'waived', { critical: 0, warning: 0, info: 0, waived: 1 }],
    ['n2', 'sysctl', 'error', { critical: 0, warning: 0, info: 0, waived: 0 }],
    ['n1', 'modules', 'unsupported', { critical: 0, warning: 0, info: 0, waived: 0 }],
    ['n2', 'modules', 'parity', { critical: 0, warning: 0, info: 0, waived: 0 }],
    ['n1', 'files', 'truncated', { critical: 0, warning: 0, info: 0, waived: 0 }],
    ['n2', 'files', 'drift', { critical: 0, warning: 1, info: 0, waived: 0 }],
    ['n1', 'drbd', 'not-collected', { critical: 0, warning: 0, info: 0, waived: 0 }],
    ['n3', 'packages', 'unreachable', { critical: 0, warning: 0, info: 0, waived: 0 }],
  ])('%s %s is %s', (node, facet, status, drift) => {
    expect(cell(node, facet)).toMatchObject({ status, drift });
  });

  it('keeps why a facet could not be read, and why a node was unreachable', () => {
    expect(cell('n2', 'sysctl')?.detail).toBe('sysctl: exit 1');
    expect(cell('n1', 'modules')?.detail).toBe('no /proc/modules');
    expect(matrix.rows.find((r) => r.node === 'n3')).toMatchObject({ reachable: false, ready: false, error: 'ssh: connect ECONNREFUSED' });
    expect(matrix.runId).toBe(7);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [61, '1m 01s'],
    [7200, '2h 00m'],
    [54000, '15h 00m'],
    [3 * 86400 + 4 * 3600 + 59, '3d 4h'],
    [-5, '0s'],
  ])('%i s -> %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

function run(id: number, startedAt: string, ready: boolean): RunRecord {
  return {
    id,
    cluster: 'c',
    startedAt,
    finishedAt: startedAt,
    nodeCount: 3,
    errorCount: 1,
    ready,
    score: ready ? 1 : 0,
    checkedAt: startedAt,
    baseline: null,
    meta: null,
    prevHash: null,
    snapshotsHash: 'x',
    findingsHash: 'y',
    reportHash: 'z',
    hash: `h${id}`,
    thinnedNodes: [],
  };
}

function inputWith(text: string): AuditReportInput {
  const f = finding({ facet: 'sysctl', key: text, severity: 'warning', outliers: ['n1'], values: { n1: text, n2: 'core' }, message: text });
  return {
    generatedAt: '2026-11-21T00:00:00.000Z',
    driftdVersion: '0.1.0',
    commandLine: text,
    cluster: { ...cluster, facets: ['sysctl'] },
    period: { since: '2026-11-20T00:00:00.000Z', until: '2026-11-21T00:00:00.000Z' },
    packs: [
      {
        pack: text,
        rules: [
          { name: text, match: { facet: 'sysctl', key: '*' }, waivers: [{ justification: text, author: text, expires: '2099-01-01' }] },
        ],
      },
    ],
    ruleErrors: [text],
    runs: [run(1, AT, false)],
    latest: { run: run(1, AT, false), report: checkReport([f]), snapshots },
    readiness: [{ at: AT, runId: 1, ready: false, score: 0, nodes: { n1: 0 } }],
    episodes: [
      {
        episodeId: 1,
        findingId: f.id,
        cluster: 'c',
        facet: 'sysctl',
        key: text,
        kind: 'mismatch',
        severity: 'warning',
        rule: text,
        message: text,
        firstSeen: AT,
        lastSeen: AT,
        resolvedAt: null,
        firstRunId: 1,
        lastRunId: 1,
        resolvedRunId: null,
        valuesOpen: { n1: text },
        valuesLast: { n1: text },
        valuesClose: null,
        waived: true,
        waiver: { justification: text, author: text, expires: '2099-01-01', rule: text },
      },
    ],
    changes: [{ runId: 1, cluster: 'c', node: 'n1', at: AT, facet: 'sysctl', key: text, change: 'changed', before: text, after: text }],
    chain: { ok: false, brokenAt: 1, reason: text, runs: 1, thinnedRuns: 0, broken: [{ cluster: 'c', runId: 1, reason: text }] },
  };
}

describe('escaping arbitrary text', () => {
  it('escapeHtml leaves no markup character', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = escapeHtml(s);
        expect(out).not.toMatch(/[<>"']/);
        expect(out.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
  });

  it('mdCell keeps a table cell one cell on one line', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = mdCell(s);
        expect(out).not.toMatch(/[\r\n]/);
        expect(out.replace(/<br>/g, '')).not.toMatch(/[<>]/);
        expect(out.replace(/\\\\/g, '').replace(/\\\|/g, '')).not.toContain('|');
      }),
    );
  });

  it('a hostile string in every field never becomes markup in HTML or breaks Markdown tables', () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '<script>alert(1)</script>',
        '"><img src=x onerror=alert(1)>',
        "'; DROP TABLE runs; --",
        'a|b\nc',
        '<!--',
        ']]>',
        '`code`',
        '</style><script>x</script>',
      ),
    );
    fc.assert(
      fc.property(hostile, (text) => {
        const report = buildAuditReport(inputWith(text));
        AuditReportSchema.parse(report);
        const html = renderAuditHtml(report);
        expect(html).not.toMatch(/<script|<img|<!--[^>]|<\/style><script/i);
        // The markup does not depend on the text: same tags with the same attributes as with
        // a harmless word (quoted attribute values, where escaped text lives, are blanked).
        const tags = (h: string) => (h.match(/<\/?[a-z][^>]*>/gi) ?? []).map((t) => t.replace(/"[^"]*"/g, '""')).join(' ');
        expect(tags(html)).toBe(tags(renderAuditHtml(buildAuditReport(inputWith('plain')))));
        const md = renderAuditMarkdown(report);
        expect(md).not.toMatch(/<script|<img/i);
        const rows = (m: string) =>
          m
            .split('\n')
            .filter((l) => l.startsWith('|'))
            .map((l) => l.split(/(?<!\\)\|/).length);
        expect(rows(md)).toEqual(rows(renderAuditMarkdown(buildAuditReport(inputWith('plain')))));
      }),
      { numRuns: 150 },
    );
  });
});

describe('long periods', () => {
  it('keep every run in the chart line but dot and tabulate only the runs where something moved', () => {
    const input = inputWith('x');
    const start = Date.parse('2026-11-01T00:00:00.000Z');
    // 400 runs every 15 minutes; not ready for runs 100-109, score 0.5 there.
    input.readiness = Array.from({ length: 400 }, (_, i) => {
      const bad = i >= 100 && i < 110;
      return {
        at: new Date(start + i * 900_000).toISOString(),
        runId: i + 1,
        ready: !bad,
        score: bad ? 0.5 : 1,
        nodes: { n1: bad ? 0.5 : 1 },
      };
    });
    input.period = { since: '2026-11-01T00:00:00.000Z', until: '2026-11-06T00:00:00.000Z' };
    const report = buildAuditReport(input);
    expect(report.readiness.points).toHaveLength(400);
    expect(report.readiness.notReady).toEqual([{ from: input.readiness[100]?.at, to: input.readiness[110]?.at, runs: 10 }]);
    const html = renderAuditHtml(report);
    // first, run 101 (drops), run 111 (recovers), last; plus the legend dot
    expect((html.match(/<circle cx=/g) ?? []).length).toBe(4 + 1);
    const path = /class="score-line" d="([^"]+)"/.exec(html)?.[1] ?? '';
    expect((path.match(/H/g) ?? []).length).toBe(399);
    const md = renderAuditMarkdown(report);
    expect(md).toContain('400 runs; the 4 below are the first, the last and every run where the verdict or a score moved');
    expect(md.split('\n').filter((l) => /^\| \d+ \| 2026-/.test(l))).toHaveLength(4);
  });
});
