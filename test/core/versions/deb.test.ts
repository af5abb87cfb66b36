import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareDebVersions,
  debSkew,
  DebVersionParseError,
  parseDebVersion,
  splitDebVersion,
  verrevcmp,
} from '../../../src/core/versions/deb.js';
import { debVersionPair, validDebVersion, versionishString } from './arbitraries.js';

// Handmade cases; each verdict was checked against dpkg 1.21.22 on Debian 12
// (`dpkg --compare-versions -- V lt 5`), and the dpkg property test re-checks the messages.
describe('parseDebVersion', () => {
  it.each([
    ['1.2.3-4', { epoch: 0, upstream: '1.2.3', revision: '4' }],
    ['2:1.0', { epoch: 2, upstream: '1.0', revision: '' }],
    ['1:2.0-3-4', { epoch: 1, upstream: '2.0-3', revision: '4' }],
    ['1:2:3', { epoch: 1, upstream: '2:3', revision: '' }],
    [' \t1.0-1 \t', { epoch: 0, upstream: '1.0', revision: '1' }],
    ['+1:0', { epoch: 1, upstream: '0', revision: '' }],
    ['-0:1', { epoch: 0, upstream: '1', revision: '' }],
    ['2147483647:1', { epoch: 2147483647, upstream: '1', revision: '' }],
    ['007:1', { epoch: 7, upstream: '1', revision: '' }],
  ])('accepts %j', (input, version) => {
    expect(parseDebVersion(input)).toEqual({ ok: true, version, warning: null });
  });

  it.each([
    ['', 'empty'],
    [' \t ', 'empty'],
    ['1 2', 'embedded-space'],
    [':1.0', 'epoch-empty'],
    ['a:0-0', 'epoch-empty'],
    ['1a:0', 'epoch-not-number'],
    ['-1:0-1', 'epoch-negative'],
    ['2147483648:1', 'epoch-too-big'],
    ['99999999999999999999:1', 'epoch-too-big'],
    ['0:', 'nothing-after-colon'],
    ['1:\t', 'upstream-empty'],
    ['1.0-', 'revision-empty'],
    ['-1', 'upstream-empty'],
    ['0:-0', 'upstream-empty'],
  ])('rejects %j as %s', (input, code) => {
    const result = parseDebVersion(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(DebVersionParseError);
    expect(result.error.name).toBe('DebVersionParseError');
    expect(result.error.code).toBe(code);
    expect(result.error.input).toBe(input);
  });

  it.each([
    ['a', 'upstream-not-starting-with-digit'],
    ['1_2', 'upstream-invalid-char'],
    ['1:1-a_b', 'revision-invalid-char'],
    ['1.0é', 'upstream-invalid-char'],
  ])('accepts %j with dpkg warning %s', (input, code) => {
    const result = parseDebVersion(input);
    expect(result.ok && result.warning?.code).toBe(code);
  });

  it('never throws, and always answers with a version or a DebVersionParseError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), versionishString), (input) => {
        const result = parseDebVersion(input);
        if (result.ok) expect(typeof result.version.upstream).toBe('string');
        else expect(result.error).toBeInstanceOf(DebVersionParseError);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with splitDebVersion on every version it accepts', () => {
    fc.assert(
      fc.property(fc.oneof(validDebVersion, versionishString), (input) => {
        const result = parseDebVersion(input);
        if (!result.ok) return;
        expect(splitDebVersion(input)).toEqual({
          epoch: String(result.version.epoch),
          upstream: result.version.upstream,
          revision: result.version.revision,
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('verrevcmp', () => {
  it.each([
    ['~~', '~~a', -1],
    ['~', '', -1],
    ['', 'a', -1],
    ['a', '.', -1],
    ['Z', 'a', -1],
    ['+', '.', -1],
    ['9', '10', -1],
    ['010', '10', 0],
    ['', '0', 0],
    ['1.0', '1.00', 0],
    ['a', 'é', -1],
    ['é', '.', -1],
  ])('verrevcmp(%j, %j) === %i', (a, b, expected) => {
    expect(verrevcmp(a, b)).toBe(expected);
    expect(verrevcmp(b, a)).toBe(-expected || 0);
  });
});

describe('compareDebVersions', () => {
  const anyVersion = fc.oneof(validDebVersion, versionishString, fc.string());

  it('is reflexive, antisymmetric and transitive, valid or not', () => {
    fc.assert(
      fc.property(anyVersion, anyVersion, anyVersion, (a, b, c) => {
        expect(compareDebVersions(a, a)).toBe(0);
        expect(compareDebVersions(b, a)).toBe(-compareDebVersions(a, b) || 0);
        const sorted = [a, b, c].sort(compareDebVersions);
        const [x = '', y = '', z = ''] = sorted;
        expect(compareDebVersions(x, y)).toBeLessThanOrEqual(0);
        expect(compareDebVersions(y, z)).toBeLessThanOrEqual(0);
        expect(compareDebVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareDebVersions(x, y) === 0 && compareDebVersions(y, z) === 0) {
          expect(compareDebVersions(x, z)).toBe(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('is transitive on near-equal generated pairs extended to triples', () => {
    fc.assert(
      fc.property(debVersionPair, validDebVersion, ([a, b], c) => {
        const ab = compareDebVersions(a, b);
        const bc = compareDebVersions(b, c);
        if (ab === bc) expect(compareDebVersions(a, c)).toBe(ab);
      }),
      { numRuns: 3000 },
    );
  });

  it('trims surrounding blanks as dpkg does', () => {
    expect(compareDebVersions(' \t1.0-1\t', '1.0-1')).toBe(0);
  });

  it('orders epochs numerically, also beyond what dpkg accepts', () => {
    expect(compareDebVersions('10:1', '9:2')).toBe(1);
    expect(compareDebVersions('99999999999999999999:1', '2147483647:9')).toBe(1);
    expect(compareDebVersions('-1:5', '0:1')).toBe(-1);
  });
});

describe('debSkew', () => {
  it.each([
    ['1:1.0-1', '2:0.9-1', 'epoch'],
    ['1.0-1', '1.1-1', 'upstream'],
    ['1.0-1', '1.0-2', 'revision'],
    ['1.0', '1.0-0', null],
    ['0:1.00-1', '1.0-1', null],
    ['1:1.0-1', '1.0-2', 'epoch'],
  ])('debSkew(%j, %j) === %j', (a, b, skew) => {
    expect(debSkew(a, b)).toBe(skew);
    expect(debSkew(b, a)).toBe(skew);
  });

  it('is null exactly when the versions compare equal', () => {
    fc.assert(
      fc.property(debVersionPair, ([a, b]) => {
        expect(debSkew(a, b) === null).toBe(compareDebVersions(a, b) === 0);
      }),
      { numRuns: 2000 },
    );
  });
});
