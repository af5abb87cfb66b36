/** Query-string parameters of the API: parsed into typed values or rejected with a 400 that says what is expected. */
import { SEVERITIES, type Severity } from '../core/findings.js';
import { HttpError } from './errors.js';

/** A date, or a date-time with a zone (a zoneless time would be read in the server's zone). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

export const TIME_FORMAT_HINT =
  'an ISO 8601 UTC date-time such as 2026-11-26T08:00:00Z (or a date such as 2026-11-26, or an offset such as +01:00)';

/** Normalised to `Date#toISOString()`; undefined when the parameter is absent. */
export function optionalTime(params: URLSearchParams, name: string): string | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const millis = ISO_DATE_TIME.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(millis)) {
    throw new HttpError(400, `${name} must be ${TIME_FORMAT_HINT}; got ${JSON.stringify(raw)}`);
  }
  return new Date(millis).toISOString();
}

export interface TimeRange {
  since?: string;
  until?: string;
}

export function timeRange(params: URLSearchParams): TimeRange {
  const since = optionalTime(params, 'since');
  const until = optionalTime(params, 'until');
  if (since !== undefined && until !== undefined && since > until) {
    throw new HttpError(400, `since (${since}) is after until (${until})`);
  }
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
}

/** `severity=critical` or `severity=critical,warning`; undefined means every severity. */
export function severityFilter(params: URLSearchParams): Set<Severity> | undefined {
  const raw = params.get('severity');
  if (raw === null) return undefined;
  const wanted = raw.split(',').map((part) => part.trim());
  const allowed: readonly string[] = SEVERITIES;
  const unknown = wanted.filter((part) => !allowed.includes(part));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new HttpError(400, `severity must be one or more of ${SEVERITIES.join(', ')} separated by commas; got ${JSON.stringify(raw)}`);
  }
  return new Set(wanted as Severity[]);
}
