import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allowedSkew,
  compareVersions,
  majorMinorKey,
  newest,
  SKEW_TOLERANCES,
  versionSkew,
  type VersionFormat,
} from '../../../src/core/versions/index.js';
import { debVersionPair, rpmLabelPair } from './arbitraries.js';

describe('compareVersions and versionSkew dispatch on the format', () => {
  it.each([
    // Where the two orderings disagree (see ../shared/vectors/README.md).
    ['deb', '1.0', '1.0-0', 0, null],
    ['rpm', '1.0', '1.0-0', -1, 'revision'],
    ['deb', '2.4.7-1', '2.4.7-z', -1, 'revision'],
    ['rpm', '2.4.7-1', '2.4.7-z', 1, 'revision'],
    ['deb', '2.0', '2_0', -1, 'upstream'],
    ['rpm', '2.0', '2_0', 0, null],
    ['deb', '1:1.0', '2.0', 1, 'epoch'],
    ['rpm', '1:1.0', '2.0', 1, 'epoch'],
  ] as const)('%s: compare(%j, %j) === %i, skew %j', (format, a, b, expected, skew) => {
    expect(compareVersions(format, a, b)).toBe(expected);
    expect(versionSkew(format, a, b)).toBe(skew);
  });
});

describe('newest', () => {
  it.each([
    ['deb', ['1.0-1', '1:0.1-1', '2.0-1'], '1:0.1-1'],
    ['deb', ['1.0~rc1', '1.0', '1.0+b1'], '1.0+b1'],
    ['rpm', ['1.0^git1', '1.0', '1.0~rc1'], '1.0^git1'],
    ['rpm', ['5.14.0-362.el9', '5.14.0-70.el9', '5.14.0-362.8.1.el9_3'], '5.14.0-362.8.1.el9_3'],
    // Equal values: the first one listed wins.
    ['deb', ['1.0', '1.0-0', '0:1.00'], '1.0'],
    ['deb', ['0:1.00', '1.0', '1.0-0'], '0:1.00'],
  ] as const)('%s: newest(%j) === %j', (format, values, expected) => {
    expect(newest(format, values)).toBe(expected);
  });

  it('is undefined for no values', () => {
    expect(newest('deb', [])).toBeUndefined();
  });

  it('nothing in the list is newer than it, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(debVersionPair, { minLength: 1, maxLength: 6 }), (pairs) => {
        const values = pairs.flat();
        const best = newest('deb', values) ?? '';
        expect(values.every((v) => compareVersions('deb', v, best) <= 0)).toBe(true);
        expect(compareVersions('deb', newest('deb', [...values].reverse()) ?? '', best)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('majorMinorKey', () => {
  it.each([
    ['1.2.3', ['1', '2']],
    ['2.36', ['2', '36']],
    ['1', ['1', '0']],
    ['007.010', ['7', '10']],
    ['1.2rc1', ['1', '2']],
    ['1.2~rc1', ['1', '2']],
    ['20230101', ['20230101', '0']],
    ['1.x', ['1', 'x']],
    ['v1.2', ['v1', '2']],
    ['0.0', ['0', '0']],
  ])('majorMinorKey(%j) === %j', (upstream, key) => {
    expect(majorMinorKey(upstream)).toEqual(key);
  });
});

describe('allowedSkew', () => {
  it.each([
    ['deb', '1.2.3-1', '1.2.3-1', [true, true, true]],
    ['deb', '1.2.3', '1.2.3-0', [true, true, true]],
    ['deb', '1.2.3-1', '1.2.3-2', [false, true, true]],
    ['deb', '1.2.3-1', '1.2.4-1', [false, false, true]],
    ['deb', '1.2.3-1', '1.2~rc1-1', [false, false, true]],
    ['deb', '1.2.3-1', '1.3.0-1', [false, false, false]],
    ['deb', '1.2.3-1', '2.2.3-1', [false, false, false]],
    ['deb', '1:1.2.3-1', '1.2.3-1', [false, false, false]],
    ['deb', '1:1.2.3-1', '1:1.2.9-4', [false, false, true]],
    ['deb', '1-1', '1.0.5-1', [false, false, true]],
    ['rpm', '5.14.0-362.el9', '5.14.0-70.el9', [false, true, true]],
    ['rpm', '5.14.0-362.el9', '5.14.21-1', [false, false, true]],
    ['rpm', '5.14.0-362.el9', '5.15.0-362.el9', [false, false, false]],
    ['rpm', '1.2', '1_2', [true, true, true]],
    ['rpm', '1.2', '1.2-1', [false, true, true]],
    ['rpm', '1:1.2', '1.2', [false, false, false]],
  ] as const)('%s: %j vs %j allowed under none/revision/minor: %j', (format, a, b, verdicts) => {
    SKEW_TOLERANCES.forEach((tolerance, index) => {
      expect(allowedSkew(format, a, b, tolerance), tolerance).toBe(verdicts[index]);
      expect(allowedSkew(format, b, a, tolerance), `${tolerance} reversed`).toBe(verdicts[index]);
    });
  });

  it.each(['deb', 'rpm'] as const)('%s: each tolerance allows all the stricter ones do', (format: VersionFormat) => {
    const pairs = format === 'deb' ? debVersionPair : rpmLabelPair;
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const [none, revision, minor] = SKEW_TOLERANCES.map((t) => allowedSkew(format, a, b, t));
        expect(none).toBe(compareVersions(format, a, b) === 0);
        if (none) expect(revision).toBe(true);
        if (revision) expect(minor).toBe(true);
        expect(revision).toBe(none || versionSkew(format, a, b) === 'revision');
      }),
      { numRuns: 2000 },
    );
  });
});
