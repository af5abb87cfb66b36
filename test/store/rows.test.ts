/**
 * Rows read back are validated (issue #24): a row altered behind the store's back (a
 * wrong type in a column, a JSON column that no longer fits) makes the reading call
 * throw a StoreError naming the table, the row and the column, never return garbage.
 * Each case alters the file with a raw connection, foreign keys off, as a tamperer would.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, StoreError } from '../../src/store/index.js';
import { canonicalJson } from '../../src/core/snapshot.js';
import { compress } from '../../src/store/blobs.js';
import { FacetSnapshotRecord, fitsFacetSnapshot } from '../../src/store/snapshots.js';
import { BASE_PACKAGES, finding, hoursAfter, runInput, tempDir } from './handmade-runs.js';

const T0 = '2026-11-24T20:00:00.000Z';

let dir: { dir: string; cleanup: () => void };
let path: string;

/** Three runs: run 2 changes a package on erp-b and opens a finding, run 3 keeps both. */
async function seed(): Promise<void> {
  const store = await Store.open(path);
  const a = { packages: BASE_PACKAGES, sysctl: { 'vm.swappiness': '60' } };
  const b2 = { ...a, packages: { ...BASE_PACKAGES, 'pkg-007': '2.0' } };
  const mismatch = finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' });
  await store.saveRun(runInput(T0, { 'erp-a': a, 'erp-b': a }));
  await store.saveRun(runInput(hoursAfter(T0, 1), { 'erp-a': a, 'erp-b': b2 }, [mismatch]));
  await store.saveRun(runInput(hoursAfter(T0, 2), { 'erp-a': a, 'erp-b': b2 }, [mismatch]));
  await store.close();
}

function alter(sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  db.pragma('foreign_keys = OFF');
  try {
    const changed = db.prepare(sql).run(...params).changes;
    expect(changed, `the alteration must touch a row: ${sql}`).toBeGreaterThan(0);
  } finally {
    db.close();
  }
}

async function withStore<T>(fn: (store: Store) => T | Promise<T>): Promise<T> {
  const store = await Store.open(path);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The StoreError `fn` throws; fails the test when it returns instead. */
async function storeError(fn: () => Promise<unknown>): Promise<StoreError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected a StoreError, the call returned');
}

async function expectCorrupt(fn: () => Promise<unknown>, ...parts: (string | RegExp)[]): Promise<StoreError> {
  const error = await storeError(fn);
  expect(error.code).toBe('corrupt');
  for (const part of parts) expect(error.message).toMatch(part);
  return error;
}

beforeEach(async () => {
  dir = tempDir();
  path = join(dir.dir, 'history.db');
  await seed();
});

afterEach(() => dir.cleanup());

describe('runs', () => {
  it('text in an integer column: every run reader names table, row and column', async () => {
    alter("UPDATE runs SET node_count = 'two' WHERE id = 2");
    await withStore(async (store) => {
      await expectCorrupt(() => store.run(2), 'runs row id=2', 'column node_count', '"two"');
      await expectCorrupt(() => store.runs(), 'runs row id=2', 'node_count');
      await expectCorrupt(() => store.readinessHistory('erp'), 'runs row id=2', 'node_count');
      expect((await store.run(1))?.nodeCount).toBe(2);
    });
  });

  it('a blob where a hash is required', async () => {
    alter("UPDATE runs SET hash = x'0102' WHERE id = 3");
    await withStore(async (store) => await expectCorrupt(() => store.latestRun('erp'), 'runs row id=3', 'column hash'));
  });

  it('a summary that is no longer the report summary', async () => {
    alter(`UPDATE runs SET summary = '{"critical":"many"}' WHERE id = 2`);
    await withStore(async (store) => await expectCorrupt(() => store.reportOf(2), 'runs row id=2 column summary', 'critical'));
  });

  it('meta that is not JSON', async () => {
    alter("UPDATE runs SET meta = '{not json' WHERE id = 1");
    await withStore(async (store) => await expectCorrupt(() => store.run(1), 'runs row id=1 column meta', 'not JSON'));
  });

  it('history verify reports the run instead of throwing', async () => {
    alter("UPDATE runs SET error_count = 'x' WHERE id = 2");
    const verdict = await withStore((store) => store.verifyChain());
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.brokenAt).toBe(2);
    expect(verdict.reason).toMatch(/runs row id=2.*error_count/);
  });

  it('history verify reports an episode row that does not fit its schema instead of throwing', async () => {
    alter("UPDATE finding_episodes SET first_run_id = 'first' WHERE id = 1");
    const verdict = await withStore((store) => store.verifyChain());
    expect(verdict).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: expect.stringMatching(/run 3: finding_episodes row id=1.*first_run_id/),
    });
  });

  it('history verify reports a run whose hash is not text at that run, instead of throwing', async () => {
    alter("UPDATE runs SET hash = x'0102' WHERE id = 2");
    const verdict = await withStore((store) => store.verifyChain());
    expect(verdict).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/runs row id=2.*column hash/) });
  });
});

describe('snapshots and manifests', () => {
  it('text in node_snapshots.taken_at', async () => {
    alter("UPDATE node_snapshots SET taken_at = 'yesterday' WHERE run_id = 3 AND node_id = 2");
    await withStore(async (store) => {
      await expectCorrupt(() => store.snapshotsOfRun(3), 'node_snapshots row run_id=3', 'column taken_at', '"yesterday"');
      await expectCorrupt(() => store.snapshotOf('erp-b'), 'node_snapshots', 'taken_at');
    });
  });

  it('text in manifest_facets.blob_id', async () => {
    alter("UPDATE manifest_facets SET blob_id = 'first' WHERE facet = 'sysctl'");
    await withStore(
      async (store) => await expectCorrupt(() => store.snapshotsOfRun(1), 'manifest_facets row manifest_id=', 'column blob_id'),
    );
  });

  it('a facet blob whose JSON no longer is a facet', async () => {
    alter(`UPDATE facet_blobs SET data = ? WHERE facet = 'sysctl'`, compress('{"status":"fine","items":{}}'));
    await withStore(async (store) => await expectCorrupt(() => store.latestSnapshots('erp'), /facet_blobs row id=\d+ data/, 'status'));
  });

  it('thinned_nodes that is not a list of node names', async () => {
    alter(`UPDATE runs SET thinned_nodes = '{"erp-b":1}' WHERE id = 2`);
    await withStore(async (store) => await expectCorrupt(() => store.run(2), 'runs row id=2 column thinned_nodes'));
  });
});

describe('findings and episodes', () => {
  it('text in finding_episodes.first_run_id', async () => {
    alter("UPDATE finding_episodes SET first_run_id = 'two'");
    await withStore(
      async (store) => await expectCorrupt(() => store.findingEpisodes(), 'finding_episodes row id=1', 'column first_run_id'),
    );
  });

  it('an episode whose values column is not node -> value', async () => {
    alter(`UPDATE finding_episodes SET values_last = '["erp-a"]'`);
    await withStore(async (store) => await expectCorrupt(() => store.findingEpisodes(), 'finding_episodes row id=1 column values_last'));
  });

  it('a finding blob that no longer is a finding', async () => {
    const tampered = { ...finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' }), severity: 'dire' };
    alter('UPDATE finding_blobs SET data = ?', compress(canonicalJson(tampered)));
    await withStore(
      async (store) =>
        await expectCorrupt(
          () => store.reportOf(2),
          /finding_blobs row id=1 \(finding mismatch:packages:pkg-007 of run 2\) data/,
          'severity',
        ),
    );
  });

  it('a wrong type in run_findings breaks history verify at that run', async () => {
    alter("UPDATE run_findings SET blob_id = 'one' WHERE run_id = 3");
    const verdict = await withStore((store) => store.verifyChain());
    expect(verdict).toMatchObject({ ok: false, brokenAt: 3 });
    if (!verdict.ok) expect(verdict.reason).toMatch(/run_findings row run_id=3 finding_id=mismatch:packages:pkg-007.*column blob_id/);
  });
});

describe('changes', () => {
  it('text in node_changes.run_id', async () => {
    alter("UPDATE node_changes SET run_id = 'second' WHERE key = 'pkg-007'");
    await withStore(
      async (store) => await expectCorrupt(() => store.changes({ node: 'erp-b' }), /node_changes row id=\d+/, 'column run_id', '"second"'),
    );
  });

  it('a facet this version does not know', async () => {
    alter("UPDATE node_changes SET facet = 'weather' WHERE key = 'pkg-007'");
    await withStore(async (store) => await expectCorrupt(() => store.changes(), 'node_changes', 'column facet', '"weather"'));
  });
});

describe('scores', () => {
  it('text in node_scores.score', async () => {
    alter("UPDATE node_scores SET score = 'high' WHERE run_id = 2 AND node = 'erp-b'");
    await withStore(async (store) => {
      await expectCorrupt(() => store.reportOf(2), 'node_scores row run_id=2 node=erp-b', 'column score', '"high"');
      await expectCorrupt(() => store.readinessHistory('erp'), 'node_scores', 'score');
    });
  });

  it('a score detail blob that no longer is a node report', async () => {
    alter('UPDATE score_blobs SET data = ?', compress('{"contributions":[],"error":null,"facets":{"packages":"great"}}'));
    await withStore(
      async (store) => await expectCorrupt(() => store.reportOf(1), 'node_scores row run_id=1', 'score detail', 'facets.packages'),
    );
  });

  it('a blob in score_blobs.data replaced by text', async () => {
    alter("UPDATE score_blobs SET data = 'plain'");
    await withStore(async (store) => await expectCorrupt(() => store.reportOf(1), /score_blobs row id=\d+/, 'column data'));
  });
});

describe('fitsFacetSnapshot, the fast check in front of FacetSnapshotRecord', () => {
  const text = fc.oneof(fc.string(), fc.constantFrom('value', 'status', 'items', 'ok'));
  const loose = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 2 }));
  const item = fc.dictionary(fc.constantFrom('value', 'nodeSpecific', 'content', 'source', 'extra'), loose, { maxKeys: 4 });
  const status = fc.constantFrom('ok', 'error', 'truncated', 'unsupported');
  const valid = fc.record({
    status,
    items: fc.dictionary(text, fc.record({ value: fc.string(), source: fc.string() }, { requiredKeys: ['value'] }), { maxKeys: 3 }),
  });
  // A valid facet with up to two fields replaced or added: the near misses that matter.
  const facet = fc
    .tuple(
      valid,
      fc.dictionary(
        fc.constantFrom('status', 'items', 'error', 'meta', 'durationMs', 'other'),
        fc.oneof(loose, status, fc.dictionary(text, item, { maxKeys: 3 }), fc.dictionary(text, loose, { maxKeys: 3 }), fc.double()),
        { maxKeys: 2 },
      ),
    )
    .map(([base, changes]) => ({ ...base, ...changes }));

  it('accepts nothing the schema rejects (so skipping zod loses no check)', async () => {
    fc.assert(
      fc.property(fc.oneof(facet, fc.anything()), (value) => {
        if (fitsFacetSnapshot(value)) expect(FacetSnapshotRecord.safeParse(value).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every facet driftd writes', async () => {
    const written = {
      status: 'ok',
      items: { a: { value: '1', source: '/etc/x:3' }, b: { value: '', nodeSpecific: 'hostname', content: 'x' } },
      meta: { format: 'deb' },
      durationMs: 12,
    };
    expect(fitsFacetSnapshot(written)).toBe(true);
    expect(fitsFacetSnapshot({ status: 'error', items: {}, error: 'rpm: not found' })).toBe(true);
    expect(fitsFacetSnapshot({ status: 'ok', items: { a: { value: 1 } } })).toBe(false);
    expect(fitsFacetSnapshot({ items: {} })).toBe(false);
  });
});
