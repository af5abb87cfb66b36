/**
 * Debian version parsing and ordering, following dpkg 1.21 (lib/dpkg/parsehelp.c
 * parseversion, lib/dpkg/version.c verrevcmp / dpkg_version_compare) and deb-version(7).
 */
import type { VersionSkew } from '../findings.js';

export interface DebVersion {
  /** dpkg stores the epoch as an int; parse rejects anything above INT_MAX. */
  epoch: number;
  upstream: string;
  /** "" when absent; verrevcmp makes "" compare equal to "0". */
  revision: string;
}

/** dpkg refuses these (`dpkg --compare-versions` exits 2). */
export const DEB_VERSION_ERROR_CODES = [
  'empty',
  'embedded-space',
  'epoch-empty',
  'epoch-not-number',
  'epoch-negative',
  'epoch-too-big',
  'nothing-after-colon',
  'revision-empty',
  'upstream-empty',
] as const;
export type DebVersionErrorCode = (typeof DEB_VERSION_ERROR_CODES)[number];

/** dpkg warns about these but still compares the version. */
export const DEB_VERSION_WARNING_CODES = ['upstream-not-starting-with-digit', 'upstream-invalid-char', 'revision-invalid-char'] as const;
export type DebVersionWarningCode = (typeof DEB_VERSION_WARNING_CODES)[number];

const MESSAGES: Record<DebVersionErrorCode | DebVersionWarningCode, string> = {
  empty: 'version string is empty',
  'embedded-space': 'version string has embedded spaces',
  'epoch-empty': 'epoch in version is empty',
  'epoch-not-number': 'epoch in version is not number',
  'epoch-negative': 'epoch in version is negative',
  'epoch-too-big': 'epoch in version is too big',
  'nothing-after-colon': 'nothing after colon in version number',
  'revision-empty': 'revision number is empty',
  'upstream-empty': 'version number is empty',
  'upstream-not-starting-with-digit': 'version number does not start with digit',
  'upstream-invalid-char': 'invalid character in version number',
  'revision-invalid-char': 'invalid character in revision number',
};

export class DebVersionParseError extends Error {
  override readonly name = 'DebVersionParseError';
  constructor(
    readonly code: DebVersionErrorCode,
    readonly input: string,
  ) {
    super(`version '${input}' has bad syntax: ${MESSAGES[code]}`);
  }
}

export interface DebVersionWarning {
  code: DebVersionWarningCode;
  message: string;
}

export type DebVersionParseResult =
  { ok: true; version: DebVersion; warning: DebVersionWarning | null } | { ok: false; error: DebVersionParseError };

const INT_MAX = 2147483647;
/** C isblank(): dpkg trims only spaces and tabs. */
const BLANK = /^[ \t]$/;
/** What strtol(s, &end, 10) consumes: C isspace(), an optional sign, then digits. */
const STRTOL_PREFIX = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/;
const UPSTREAM_CHARS = /^[0-9A-Za-z.+~:-]*$/;
const REVISION_CHARS = /^[0-9A-Za-z.+~]*$/;

function trimBlanks(input: string): string {
  let start = 0;
  let end = input.length;
  while (start < end && BLANK.test(input[start] ?? '')) start++;
  while (end > start && BLANK.test(input[end - 1] ?? '')) end--;
  return input.slice(start, end);
}

interface EpochScan {
  /** Characters strtol consumed; 0 means "no number". */
  consumed: number;
  negative: boolean;
  /** Digits without leading zeros ("" for zero). */
  magnitude: string;
}

function scanEpoch(text: string): EpochScan {
  const match = STRTOL_PREFIX.exec(text);
  const sign = match?.[1] ?? '';
  const digits = match?.[2] ?? '';
  if (digits === '') return { consumed: 0, negative: false, magnitude: '' };
  return {
    consumed: (match?.[0] ?? '').length,
    negative: sign === '-',
    magnitude: digits.replace(/^0+/, ''),
  };
}

function magnitudeExceedsIntMax(magnitude: string): boolean {
  const max = String(INT_MAX);
  if (magnitude.length !== max.length) return magnitude.length > max.length;
  return magnitude > max;
}

function parseFailure(code: DebVersionErrorCode, input: string): DebVersionParseResult {
  return { ok: false, error: new DebVersionParseError(code, input) };
}

function warningOf(code: DebVersionWarningCode): DebVersionWarning {
  return { code, message: MESSAGES[code] };
}

/**
 * Parses like dpkg's parseversion(): the first error wins, and like dpkg only the first
 * warning is reported. Never throws.
 */
export function parseDebVersion(input: string): DebVersionParseResult {
  const trimmed = trimBlanks(input);
  if (trimmed === '') return parseFailure('empty', input);
  if (/[ \t]/.test(trimmed)) return parseFailure('embedded-space', input);

  let epoch = 0;
  let rest = trimmed;
  const colon = trimmed.indexOf(':');
  if (colon >= 0) {
    const beforeColon = trimmed.slice(0, colon);
    const scan = scanEpoch(beforeColon);
    if (scan.consumed === 0) return parseFailure('epoch-empty', input);
    if (scan.consumed !== beforeColon.length) return parseFailure('epoch-not-number', input);
    if (scan.negative && scan.magnitude !== '') return parseFailure('epoch-negative', input);
    if (magnitudeExceedsIntMax(scan.magnitude)) return parseFailure('epoch-too-big', input);
    // dpkg tests for "nothing after colon" before cutting trailing blanks, so "1:\t"
    // gets past it and fails later as an empty upstream version.
    if (input.indexOf(':') === input.length - 1) return parseFailure('nothing-after-colon', input);
    rest = trimmed.slice(colon + 1);
    epoch = scan.magnitude === '' ? 0 : Number(scan.magnitude);
  }

  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') return parseFailure('revision-empty', input);
  }
  if (upstream === '') return parseFailure('upstream-empty', input);

  const version: DebVersion = { epoch, upstream, revision };
  let warning: DebVersionWarning | null = null;
  if (!/^[0-9]/.test(upstream)) warning = warningOf('upstream-not-starting-with-digit');
  else if (!UPSTREAM_CHARS.test(upstream)) warning = warningOf('upstream-invalid-char');
  else if (!REVISION_CHARS.test(revision)) warning = warningOf('revision-invalid-char');
  return { ok: true, version, warning };
}

/**
 * A split that never fails, used to order strings dpkg would reject. For every string
 * parseDebVersion accepts it yields the same parts, so one order covers both.
 * Epoch is kept as a signed decimal string because rejected epochs may be huge.
 */
interface LenientParts {
  epochSign: 1 | -1;
  epochMagnitude: string;
  upstream: string;
  revision: string;
}

function lenientParts(input: string): LenientParts {
  const trimmed = trimBlanks(input);
  let epochSign: 1 | -1 = 1;
  let epochMagnitude = '';
  let rest = trimmed;
  const colon = trimmed.indexOf(':');
  if (colon >= 0) {
    const beforeColon = trimmed.slice(0, colon);
    const scan = scanEpoch(beforeColon);
    if (scan.consumed > 0 && scan.consumed === beforeColon.length) {
      epochSign = scan.negative && scan.magnitude !== '' ? -1 : 1;
      epochMagnitude = scan.magnitude;
      rest = trimmed.slice(colon + 1);
    }
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen < 0) return { epochSign, epochMagnitude, upstream: rest, revision: '' };
  return {
    epochSign,
    epochMagnitude,
    upstream: rest.slice(0, hyphen),
    revision: rest.slice(hyphen + 1),
  };
}

function compareMagnitudes(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function compareEpochs(a: LenientParts, b: LenientParts): -1 | 0 | 1 {
  if (a.epochSign !== b.epochSign) return a.epochSign < b.epochSign ? -1 : 1;
  const byMagnitude = compareMagnitudes(a.epochMagnitude, b.epochMagnitude);
  if (a.epochSign === 1 || byMagnitude === 0) return byMagnitude;
  return byMagnitude === 1 ? -1 : 1;
}

const utf8 = new TextEncoder();

function isDigitByte(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isAlphaByte(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

/**
 * dpkg's order(): digits 0 (only reached at a digit/non-digit boundary), letters by
 * ASCII value, '~' before everything including the end, other characters after letters.
 * Bytes >= 0x80 are what x86 (signed char) dpkg computes: c + 256 with c negative.
 */
function orderOf(byte: number | undefined): number {
  if (byte === undefined) return 0;
  if (isDigitByte(byte)) return 0;
  if (isAlphaByte(byte)) return byte;
  if (byte === 0x7e) return -1;
  if (byte >= 0x80) return byte;
  return byte + 256;
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** True when every UTF-16 unit is ASCII: the string is then its own UTF-8 bytes. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** dpkg's verrevcmp() over the UTF-8 bytes of each fragment. */
export function verrevcmp(left: string, right: string): -1 | 0 | 1 {
  if (isAscii(left) && isAscii(right)) return verrevcmpAscii(left, right);
  return verrevcmpBytes(utf8.encode(left), utf8.encode(right));
}

function verrevcmpBytes(a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigitByte(a[i] ?? 0)) || (j < b.length && !isDigitByte(b[j] ?? 0))) {
      const ac = orderOf(a[i]);
      const bc = orderOf(b[j]);
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    while (a[i] === 0x30) i++;
    while (b[j] === 0x30) j++;
    while (isDigitByte(a[i] ?? 0) && isDigitByte(b[j] ?? 0)) {
      if (firstDiff === 0) firstDiff = (a[i] ?? 0) - (b[j] ?? 0);
      i++;
      j++;
    }
    if (isDigitByte(a[i] ?? 0)) return 1;
    if (isDigitByte(b[j] ?? 0)) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

/**
 * verrevcmpBytes over ASCII strings without encoding them (an ASCII string is its own
 * UTF-8): `at(s, i)` is the byte, undefined past the end as for a Uint8Array. Versions are
 * nearly always ASCII, and TextEncoder.encode was about a tenth of a large evaluation.
 */
function verrevcmpAscii(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigitByte(at(a, i) ?? 0)) || (j < b.length && !isDigitByte(at(b, j) ?? 0))) {
      const ac = orderOf(at(a, i));
      const bc = orderOf(at(b, j));
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    while (at(a, i) === 0x30) i++;
    while (at(b, j) === 0x30) j++;
    while (isDigitByte(at(a, i) ?? 0) && isDigitByte(at(b, j) ?? 0)) {
      if (firstDiff === 0) firstDiff = (at(a, i) ?? 0) - (at(b, j) ?? 0);
      i++;
      j++;
    }
    if (isDigitByte(at(a, i) ?? 0)) return 1;
    if (isDigitByte(at(b, j) ?? 0)) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

function at(text: string, index: number): number | undefined {
  return index < text.length ? text.charCodeAt(index) : undefined;
}

/** dpkg_version_compare() on already parsed versions. */
export function compareParsedDebVersions(a: DebVersion, b: DebVersion): -1 | 0 | 1 {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

function skewOfParts(a: LenientParts, b: LenientParts): VersionSkew | null {
  if (compareEpochs(a, b) !== 0) return 'epoch';
  if (verrevcmp(a.upstream, b.upstream) !== 0) return 'upstream';
  if (verrevcmp(a.revision, b.revision) !== 0) return 'revision';
  return null;
}

/**
 * Orders two Debian version strings as `dpkg --compare-versions` does for every string
 * dpkg accepts (warnings included). Strings dpkg rejects are still ordered, by the same
 * rules over an APT-like split (epoch only if the text before the first colon is a
 * number, revision after the last hyphen), so the result is a total preorder usable
 * for sorting; for those dpkg itself exits with status 2.
 */
export function compareDebVersions(a: string, b: string): -1 | 0 | 1 {
  const left = lenientParts(a);
  const right = lenientParts(b);
  return compareEpochs(left, right) || verrevcmp(left.upstream, right.upstream) || verrevcmp(left.revision, right.revision);
}

/** The first part (epoch, then upstream, then revision) whose order differs; null if equal. */
export function debSkew(a: string, b: string): VersionSkew | null {
  return skewOfParts(lenientParts(a), lenientParts(b));
}

/** The parts used for ordering, including for strings dpkg rejects (see compareDebVersions). */
export function splitDebVersion(input: string): {
  epoch: string;
  upstream: string;
  revision: string;
} {
  const parts = lenientParts(input);
  const magnitude = parts.epochMagnitude === '' ? '0' : parts.epochMagnitude;
  return {
    epoch: parts.epochSign === -1 ? `-${magnitude}` : magnitude,
    upstream: parts.upstream,
    revision: parts.revision,
  };
}
