/**
 * Version semantics for the items that are versions: every package, and the kernel's
 * running release. Ordering itself lives in src/core/versions (dpkg and rpm rules).
 */
import type { FacetSnapshot, FacetName } from '../snapshot.js';
import type { VersionSkew } from '../findings.js';
import { allowedSkew, compareVersions, newest, versionSkew, type SkewTolerance, type VersionFormat } from '../versions/index.js';

function isFormat(value: string | undefined): value is VersionFormat {
  return value === 'deb' || value === 'rpm';
}

/**
 * The format shared by every participant, or undefined when they disagree (a mixed
 * Debian/RHEL cluster is drift in itself; its versions are compared as plain strings).
 * The kernel facet borrows the packages facet's format.
 */
export function sharedVersionFormat(facets: readonly { facet: FacetSnapshot; packages?: FacetSnapshot }[]): VersionFormat | undefined {
  let format: VersionFormat | undefined;
  for (const { facet, packages } of facets) {
    const candidate = facet.meta?.['format'] ?? packages?.meta?.['format'];
    if (!isFormat(candidate)) return undefined;
    if (format !== undefined && format !== candidate) return undefined;
    format = candidate;
  }
  return format;
}

export function isVersionItem(facet: FacetName, key: string): boolean {
  return facet === 'packages' || (facet === 'kernel' && key === 'release');
}

export interface VersionDetail {
  newest: string;
  /** Nodes whose value orders before the newest, with their value. */
  behind: { node: string; value: string }[];
  /** The widest skew between a node that is behind and the newest value. */
  skew?: VersionSkew;
}

const SKEW_RANK: Record<VersionSkew, number> = { revision: 1, upstream: 2, epoch: 3 };

export function describeVersions(
  format: VersionFormat,
  values: readonly { node: string; value: string | null }[],
): VersionDetail | undefined {
  const present = values.filter((v): v is { node: string; value: string } => v.value !== null);
  const top = newest(
    format,
    present.map((v) => v.value),
  );
  if (top === undefined) return undefined;
  // Each distinct value is ordered against the newest once, however many nodes hold it.
  const olderThanTop = new Map<string, boolean>();
  const isBehind = (value: string): boolean => {
    let older = olderThanTop.get(value);
    if (older === undefined) {
      older = compareVersions(format, value, top) < 0;
      olderThanTop.set(value, older);
    }
    return older;
  };
  const behind = present.filter((v) => isBehind(v.value));
  let skew: VersionSkew | undefined;
  for (const value of new Set(behind.map((b) => b.value))) {
    const s = versionSkew(format, value, top);
    if (s !== null && (skew === undefined || SKEW_RANK[s] > SKEW_RANK[skew])) skew = s;
  }
  const detail: VersionDetail = { newest: top, behind };
  if (skew !== undefined) detail.skew = skew;
  return detail;
}

/** allowSkew: true when every present value is within tolerance of the newest one. */
export function withinTolerance(format: VersionFormat, values: readonly (string | null)[], tolerance: SkewTolerance): boolean {
  if (tolerance === 'none' || values.some((v) => v === null)) return false;
  const distinct = [...new Set(values as string[])];
  const top = newest(format, distinct);
  if (top === undefined) return false;
  return distinct.every((v) => allowedSkew(format, v, top, tolerance));
}

export { compareVersions, type VersionFormat };
