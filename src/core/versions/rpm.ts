/**
 * RPM version ordering, following rpm 4.18: rpmio/rpmvercmp.c for one version or
 * release string, lib/rpmds.c parseEVR for splitting `[E:]V[-R]`, and the Python
 * binding's labelCompare for how absent parts compare.
 */
import type { VersionSkew } from '../findings.js';

/** rpm's risdigit/risalpha are ASCII-only: every other character is a separator. */
function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function isAlpha(ch: string | undefined): boolean {
  return ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
}

function isSeparator(ch: string | undefined): boolean {
  return ch !== undefined && !isDigit(ch) && !isAlpha(ch) && ch !== '~' && ch !== '^';
}

/**
 * rpmvercmp(a, b) from rpm 4.18, including its documented oddities: separators only
 * split segments (so `1.0` == `1_0`), a numeric segment beats an alpha one, and
 * non-ASCII characters are separators, so strings differing only in them compare equal.
 * JavaScript code units stand in for bytes: no code unit >= 0x80 is ever compared.
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let one = 0;
  let two = 0;
  while (one < a.length || two < b.length) {
    while (isSeparator(a[one])) one++;
    while (isSeparator(b[two])) two++;

    // '~' sorts before everything, the end of the string included.
    if (a[one] === '~' || b[two] === '~') {
      if (a[one] !== '~') return 1;
      if (b[two] !== '~') return -1;
      one++;
      two++;
      continue;
    }

    // '^' sorts after the end of the string but before anything else.
    if (a[one] === '^' || b[two] === '^') {
      if (one >= a.length) return -1;
      if (two >= b.length) return 1;
      if (a[one] !== '^') return 1;
      if (b[two] !== '^') return -1;
      one++;
      two++;
      continue;
    }

    if (one >= a.length || two >= b.length) break;

    const isNumeric = isDigit(a[one]);
    const inSegment = isNumeric ? isDigit : isAlpha;
    let end1 = one;
    let end2 = two;
    while (inSegment(a[end1])) end1++;
    while (inSegment(b[end2])) end2++;

    // b has a segment of the other kind here: numeric segments are newer than alpha ones.
    if (end2 === two) return isNumeric ? 1 : -1;

    let segment1 = a.slice(one, end1);
    let segment2 = b.slice(two, end2);
    if (isNumeric) {
      segment1 = segment1.replace(/^0+/, '');
      segment2 = segment2.replace(/^0+/, '');
      if (segment1.length !== segment2.length) return segment1.length > segment2.length ? 1 : -1;
    }
    if (segment1 !== segment2) return segment1 < segment2 ? -1 : 1;
    one = end1;
    two = end2;
  }
  if (one >= a.length && two >= b.length) return 0;
  return one >= a.length ? -1 : 1;
}

export interface RpmEVR {
  /** null when absent; compared as "0". */
  epoch: string | null;
  version: string;
  /** null when absent (no hyphen); an absent release is older than any present one. */
  release: string | null;
}

/**
 * rpm's parseEVR(): the epoch is the leading digits when a colon follows them (an empty
 * one means "0"), the release is what follows the last hyphen after that. Total: any
 * string yields parts, as in rpm.
 */
export function parseRpmEVR(input: string): RpmEVR {
  let digitsEnd = 0;
  while (isDigit(input[digitsEnd])) digitsEnd++;
  let epoch: string | null = null;
  let versionStart = 0;
  if (input[digitsEnd] === ':') {
    epoch = digitsEnd === 0 ? '0' : input.slice(0, digitsEnd);
    versionStart = digitsEnd + 1;
  }
  const hyphen = input.lastIndexOf('-');
  if (hyphen >= digitsEnd) {
    return {
      epoch,
      version: input.slice(versionStart, hyphen),
      release: input.slice(hyphen + 1),
    };
  }
  return { epoch, version: input.slice(versionStart), release: null };
}

/** compare_values() of rpm's Python labelCompare: absent < present, both absent equal. */
function compareOptional(a: string | null, b: string | null): -1 | 0 | 1 {
  if (a === null && b === null) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return rpmvercmp(a, b);
}

function skewOfEVR(a: RpmEVR, b: RpmEVR): VersionSkew | null {
  if (rpmvercmp(a.epoch ?? '0', b.epoch ?? '0') !== 0) return 'epoch';
  if (rpmvercmp(a.version, b.version) !== 0) return 'upstream';
  if (compareOptional(a.release, b.release) !== 0) return 'revision';
  return null;
}

/** rpm labelCompare on parsed labels. */
export function compareParsedRpmEVR(a: RpmEVR, b: RpmEVR): -1 | 0 | 1 {
  return rpmvercmp(a.epoch ?? '0', b.epoch ?? '0') || rpmvercmp(a.version, b.version) || compareOptional(a.release, b.release);
}

/**
 * Orders `[E:]V[-R]` labels like rpm's Python `labelCompare`: missing epoch is 0, and a
 * missing release is older than any release (`1.0 < 1.0-0`; rpm 4.18's Lua `rpm.ver`
 * agrees). Dependency matching (rpmdsCompare) is a different question and not modelled.
 */
export function compareRpmEVR(a: string, b: string): -1 | 0 | 1 {
  return compareParsedRpmEVR(parseRpmEVR(a), parseRpmEVR(b));
}

/** The first part (epoch, then version as 'upstream', then release as 'revision') that differs. */
export function rpmSkew(a: string, b: string): VersionSkew | null {
  return skewOfEVR(parseRpmEVR(a), parseRpmEVR(b));
}
