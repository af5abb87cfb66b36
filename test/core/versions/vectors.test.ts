import { describe, expect, it } from 'vitest';
import { compareDebVersions, parseDebVersion } from '../../../src/core/versions/deb.js';
import { compareRpmEVR, rpmvercmp } from '../../../src/core/versions/rpm.js';
import { bothDirections, readVectors, vectorsDir, vectorsPresent, vectorsRequired } from './vectors.js';

if (!vectorsPresent && !vectorsRequired) {
  console.warn(`VERSION VECTORS ABSENT: ${vectorsDir} not found; upstream vector tests are SKIPPED`);
}

describe('upstream version vectors', () => {
  // Outside CI a missing ../shared is skipped loudly (above); under CI it is always laid out.
  (vectorsRequired || vectorsPresent ? it : it.skip)(`are present under CI (${vectorsDir}; DRIFTD_VECTORS_DIR overrides)`, () => {
    expect(vectorsPresent, `${vectorsDir} not found: CI must see ../shared/vectors beside the project root`).toBe(true);
  });
});
const describeVectors = vectorsPresent ? describe : describe.skip;
const title = (name: string): string => (vectorsPresent ? name : `${name} (vectors absent: ../shared/vectors not found)`);

describeVectors(title('dpkg-version.tsv: dpkg, APT and python-debian vectors'), () => {
  const vectors = vectorsPresent ? readVectors('dpkg-version.tsv') : [];

  it('holds the 155 pairs its README announces', () => {
    expect(vectors).toHaveLength(155);
  });

  it.each(vectorsPresent ? bothDirections(vectors) : [])('compareDebVersions(%j, %j) === %i (%s)', (a, b, expected) => {
    expect(compareDebVersions(a, b)).toBe(expected);
  });

  it('every version in it parses without error or warning, as dpkg found', () => {
    const problems = vectors
      .flatMap((v) => [v.a, v.b])
      .map((value) => ({ value, result: parseDebVersion(value) }))
      .filter(({ result }) => !result.ok || result.warning !== null);
    expect(problems).toEqual([]);
  });
});

describeVectors(title('dpkg-version-invalid.tsv: pairs dpkg warns about or rejects'), () => {
  it('parse reports the same verdict dpkg 1.21.22 gave (warning vs error)', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const rows = readFileSync(path.join(vectorsDir, 'dpkg-version-invalid.tsv'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('a\tb\t'))
      .map((line) => line.split('\t'));
    expect(rows.length).toBe(16);
    for (const [a = '', b = '', expected = '', dpkgVerdict = ''] of rows) {
      const parsed = [parseDebVersion(a), parseDebVersion(b)];
      if (dpkgVerdict === 'error') {
        expect(
          parsed.some((r) => !r.ok),
          `${a} vs ${b}`,
        ).toBe(true);
      } else {
        expect(
          parsed.every((r) => r.ok),
          `${a} vs ${b}`,
        ).toBe(true);
        expect(
          parsed.some((r) => r.ok && r.warning !== null),
          `${a} vs ${b}`,
        ).toBe(true);
        expect(compareDebVersions(a, b), `${a} vs ${b}`).toBe(Number(dpkgVerdict));
        expect(compareDebVersions(a, b), `${a} vs ${b}`).toBe(Number(expected));
      }
    }
  });
});

describeVectors(title('rpmvercmp.tsv: rpm tests/rpmvercmp.at'), () => {
  const vectors = vectorsPresent ? readVectors('rpmvercmp.tsv') : [];
  it('holds the 91 pairs its README announces', () => {
    expect(vectors).toHaveLength(91);
  });
  it.each(vectorsPresent ? bothDirections(vectors) : [])('rpmvercmp(%j, %j) === %i (%s)', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
  });
});

describeVectors(title('rpmvercmp-oddities.tsv: documented rpm oddities'), () => {
  const vectors = vectorsPresent ? readVectors('rpmvercmp-oddities.tsv') : [];
  it('holds the 12 pairs its README announces', () => {
    expect(vectors).toHaveLength(12);
  });
  it.each(vectorsPresent ? bothDirections(vectors) : [])('rpmvercmp(%j, %j) === %i (%s)', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
  });
});

describeVectors(title('rpm-labelcompare.tsv: rpm labelCompare / rpm.ver'), () => {
  const vectors = vectorsPresent ? readVectors('rpm-labelcompare.tsv') : [];
  it('holds the 11 pairs its README announces', () => {
    expect(vectors).toHaveLength(11);
  });
  it.each(vectorsPresent ? bothDirections(vectors) : [])('compareRpmEVR(%j, %j) === %i (%s)', (a, b, expected) => {
    expect(compareRpmEVR(a, b)).toBe(expected);
  });
});
