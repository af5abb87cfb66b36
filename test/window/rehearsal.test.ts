/**
 * Patch-night rehearsal on three REPLAY nodes: copies of fixtures/demo/erp-a (real
 * captured outputs, provenance in fixtures/README.md). "Patching" a node is what the
 * admin would do to it: here, editing the openssl/libssl3 lines of its recorded
 * `packages-query.txt`. Every step runs the real CLI in a child process against one
 * real SQLite file, through src/cli/bin.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { readWindowViews } from '../../src/window/views.js';

/** The daemon's window view of a database, read through a read-only store. */
async function viewsOf(file: string): ReturnType<typeof readWindowViews> {
  const store = await Store.open(file, { readonly: true });
  try {
    return await readWindowViews(store, new Date());
  } finally {
    await store.close();
  }
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.join(REPO, 'fixtures/demo/erp-a');
const ENTRY = path.join(REPO, 'src/cli/bin.ts');
const OLD = '3.0.19-1~deb12u2';
/** What `crm resource move erp-group erp-c` adds to the CIB (crm_resource's id and shape). */
const MOVE_CONSTRAINT = '      <rsc_location id="cli-prefer-erp-group" rsc="erp-group" role="Started" node="erp-c" score="INFINITY"/>';
const NEW = '3.0.20-1~deb12u1';

let dir: string;
let config: string;
let db: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function driftd(...args: string[]): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'window', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T>(run: Run): T {
  return JSON.parse(run.stdout) as T;
}

function edit(node: string, file: string, from: RegExp, to: string): void {
  const target = path.join(dir, node, file);
  const text = readFileSync(target, 'utf8');
  if (!from.test(text)) throw new Error(`fixture ${target} has no line matching ${from}`);
  writeFileSync(target, text.replace(from, to));
}

/** The admin upgrades openssl and libssl3 on one node. */
function patch(node: string): void {
  edit(node, 'packages-query.txt', new RegExp(`\\topenssl\\t${OLD.replace(/[.~]/g, '\\$&')}\\t`), `\topenssl\t${NEW}\t`);
  edit(node, 'packages-query.txt', new RegExp(`\\tlibssl3:amd64\\t${OLD.replace(/[.~]/g, '\\$&')}\\t`), `\tlibssl3:amd64\t${NEW}\t`);
}

function swappiness(node: string, value: string): void {
  edit(node, 'sysctl-all.txt', /^vm\.swappiness = .*$/m, `vm.swappiness = ${value}`);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'driftd-window-rehearsal-'));
  for (const node of ['erp-a', 'erp-b', 'erp-c']) {
    cpSync(FIXTURE, path.join(dir, node), { recursive: true });
    writeFileSync(path.join(dir, node, 'os-hostname.txt'), `${node}\n`);
  }
  config = path.join(dir, 'driftd.yaml');
  db = path.join(dir, 'driftd.db');
  writeFileSync(
    config,
    [
      'database: ./driftd.db',
      'clusters:',
      '  - name: erp',
      '    nodes:',
      '      - { name: erp-a, transport: replay, path: ./erp-a, role: primary }',
      '      - { name: erp-b, transport: replay, path: ./erp-b, role: standby }',
      '      - { name: erp-c, transport: replay, path: ./erp-c }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'openssl.yaml'),
    ['name: openssl-dsa-2026-11', 'packages:', `  openssl: ">=${NEW}"`, `  libssl3: ">=${NEW}"`, ''].join('\n'),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface VerifyJson {
  verdict: string;
  reasons: string[];
  runId: number;
  unexpectedChanges: { facet: string; key: string; before: string | null; after: string | null }[];
  expectedChanges: { facet: string; key: string }[];
}

describe('window rehearsal: three nodes, openssl upgraded node by node', { timeout: 300_000 }, () => {
  it('plan: at parity, standby first, primary last, a verify command per node', () => {
    const run = driftd('plan', '--config', config, '--cluster', 'erp', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const plan = json<{ readiness: { ready: boolean }; order: { name: string }[]; steps: { action: string; command?: string }[] }>(run);
    expect(plan.readiness.ready).toBe(true);
    expect(plan.order.map((n) => n.name)).toEqual(['erp-b', 'erp-c', 'erp-a']);
    expect(plan.steps.filter((s) => s.action === 'verify').map((s) => s.command)).toEqual(
      ['erp-b', 'erp-c', 'erp-a'].map((n) => `driftd window verify --config ${config} --node ${n}`),
    );
  });

  it('start: records a baseline run and opens the window; a second start is refused', () => {
    const run = driftd(
      'start',
      '--config',
      config,
      '--cluster',
      'erp',
      '--expect',
      path.join(dir, 'openssl.yaml'),
      '--planned-end',
      '2099-01-01T02:00:00Z',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('window "openssl-dsa-2026-11" OPEN on erp (id 1), baseline run 1, planned end 2099-01-01T02:00:00.000Z');
    const again = driftd('start', '--config', config, '--cluster', 'erp');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cluster erp already has an open window "openssl-dsa-2026-11"');
  });

  it('verify on the standby fails before the upgrade and passes after', async () => {
    const before = driftd('verify', '--config', config, '--node', 'erp-b', '--json');
    expect(before.code).toBe(1);
    expect(json<VerifyJson>(before).reasons).toEqual([
      `expectation packages/openssl: openssl is ${OLD}, expected >=${NEW}`,
      `expectation packages/libssl3: libssl3 is ${OLD}, expected >=${NEW}`,
    ]);

    patch('erp-b');
    const after = driftd('verify', '--config', config, '--node', 'erp-b', '--json');
    expect(after.code).toBe(0);
    const verdict = json<VerifyJson>(after);
    expect(verdict.verdict).toBe('safe');
    expect(verdict.expectedChanges.map((c) => c.key).sort()).toEqual(['libssl3', 'openssl']);
    expect(verdict.unexpectedChanges).toEqual([]);
    // The daemon's view: open, two nodes still to go.
    expect(await viewsOf(db)).toEqual([
      { cluster: 'erp', name: 'openssl-dsa-2026-11', open: true, plannedEnd: '2099-01-01T02:00:00.000Z', nodesPending: 2 },
    ]);
  });

  it('verify finds an extra change the expectation does not cover', () => {
    patch('erp-c');
    swappiness('erp-c', '60');
    const run = driftd('verify', '--config', config, '--node', 'erp-c');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('erp-c: NOT SAFE to take the workload');
    expect(run.stdout).toContain('unexpected change sysctl/vm.swappiness: changed 10 -> 60');
  });

  it('finish fails while a node has not converged, and the window stays open', () => {
    const run = driftd('finish', '--config', config, '--cluster', 'erp', '--json');
    expect(run.code).toBe(1);
    const result = json<{ closed: boolean; verdict: { pendingNodes: string[]; reasons: string[] } }>(run);
    expect(result.closed).toBe(false);
    expect(result.verdict.pendingNodes).toEqual(['erp-c', 'erp-a']);
    expect(result.verdict.reasons).toContain('erp-c: unexpected change sysctl/vm.swappiness: changed 10 -> 60');
    const status = driftd('status', '--config', config, '--cluster', 'erp');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/erp-b\s+safe/);
    expect(status.stdout).toMatch(/erp-c\s+not-safe/);
    expect(status.stdout).toMatch(/erp-a\s+not verified yet/);
  });

  it('after the sysctl is put back, the workload moved and the primary patched, every verify passes; finish waits for the move constraint to be cleared, then closes', async () => {
    swappiness('erp-c', '10');
    expect(driftd('verify', '--config', config, '--node', 'erp-c').code).toBe(0);
    // `crm resource move erp-group erp-c`: the CIB (replicated) gains a location constraint on every node.
    for (const node of ['erp-a', 'erp-b', 'erp-c'])
      edit(node, 'pacemaker-cib.txt', /<constraints>\n/, `<constraints>\n${MOVE_CONSTRAINT}\n`);
    expect(driftd('verify', '--config', config, '--node', 'erp-a').code).toBe(1);
    patch('erp-a');
    const verifyA = driftd('verify', '--config', config, '--node', 'erp-a');
    expect(verifyA.code).toBe(0);
    expect(verifyA.stdout).toContain('Left by the failover (fine for now; clear before `window finish`):');
    expect(verifyA.stdout).toContain('pacemaker/constraint.cli-prefer-erp-group: added');

    const blocked = driftd('finish', '--config', config, '--cluster', 'erp', '--json');
    expect(blocked.code).toBe(1);
    const reasons = json<{ verdict: { reasons: string[]; pendingNodes: string[] } }>(blocked).verdict;
    expect(reasons.pendingNodes).toEqual(['erp-b', 'erp-c', 'erp-a']);
    expect(
      reasons.reasons.filter((r) => r.includes('left over from the failover, clear it: pacemaker/constraint.cli-prefer-erp-group')),
    ).toHaveLength(3);
    // `crm resource clear erp-group`.
    for (const node of ['erp-a', 'erp-b', 'erp-c'])
      edit(node, 'pacemaker-cib.txt', new RegExp(`${MOVE_CONSTRAINT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`), '');

    const run = driftd('finish', '--config', config, '--cluster', 'erp', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = json<{
      closed: boolean;
      summary: {
        finishRunId: number;
        nodes: {
          node: string;
          changes: { key: string; before: string; after: string; at: string | null }[];
          verifiedBy: { runId: number } | null;
        }[];
      };
    }>(run);
    expect(result.closed).toBe(true);
    expect(result.summary.nodes.map((n) => n.node)).toEqual(['erp-b', 'erp-c', 'erp-a']);
    for (const node of result.summary.nodes) {
      expect(node.changes.map((c) => [c.key, c.before, c.after])).toEqual([
        ['libssl3', OLD, NEW],
        ['openssl', OLD, NEW],
      ]);
      expect(node.changes.every((c) => c.at !== null)).toBe(true);
      expect(node.verifiedBy).not.toBeNull();
    }
    // Runs: 1 baseline, verifies b b c (finish 5) c a a, finish 9 refused, finish 10.
    expect(result.summary.nodes.map((n) => n.verifiedBy?.runId)).toEqual([3, 6, 8]);
    expect(result.summary.finishRunId).toBe(10);

    const status = driftd('status', '--config', config, '--cluster', 'erp');
    // No open window is an answer, not an error (#27): exit 0, said on stdout.
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('no open window on cluster erp');
    const statusJson = driftd('status', '--config', config, '--cluster', 'erp', '--json');
    expect(statusJson.code).toBe(0);
    expect(JSON.parse(statusJson.stdout)).toEqual({ cluster: 'erp', window: null, latest: {}, pendingNodes: [] });
    expect(await viewsOf(db)).toEqual([
      { cluster: 'erp', name: 'openssl-dsa-2026-11', open: false, plannedEnd: '2099-01-01T02:00:00.000Z', nodesPending: 0 },
    ]);
  });

  it('the evidence is in the history database: window, summary, each verify, and the runs it points at', async () => {
    const raw = new Database(db, { readonly: true });
    try {
      const window = raw.prepare('SELECT closed_at, baseline_run_id, summary_json FROM maintenance_windows').get() as {
        closed_at: string;
        baseline_run_id: number;
        summary_json: string;
      };
      expect(window.closed_at).not.toBeNull();
      expect(window.baseline_run_id).toBe(1);
      expect(JSON.parse(window.summary_json)).toHaveProperty('finishRunId', 10);
      const verifies = raw.prepare('SELECT node, verdict, run_id FROM maintenance_window_verifications ORDER BY id').all();
      expect(verifies).toEqual([
        { node: 'erp-b', verdict: 'not-safe', run_id: 2 },
        { node: 'erp-b', verdict: 'safe', run_id: 3 },
        { node: 'erp-c', verdict: 'not-safe', run_id: 4 },
        { node: 'erp-c', verdict: 'safe', run_id: 6 },
        { node: 'erp-a', verdict: 'not-safe', run_id: 7 },
        { node: 'erp-a', verdict: 'safe', run_id: 8 },
      ]);
    } finally {
      raw.close();
    }
    const store = await Store.open(db, { readonly: true });
    try {
      expect((await store.run(1))?.meta).toEqual({ window: { name: 'openssl-dsa-2026-11', purpose: 'baseline' } });
      expect((await store.run(3))?.meta).toEqual({ window: { id: 1, name: 'openssl-dsa-2026-11', purpose: 'verify', node: 'erp-b' } });
      expect((await store.verifyChain()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('window abort', { timeout: 120_000 }, () => {
  it('closes the window with the reason; the nodes not verified safe stay pending for the half-patched alert', async () => {
    const start = driftd('start', '--config', config, '--cluster', 'erp', '--name', 'retry', '--expect', path.join(dir, 'openssl.yaml'));
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(driftd('verify', '--config', config, '--node', 'erp-b').code).toBe(0);
    expect(driftd('abort', '--config', config, '--cluster', 'erp').code).toBe(2);
    const abort = driftd('abort', '--config', config, '--cluster', 'erp', '--reason', 'postponed to next week', '--json');
    expect(abort.stderr).toBe('');
    expect(abort.code).toBe(0);
    const summary = json<{ outcome: string; reason: string; pendingNodes: string[] }>(abort);
    expect(summary).toMatchObject({ outcome: 'aborted', reason: 'postponed to next week', pendingNodes: ['erp-c', 'erp-a'] });
    expect(await viewsOf(db)).toEqual([{ cluster: 'erp', name: 'retry', open: false, nodesPending: 2 }]);
    const again = driftd('abort', '--config', config, '--cluster', 'erp', '--reason', 'twice');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no open window on cluster erp, nothing to abort');
  });
});

describe('window start refuses a cluster that is not at parity', { timeout: 120_000 }, () => {
  it('pacemaker differs on one node: plan lists the blocker, start opens nothing (exit 1)', async () => {
    const local = mkdtempSync(path.join(tmpdir(), 'driftd-window-blocked-'));
    try {
      for (const node of ['erp-a', 'erp-b']) cpSync(FIXTURE, path.join(local, node), { recursive: true });
      const pkgs = path.join(local, 'erp-b', 'packages-query.txt');
      writeFileSync(pkgs, readFileSync(pkgs, 'utf8').replace(/\tpacemaker\t2\.1\.5-1\+deb12u1\t/, '\tpacemaker\t2.1.6-1\t'));
      const cfg = path.join(local, 'driftd.yaml');
      writeFileSync(
        cfg,
        'database: ./driftd.db\nclusters:\n  - name: erp\n    nodes:\n      - { name: erp-a, transport: replay, path: ./erp-a }\n      - { name: erp-b, transport: replay, path: ./erp-b }\n',
      );
      const plan = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'window', 'plan', '--config', cfg], {
        cwd: REPO,
        encoding: 'utf8',
      });
      expect(plan.status).toBe(1);
      expect(plan.stdout).toContain('NOT READY for a maintenance window');
      expect(plan.stdout).toMatch(/BLOCKS: critical packages\/pacemaker: /);
      const start = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'window', 'start', '--config', cfg], {
        cwd: REPO,
        encoding: 'utf8',
      });
      expect(start.status).toBe(1);
      expect(start.stderr).toContain('is not at parity, so no window was opened');
      // No window opened: a refused start leaves no window in the store (the run may be stored).
      expect(existsSync(path.join(local, 'driftd.db')) ? await viewsOf(path.join(local, 'driftd.db')) : []).toEqual([]);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });
});
