import { StoreError } from './errors.js';

/**
 * Time columns hold `Date#toISOString()` (UTC, milliseconds, `Z`), so text
 * comparison is time comparison and range queries can use the indexes. Inputs such as
 * `2026-11-24T22:00:00+01:00` or `...:00Z` are normalised on the way in.
 */
export function toIsoUtc(value: string, what = 'time'): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new StoreError('invalid-input', `${what} ${JSON.stringify(value)} is not an ISO 8601 date-time`);
  }
  return new Date(ms).toISOString();
}

export function optionalIsoUtc(value: string | undefined, what: string): string | undefined {
  return value === undefined ? undefined : toIsoUtc(value, what);
}

/**
 * Per-run instants (a snapshot's takenAt) are stored as integer milliseconds since the
 * epoch: 6 bytes instead of 24 of text, in rows written for every node of every run.
 * The ISO form above comes back on the way out.
 */
export function isoToMs(value: string, what = 'time'): number {
  return Date.parse(toIsoUtc(value, what));
}

export function msToIso(ms: number): string {
  return new Date(ms).toISOString();
}
