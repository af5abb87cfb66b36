/**
 * The real rpm 4.18 (Debian package `rpm`) as the oracle for rpmvercmp and labels.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRpmEVR, rpmvercmp } from '../../../src/core/versions/rpm.js';
import { rpmLabelPair, rpmVersionPair } from './arbitraries.js';
import { rpmAvailable, rpmVercmpBatch } from './rpm-cli.js';

if (!rpmAvailable) {
  console.warn('rpm NOT FOUND (Debian package "rpm"): comparisons against the real rpm are SKIPPED');
}
const describeRpm = rpmAvailable ? describe : describe.skip;
const title = (name: string): string => (rpmAvailable ? name : `${name} (skipped: rpm not installed, apt-get install rpm)`);

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

type Pair = readonly [string, string];

function disagreementsWithRpm(pairs: readonly Pair[], ours: (a: string, b: string) => number) {
  const asked = pairs.filter(([a, b]) => a !== '' && b !== '').flatMap(([a, b]) => [[a, b] as const, [b, a] as const]);
  const rpmSays = rpmVercmpBatch(asked);
  const disagreements = asked
    .map(([a, b], index) => ({ a, b, rpm: rpmSays[index], ours: ours(a, b) }))
    .filter((row) => row.rpm !== row.ours);
  return { disagreements, signs: [...new Set(rpmSays)].sort() };
}

describeRpm(title('against the real rpm.vercmp (rpm --eval lua)'), () => {
  it('the harness answers known vectors, including a missing release being older', () => {
    expect(
      rpmVercmpBatch([
        ['1.0', '1.0^'],
        ['1.0~rc1', '1.0'],
        ['1.1.α', '1.1.β'],
        ['2', '10'],
        ['1.0', '1.0-0'],
        ['1:1.0', '2.0'],
      ]),
    ).toEqual([-1, -1, 0, -1, -1, 1]);
  });

  it(`rpmvercmp orders 800 generated version pairs as rpm does (seed ${seed})`, () => {
    const pairs = fc
      .sample(rpmVersionPair, { numRuns: 800, seed })
      // rpm.vercmp would split these as labels; they are covered by the label test.
      .filter(([a, b]) => !/[-:]/.test(a + b));
    expect(pairs.length).toBeGreaterThan(100);
    const { disagreements, signs } = disagreementsWithRpm(pairs, rpmvercmp);
    expect(disagreements).toEqual([]);
    expect(signs).toEqual([-1, 0, 1]);
  });

  it(`compareRpmEVR orders 800 generated [E:]V[-R] pairs as rpm does (seed ${seed})`, () => {
    const pairs = fc.sample(rpmLabelPair, { numRuns: 800, seed });
    const { disagreements, signs } = disagreementsWithRpm(pairs, compareRpmEVR);
    expect(disagreements).toEqual([]);
    expect(signs).toEqual([-1, 0, 1]);
  });
});
