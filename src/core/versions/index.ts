/**
 * Package version ordering for the two package formats driftd audits.
 */
import type { VersionSkew } from '../findings.js';
import { compareDebVersions, debSkew, splitDebVersion } from './deb.js';
import { compareRpmEVR, parseRpmEVR, rpmSkew } from './rpm.js';

export {
  compareDebVersions,
  compareParsedDebVersions,
  debSkew,
  DebVersionParseError,
  DEB_VERSION_ERROR_CODES,
  DEB_VERSION_WARNING_CODES,
  parseDebVersion,
  splitDebVersion,
  verrevcmp,
} from './deb.js';
export type { DebVersion, DebVersionErrorCode, DebVersionParseResult, DebVersionWarning, DebVersionWarningCode } from './deb.js';
export { compareParsedRpmEVR, compareRpmEVR, parseRpmEVR, rpmSkew, rpmvercmp } from './rpm.js';
export type { RpmEVR } from './rpm.js';

export const VERSION_FORMATS = ['deb', 'rpm'] as const;
export type VersionFormat = (typeof VERSION_FORMATS)[number];

export const SKEW_TOLERANCES = ['none', 'revision', 'minor'] as const;
export type SkewTolerance = (typeof SKEW_TOLERANCES)[number];

export function compareVersions(format: VersionFormat, a: string, b: string): -1 | 0 | 1 {
  // Identical text orders equal in both formats; skipping the parse matters because a
  // cluster's nodes mostly carry the very same version of each item.
  if (a === b) return 0;
  return format === 'deb' ? compareDebVersions(a, b) : compareRpmEVR(a, b);
}

export function versionSkew(format: VersionFormat, a: string, b: string): VersionSkew | null {
  return format === 'deb' ? debSkew(a, b) : rpmSkew(a, b);
}

/**
 * The newest value, or undefined for an empty list. Among values that compare equal
 * (`1.0` and `1.0-0` in deb) the first one listed wins, so the result is deterministic.
 */
export function newest(format: VersionFormat, values: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const value of values) {
    if (best === undefined || (value !== best && compareVersions(format, value, best) > 0)) best = value;
  }
  return best;
}

/**
 * The major.minor key of an upstream (deb) or version (rpm) string: its first two
 * '.'-separated fields; a field that starts with a digit is reduced to its leading run
 * of digits without leading zeros ("2rc1" -> "2", "007" -> "7", "0" -> "0"), any other
 * field is kept verbatim, and a missing field counts as "0" (so "1" matches "1.0.3").
 */
export function majorMinorKey(upstream: string): [string, string] {
  const fields = upstream.split('.');
  const keyOf = (field: string | undefined): string => {
    if (field === undefined) return '0';
    const digits = /^[0-9]+/.exec(field)?.[0];
    if (digits === undefined) return field;
    return digits.replace(/^0+(?=.)/, '');
  };
  return [keyOf(fields[0]), keyOf(fields[1])];
}

function upstreamOf(format: VersionFormat, value: string): string {
  return format === 'deb' ? splitDebVersion(value).upstream : parseRpmEVR(value).version;
}

/**
 * Whether two versions of one package are close enough to not count as drift:
 * - 'none': they compare equal.
 * - 'revision': equal, or only the Debian revision / RPM release differs (same epoch and
 *   upstream/version by the format's own ordering).
 * - 'minor': allowed by 'revision', or same epoch and same major.minor key
 *   (see majorMinorKey) of the upstream/version; revision and the rest may differ.
 * Each tolerance allows everything the stricter one does.
 */
export function allowedSkew(format: VersionFormat, a: string, b: string, tolerance: SkewTolerance): boolean {
  const skew = versionSkew(format, a, b);
  if (skew === null) return true;
  if (tolerance === 'none') return false;
  if (skew === 'revision') return true;
  if (tolerance === 'revision') return false;
  // Skew is reported for the first differing part, so 'upstream' means equal epochs.
  if (skew !== 'upstream') return false;
  const [majorA, minorA] = majorMinorKey(upstreamOf(format, a));
  const [majorB, minorB] = majorMinorKey(upstreamOf(format, b));
  return majorA === majorB && minorA === minorB;
}
