import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRpmEVR, parseRpmEVR, rpmSkew, rpmvercmp } from '../../../src/core/versions/rpm.js';
import { rpmLabelPair, rpmVersionString } from './arbitraries.js';

// Handmade splits following rpm 4.18 parseEVR (the rpm-cli test checks the resulting order).
describe('parseRpmEVR', () => {
  it.each([
    ['1.0', { epoch: null, version: '1.0', release: null }],
    ['1.0-1.fc38', { epoch: null, version: '1.0', release: '1.fc38' }],
    ['2:1.0-1-2', { epoch: '2', version: '1.0-1', release: '2' }],
    [':1.0', { epoch: '0', version: '1.0', release: null }],
    ['1.0-', { epoch: null, version: '1.0', release: '' }],
    ['a:1.0', { epoch: null, version: 'a:1.0', release: null }],
    ['12-3:4', { epoch: null, version: '12', release: '3:4' }],
    ['', { epoch: null, version: '', release: null }],
  ])('splits %j', (input, evr) => {
    expect(parseRpmEVR(input)).toEqual(evr);
  });

  it('never throws, on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (input) => {
        const evr = parseRpmEVR(input);
        expect(typeof evr.version).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('rpmvercmp order properties', () => {
  const anyVersion = fc.oneof(rpmVersionString, fc.string({ unit: 'binary' }));

  it('is reflexive and antisymmetric on arbitrary strings', () => {
    fc.assert(
      fc.property(anyVersion, anyVersion, (a, b) => {
        expect(rpmvercmp(a, a)).toBe(0);
        expect(rpmvercmp(b, a)).toBe(-rpmvercmp(a, b) || 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('is transitive on generated versions', () => {
    fc.assert(
      fc.property(rpmVersionString, rpmVersionString, rpmVersionString, (a, b, c) => {
        const ab = rpmvercmp(a, b);
        const bc = rpmvercmp(b, c);
        if (ab === bc) expect(rpmvercmp(a, c)).toBe(ab);
      }),
      { numRuns: 5000 },
    );
  });

  it('has the documented oddity that non-ASCII characters only separate', () => {
    expect(rpmvercmp('1.1.α', '1.1')).toBe(0);
    expect(rpmvercmp('1α2', '1.2')).toBe(0);
  });
});

describe('compareRpmEVR and rpmSkew', () => {
  it.each([
    ['1.0', '1.0-0', -1, 'revision'],
    ['1.0-1', '1.0-1', 0, null],
    ['0:1.0-1', '1.0-1', 0, null],
    ['1:1.0', '2.0', 1, 'epoch'],
    ['1.0_1-2', '1.0.1-1', 1, 'revision'],
    ['1.0-1', '1.1-1', -1, 'upstream'],
    ['1.0~rc1-1', '1.0-1', -1, 'upstream'],
  ])('compareRpmEVR(%j, %j) === %i, skew %j', (a, b, expected, skew) => {
    expect(compareRpmEVR(a, b)).toBe(expected);
    expect(compareRpmEVR(b, a)).toBe(-expected || 0);
    expect(rpmSkew(a, b)).toBe(skew);
  });

  it('skew is null exactly when the labels compare equal', () => {
    fc.assert(
      fc.property(rpmLabelPair, ([a, b]) => {
        expect(rpmSkew(a, b) === null).toBe(compareRpmEVR(a, b) === 0);
        expect(compareRpmEVR(b, a)).toBe(-compareRpmEVR(a, b) || 0);
      }),
      { numRuns: 3000 },
    );
  });
});
