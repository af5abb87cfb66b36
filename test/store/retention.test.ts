import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { BASE_PACKAGES, CLUSTER, finding, hoursAfter, runInput, tempDir, type NodeState } from './handmade-runs.js';

const T0 = '2026-11-01T00:00:00.000Z';
const EVERY_HOURS = 6;
const RUNS = 40; // ten days

let dir: { dir: string; cleanup: () => void };
let store: Store;

/** erp-b changes at run 12 (day 3) and run 28 (day 7); a finding lives on runs 20..23. */
function stateAt(i: number): { states: Record<string, NodeState>; findings: ReturnType<typeof finding>[] } {
  const a = { packages: BASE_PACKAGES };
  const b = i < 12 ? a : i < 28 ? { packages: { ...BASE_PACKAGES, 'pkg-001': '2' } } : { packages: { ...BASE_PACKAGES, 'pkg-001': '3' } };
  const findings = i >= 20 && i < 24 ? [finding('stale:node:erp-b', { 'erp-b': 'old' })] : [];
  return { states: { 'erp-a': a, 'erp-b': b }, findings };
}

beforeEach(async () => {
  dir = tempDir();
  store = await Store.open(join(dir.dir, 'history.db'));
  for (let i = 0; i < RUNS; i += 1) {
    const { states, findings } = stateAt(i);
    await store.saveRun(runInput(hoursAfter(T0, i * EVERY_HOURS), states, findings, 10 + i));
  }
});
afterEach(async () => {
  await store.close();
  dir.cleanup();
});

describe('prune', () => {
  it('thins unchanged old snapshots, keeps boundaries, and the chain still verifies', async () => {
    const changesBefore = await store.changes({});
    const episodesBefore = await store.findingEpisodes({});
    const latestBefore = await store.latestSnapshots(CLUSTER);
    const now = hoursAfter(T0, RUNS * EVERY_HOURS);
    const result = await store.prune({ keepUnchangedDays: 2, now });
    // Horizon: day 8 = run 32. Kept per node: run 0, boundaries (12, 20, 24, 28), runs >= 32.
    // erp-a and erp-b: 32 old runs - 1 first - 4 boundary runs = 27 thinned each.
    expect(result).toEqual({ deletedSnapshots: 54, deletedBlobs: 0, thinnedRuns: 27, horizon: hoursAfter(T0, 32 * EVERY_HOURS) });
    expect(await store.verifyChain()).toEqual({ ok: true, runs: RUNS, thinnedRuns: 27 });
    expect((await store.stats()).rows.node_snapshots).toBe(2 * RUNS - 54);
    expect(await store.changes({})).toEqual(changesBefore);
    expect(await store.findingEpisodes({})).toEqual(episodesBefore);
    expect(await store.latestSnapshots(CLUSTER)).toEqual(latestBefore);
    expect(await store.runs({ cluster: CLUSTER })).toHaveLength(RUNS);

    // A thinned moment still answers with equal content (from the previous kept snapshot).
    const thinnedAt = hoursAfter(T0, 5 * EVERY_HOURS);
    const got = await store.snapshotOf('erp-b', thinnedAt);
    expect(got?.facets.packages?.items).toEqual(runInput(thinnedAt, stateAt(5).states).snapshots[1]?.facets.packages?.items);
    expect((await store.snapshotsOfRun(6)).map((s) => s.node)).toEqual(['erp-a', 'erp-b']);

    // Idempotent, and later runs keep diffing against the kept history.
    expect((await store.prune({ keepUnchangedDays: 2, now })).deletedSnapshots).toBe(0);
    await store.saveRun(runInput(now, { 'erp-a': { packages: BASE_PACKAGES }, 'erp-b': { packages: BASE_PACKAGES } }));
    expect((await store.changes({ since: now })).map((c) => [c.node, c.key, c.before, c.after])).toEqual([
      ['erp-b', 'pkg-001', '3', '1.1.0-1'],
    ]);
    expect(await store.verifyChain()).toMatchObject({ ok: true, runs: RUNS + 1 });

    // 54 thinned rows of a few dozen bytes may not empty a page; vacuum gives back at least the free ones.
    const { freePages, pageSize } = await store.stats();
    const { bytesBefore, bytesAfter } = await store.vacuum();
    expect(bytesAfter).toBeLessThanOrEqual(bytesBefore - freePages * pageSize);
    expect((await store.stats()).freePages).toBe(0);
    expect(await store.verifyChain()).toMatchObject({ ok: true, runs: RUNS + 1, thinnedRuns: 27 });
  });

  it('a later prune with a later horizon keeps the chain valid', async () => {
    await store.prune({ keepUnchangedDays: 5, now: hoursAfter(T0, RUNS * EVERY_HOURS) });
    expect(await store.verifyChain()).toMatchObject({ ok: true });
    const second = await store.prune({ keepUnchangedDays: 0, now: hoursAfter(T0, RUNS * EVERY_HOURS) });
    expect(second.deletedSnapshots).toBeGreaterThan(0);
    expect(await store.verifyChain()).toMatchObject({ ok: true, runs: RUNS });
  });

  it('keeps everything inside the horizon', async () => {
    expect(await store.prune({ keepUnchangedDays: 30, now: hoursAfter(T0, RUNS * EVERY_HOURS) })).toMatchObject({
      deletedSnapshots: 0,
      thinnedRuns: 0,
    });
  });
  it("never thins a node's latest snapshot, even when it is older than the horizon and equal to the one before", async () => {
    // Every run of the fixture is older than this horizon; the last of each node stays.
    const now = hoursAfter(T0, (RUNS + 1000) * EVERY_HOURS);
    await store.prune({ keepUnchangedDays: 0, now });
    const last = await store.snapshotsOfRun(RUNS);
    expect(last.map((s) => s.node)).toEqual(['erp-a', 'erp-b']);
    expect((await store.run(RUNS))?.thinnedNodes).toEqual([]);
    expect(await store.verifyChain()).toMatchObject({ ok: true, runs: RUNS });
  });
});
