/**
 * The real dpkg (1.21.22 on Debian 12) as the oracle for parse verdicts and ordering.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDebVersions, parseDebVersion } from '../../../src/core/versions/deb.js';
import { debVersionPair, versionishString } from './arbitraries.js';
import { dpkgAvailable, dpkgCompareBatch, dpkgVerdictBatch } from './dpkg-cli.js';

if (!dpkgAvailable) console.warn('dpkg NOT FOUND: comparisons against the real dpkg are SKIPPED');
const describeDpkg = dpkgAvailable ? describe : describe.skip;
const title = (name: string): string => (dpkgAvailable ? name : `${name} (skipped: dpkg not installed)`);

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

describeDpkg(title('against the real dpkg --compare-versions'), () => {
  // 1200 real dpkg processes: a generous cap, since a shared 2-core machine under load has
  // taken 37 s here (speed is not what this test is about).
  it(`orders 600 generated pairs as dpkg does, both directions (seed ${seed})`, { timeout: 120_000 }, () => {
    const pairs = fc.sample(debVersionPair, { numRuns: 600, seed });
    for (const [a, b] of pairs) {
      const parsed = [parseDebVersion(a), parseDebVersion(b)];
      expect(
        parsed.every((r) => r.ok && r.warning === null),
        `generator made ${a} / ${b}`,
      ).toBe(true);
    }
    const asked = pairs.flatMap(([a, b]) => [[a, b] as const, [b, a] as const]);
    const dpkgSays = dpkgCompareBatch(asked);
    const disagreements = asked
      .map(([a, b], index) => ({ a, b, dpkg: dpkgSays[index], ours: compareDebVersions(a, b) }))
      .filter((row) => row.dpkg !== row.ours);
    expect(disagreements).toEqual([]);
    // A generator that only made equal pairs would prove nothing about the order.
    const signs = new Set(dpkgSays);
    expect([...signs].sort()).toEqual([-1, 0, 1]);
  });

  it(`gives dpkg's verdict and message for 400 version-shaped strings (seed ${seed})`, { timeout: 120_000 }, () => {
    const values = fc
      .sample(versionishString, { numRuns: 400, seed })
      // dpkg treats "" as "no version" rather than parsing it.
      .filter((value) => value !== '');
    const verdicts = dpkgVerdictBatch(values);
    const disagreements = values.flatMap((value, index) => {
      const verdict = verdicts[index];
      const result = parseDebVersion(value);
      const expected = result.ok
        ? {
            status: 0,
            stderr: result.warning === null ? '' : `dpkg: warning: version '${value}' has bad syntax: ${result.warning.message}`,
          }
        : { status: 2, stderr: `dpkg: error: ${result.error.message}` };
      return verdict?.status === expected.status && verdict.stderr === expected.stderr ? [] : [{ value, dpkg: verdict, ours: expected }];
    });
    expect(disagreements).toEqual([]);
    const kinds = new Set(verdicts.map((v) => (v.status === 2 ? 'error' : v.stderr === '' ? 'ok' : 'warning')));
    expect([...kinds].sort()).toEqual(['error', 'ok', 'warning']);
  });

  it('sorts every package version installed on this machine as dpkg does', () => {
    const query = spawnSync('dpkg-query', ['-W', '-f', '${Version}\n'], { encoding: 'utf8' });
    expect(query.status).toBe(0);
    const versions = [...new Set(query.stdout.split('\n').filter((v) => v !== ''))];
    expect(versions.length).toBeGreaterThan(50);
    const sorted = [...versions].sort(compareDebVersions);
    const adjacent = sorted.slice(1).map((b, index) => [sorted[index] ?? '', b] as const);
    const dpkgSays = dpkgCompareBatch(adjacent);
    const disagreements = adjacent
      .map(([a, b], index) => ({ a, b, dpkg: dpkgSays[index], ours: compareDebVersions(a, b) }))
      .filter((row) => row.dpkg !== row.ours);
    expect(disagreements).toEqual([]);
    // Sorted ascending, so dpkg must never call a neighbour older.
    expect(dpkgSays.filter((sign) => sign === 1)).toEqual([]);
  });
});
