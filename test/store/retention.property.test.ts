/**
 * Property: whatever the history and however often prune runs (with horizons moving
 * forward or not), the chain verifies, the change log and episodes are untouched, and
 * every run's snapshots still read back with the content they had.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshotContentHash } from '../../src/core/snapshot.js';
import { Store } from '../../src/store/index.js';
import { finding, hoursAfter, runInput, tempDir, type NodeState } from './handmade-runs.js';

const T0 = '2026-11-01T00:00:00.000Z';
const dir = tempDir();
afterAll(() => dir.cleanup());

const nodeState: fc.Arbitrary<NodeState> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom<Record<string, string>>({ a: '1' }, { a: '2' }, { a: '1', b: '1' })
      .map((packages): NodeState => ({ packages })),
  },
  { weight: 1, arbitrary: fc.constant<NodeState>({ error: 'connect-timeout' }) },
  // Two error texts: content changes that the change log does not record (error -> error).
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('dpkg-query failed', 'dpkg-query timed out')
      .map((error): NodeState => ({ packagesFacet: { status: 'error', items: {}, error } })),
  },
);
const step = fc.record({
  a: nodeState,
  b: nodeState,
  finding: fc.boolean(),
  // Mostly repeat the previous state so there is something to thin.
  repeat: fc.boolean(),
  hoursLater: fc.integer({ min: -2, max: 12 }),
});
const prunes = fc.array(
  fc.record({ afterRun: fc.nat(), keepDays: fc.integer({ min: 0, max: 3 }), nowHours: fc.integer({ min: 0, max: 400 }) }),
  { maxLength: 4 },
);

let counter = 0;

describe('prune (property)', () => {
  it('never breaks the chain nor changes what history says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 14 }), prunes, async (steps, pruneSteps) => {
        counter += 1;
        const store = await Store.open(join(dir.dir, `p${counter}.db`));
        try {
          let hours = 0;
          let previous = steps[0]!;
          const contentByRun = new Map<number, string[]>();
          for (const [i, s] of steps.entries()) {
            const current = s.repeat ? { ...s, a: previous.a, b: previous.b } : s;
            previous = current;
            hours += s.hoursLater; // clocks may go backwards
            const input = runInput(
              hoursAfter(T0, hours),
              { 'erp-a': current.a, 'erp-b': current.b },
              current.finding ? [finding('f', { 'erp-a': '1' })] : [],
            );
            const run = await store.saveRun(input);
            contentByRun.set(run.id, input.snapshots.map(snapshotContentHash).sort());
            for (const p of pruneSteps.filter((p) => p.afterRun % steps.length === i)) {
              await store.prune({ keepUnchangedDays: p.keepDays, now: hoursAfter(T0, p.nowHours) });
            }
          }
          const changes = await store.changes({});
          const episodes = await store.findingEpisodes({});
          await store.prune({ keepUnchangedDays: 0, now: hoursAfter(T0, 10_000) });
          expect(await store.verifyChain()).toMatchObject({ ok: true, runs: steps.length });
          expect(await store.changes({})).toEqual(changes);
          expect(await store.findingEpisodes({})).toEqual(episodes);
          for (const [runId, hashes] of contentByRun) {
            expect((await store.snapshotsOfRun(runId)).map(snapshotContentHash).sort()).toEqual(hashes);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
