/**
 * `driftd check` run by hand during an open maintenance window marks the window's
 * declared drift `expected`, through the same function the daemon uses (#23).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import { Store } from '../../src/store/index.js';
import { markExpected } from '../../src/core/window/classify.js';
import { readOpenWindowsOf } from '../../src/window/expected.js';
import { loadConfig } from '../../src/config/load.js';
import { runInput } from '../store/handmade-runs.js';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');

async function checkJson(config: string): Promise<CheckReport> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), 'check', '--config', config, '--json'],
      { cwd: REPO, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout) as CheckReport;
  } catch (err) {
    const e = err as { stdout?: string };
    return JSON.parse(e.stdout ?? '') as CheckReport;
  }
}

describe('driftd check during an open window', { timeout: 120_000 }, () => {
  let dir: string;
  let config: string;
  let database: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-check-window-'));
    config = path.join(dir, 'demo.yaml');
    database = path.join(dir, 'demo.db');
    const nodes = ['erp-a', 'erp-b', 'erp-c'].map(
      (n) => `      - { name: ${n}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', n)} }`,
    );
    writeFileSync(config, [`database: ${database}`, 'clusters:', '  - name: erp-demo', '    nodes:', ...nodes, ''].join('\n'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('marks exactly the declared changes expected, as the daemon does, and nothing without a window', async () => {
    const before = await checkJson(config);
    const openssl = before.findings.find((f) => f.facet === 'packages' && f.key === 'openssl');
    expect(openssl).toBeDefined();
    expect(before.findings.some((f) => f.expected === true)).toBe(false);

    const store = await Store.open(database);
    // A window cites the run it was opened on (a foreign key): any stored run serves here.
    const baseline = await store.saveRun(runInput('2026-12-07T14:00:00.000Z', { 'erp-a': {}, 'erp-b': {} }));
    await store.windows().openWindow({
      cluster: 'erp-demo',
      name: 'openssl-upgrade',
      openedAt: '2026-12-07T15:00:00.000Z',
      plannedEnd: '2026-12-07T18:00:00.000Z',
      baselineRunId: baseline.id,
      nodes: ['erp-c', 'erp-b', 'erp-a'],
      expectation: {
        items: [],
        allow: [
          { facet: 'packages', key: 'openssl' },
          { facet: 'packages', key: 'libssl3' },
        ],
      },
      expectationFile: null,
      baselineValues: {},
      baselineFindingIds: [],
      versionFormat: 'deb',
    });
    await store.close();

    const during = await checkJson(config);
    const expected = during.findings
      .filter((f) => f.expected === true)
      .map((f) => `${f.facet}/${f.key}`)
      .sort();
    // openssl and libssl3 are one upgrade (one headline, libssl3 its evidence, #21): the headline is expected.
    expect(expected).toEqual(['packages/openssl']);
    // The same marking audit.ts judge() applies for the daemon gives the same marks on the report made before.
    const window = (await readOpenWindowsOf(loadConfig(config))).get('erp-demo');
    expect(window).toBeDefined();
    const daemonWay = window ? markExpected(before, window) : before;
    expect(
      daemonWay.findings
        .filter((f) => f.expected === true)
        .map((f) => `${f.facet}/${f.key}`)
        .sort(),
    ).toEqual(expected);
  });

  it('sets the direction on the items the window declares: the nodes not at its target are the ones to fix (#21)', async () => {
    const before = await checkJson(config);
    const swappiness = before.findings.find((f) => f.facet === 'sysctl' && f.key === 'vm.swappiness');
    // Without a window the majority decides: erp-c (60) is the odd one out.
    expect(swappiness?.outliers).toEqual(['erp-c']);

    // A database of its own: the window of the test above stays open in the other one.
    const ownDatabase = path.join(dir, 'direction.db');
    const ownConfig = path.join(dir, 'direction.yaml');
    writeFileSync(ownConfig, readFileSync(config, 'utf8').replace(`database: ${database}`, `database: ${ownDatabase}`));
    const store = await Store.open(ownDatabase);
    const baseline = await store.saveRun(runInput('2026-12-07T16:00:00.000Z', { 'erp-a': {}, 'erp-b': {} }));
    await store.windows().openWindow({
      cluster: 'erp-demo',
      name: 'swappiness-default',
      openedAt: '2026-12-07T16:00:00.000Z',
      plannedEnd: '2026-12-07T18:00:00.000Z',
      baselineRunId: baseline.id,
      nodes: ['erp-c', 'erp-b', 'erp-a'],
      expectation: {
        name: 'swappiness-default',
        items: [
          { facet: 'sysctl', name: 'vm.swappiness', constraint: { kind: 'compare', text: '60', clauses: [{ op: '=', value: '60' }] } },
        ],
        allow: [],
      },
      expectationFile: null,
      baselineValues: Object.fromEntries(
        ['erp-a', 'erp-b', 'erp-c'].map((n) => [n, { sysctl: { 'vm.swappiness': n === 'erp-c' ? '60' : '10' } }]),
      ),
      baselineFindingIds: [],
      versionFormat: 'deb',
    });
    await store.close();

    const during = await checkJson(ownConfig);
    const f = during.findings.find((x) => x.facet === 'sysctl' && x.key === 'vm.swappiness');
    expect(f?.outliers).toEqual(['erp-a', 'erp-b']);
    expect(f?.message).toContain('window swappiness-default expects 60 (erp-c has 60): fix erp-a, erp-b');
    expect(f?.expected).toBe(true);
  });
});
