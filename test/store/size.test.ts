/**
 * What history costs on disk, on a real file: per unchanged node-snapshot and per
 * changed facet, with ten facets of realistic size (hand-made items).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FACET_NAMES, type FacetSnapshot, type NodeSnapshot } from '../../src/core/snapshot.js';
import { Store } from '../../src/store/index.js';
import { CLUSTER, hoursAfter, report, tempDir } from './handmade-runs.js';

const ITEMS: Record<(typeof FACET_NAMES)[number], number> = {
  os: 10,
  kernel: 5,
  packages: 1500,
  modules: 120,
  sysctl: 1000,
  services: 200,
  files: 20,
  corosync: 30,
  pacemaker: 60,
  drbd: 20,
  users: 60,
  mounts: 12,
  time: 5,
  security: 30,
  identity: 12,
  network: 40,
  drivers: 10,
  multipath: 40,
};
const NODES = ['erp-a', 'erp-b', 'erp-c'];
const T0 = '2026-11-01T00:00:00.000Z';
const dir = tempDir();
afterAll(() => dir.cleanup());

function facets(changed: number): NodeSnapshot['facets'] {
  const out: NodeSnapshot['facets'] = {};
  for (const name of FACET_NAMES) {
    const items: FacetSnapshot['items'] = {};
    for (let i = 0; i < ITEMS[name]; i += 1) {
      items[`${name}-item-${i}`] =
        name === 'files' ? { value: `sha256:${i}`, content: `line ${i}\n`.repeat(40) } : { value: `${i}.${i % 7}.${i % 13}-1` };
    }
    if (name === 'packages') items['package-that-moves'] = { value: `1.${changed}` };
    out[name] = { status: 'ok', items, durationMs: 5 + changed };
  }
  return out;
}

async function run(store: Store, index: number, changed: number) {
  const at = hoursAfter(T0, index);
  const snapshots = NODES.map((node) => ({ cluster: CLUSTER, node, takenAt: at, facets: facets(node === 'erp-b' ? changed : 0) }));
  return await store.saveRun({ cluster: CLUSTER, startedAt: at, finishedAt: at, snapshots, report: report(at, NODES, []) });
}

describe('size on disk', () => {
  it('an unchanged node costs a few hundred bytes per run; a changed facet about its compressed size', async () => {
    const store = await Store.open(join(dir.dir, 'size.db'));
    try {
      await run(store, 0, 0);
      const first = await store.stats();
      const UNCHANGED_RUNS = 100;
      for (let i = 1; i <= UNCHANGED_RUNS; i += 1) await run(store, i, 0);
      const afterUnchanged = await store.stats();
      const perNodeSnapshot = (afterUnchanged.bytes - first.bytes) / (UNCHANGED_RUNS * NODES.length);
      expect(afterUnchanged.rows.facet_blobs).toBe(first.rows.facet_blobs);

      const CHANGED_RUNS = 20;
      for (let i = 1; i <= CHANGED_RUNS; i += 1) await run(store, UNCHANGED_RUNS + i, i);
      const afterChanged = await store.stats();
      // Each changed run: three node-snapshots plus one new packages blob on erp-b.
      const perChangedFacet = (afterChanged.bytes - afterUnchanged.bytes) / CHANGED_RUNS - perNodeSnapshot * NODES.length;
      console.info(
        `store size: first run ${first.bytes} B (facet blobs ${first.facetBlobBytes.raw} B raw -> ${first.facetBlobBytes.stored} B deflated); ` +
          `${perNodeSnapshot.toFixed(0)} B per unchanged node-snapshot (10 facets); ` +
          `${perChangedFacet.toFixed(0)} B per changed packages facet (1500 items)`,
      );
      // v2 wrote ~780 B here (score explanation, ten facet rows, hashes and names per node per run).
      expect(perNodeSnapshot).toBeLessThan(400);
      expect(afterChanged.rows.facet_blobs - afterUnchanged.rows.facet_blobs).toBe(CHANGED_RUNS);
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 1 + UNCHANGED_RUNS + CHANGED_RUNS });
    } finally {
      await store.close();
    }
  });
});

describe('size of an unchanged node-snapshot, all tables', () => {
  it('stays under 150 B per node per run with per-run times and durations that differ every run', async () => {
    const nodes = Array.from({ length: 40 }, (_, i) => `db-${String(i).padStart(3, '0')}`);
    const file = join(dir.dir, 'many.db');
    const store = await Store.open(file);
    const run = async (index: number) => {
      const at = hoursAfter(T0, index / 4);
      const snapshots = nodes.map((node, n) => {
        const out: NodeSnapshot['facets'] = {};
        for (const name of FACET_NAMES) {
          const items: FacetSnapshot['items'] = {};
          for (let i = 0; i < 20; i += 1) items[`${name}-${i}`] = { value: `${n % 3}.${i}` };
          // Wall time differs every run: not content, but kept per run.
          out[name] = { status: 'ok', items, durationMs: (index * 37 + n * 11 + name.length * 5) % 400 };
        }
        return { cluster: CLUSTER, node, takenAt: new Date(Date.parse(at) + n * 150).toISOString(), facets: out };
      });
      await store.saveRun({ cluster: CLUSTER, startedAt: at, finishedAt: at, snapshots, report: report(at, nodes, []) });
    };
    try {
      await run(0);
      const first = await store.stats();
      const firstByTable = store.bytesByTable();
      const RUNS = 60;
      for (let i = 1; i <= RUNS; i += 1) await run(i);
      const after = await store.stats();
      const perNodeSnapshot = (after.bytes - first.bytes) / (RUNS * nodes.length);
      const byTable = Object.entries(store.bytesByTable())
        .map(([name, bytes]) => `${name} ${((bytes - (firstByTable[name] ?? 0)) / (RUNS * nodes.length)).toFixed(1)}`)
        .filter((line) => !line.endsWith(' 0.0'));
      console.info(`unchanged node-snapshot: ${perNodeSnapshot.toFixed(0)} B (${byTable.join(', ')})`);
      expect(after.rows).toMatchObject({
        snapshot_manifests: first.rows.snapshot_manifests,
        score_blobs: first.rows.score_blobs,
        facet_blobs: first.rows.facet_blobs,
      });
      expect(perNodeSnapshot).toBeLessThan(150);
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: RUNS + 1 });
    } finally {
      await store.close();
    }
  });
});
