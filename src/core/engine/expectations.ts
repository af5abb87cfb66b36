/** `expect:` checks on one value. They apply even when every node agrees. */
import type { Expectation } from './rules/schema.js';
import { compareVersions, type VersionFormat } from './versions.js';

/** Why the value breaks the expectation, or undefined when it keeps it. */
export function expectationViolation(expect: Expectation, value: string | null, format?: VersionFormat): string | undefined {
  if (value === null) return undefined; // absence is `present:`'s business (and drift's)
  if (expect.absent) return 'expected absent';
  if (expect.equals !== undefined && value !== expect.equals) return `expected ${expect.equals}`;
  if (expect.oneOf !== undefined && !expect.oneOf.includes(value)) return `expected one of ${expect.oneOf.join(', ')}`;
  if (expect.min !== undefined) {
    const order = orderOf(value, expect.min, format);
    if (order === undefined) return `expected a number at least ${expect.min}`;
    if (order < 0) return `expected at least ${expect.min}`;
  }
  if (expect.max !== undefined) {
    const order = orderOf(value, expect.max, format);
    if (order === undefined) return `expected a number at most ${expect.max}`;
    if (order > 0) return `expected at most ${expect.max}`;
  }
  return undefined;
}

function orderOf(value: string, bound: string, format: VersionFormat | undefined): number | undefined {
  if (format) return compareVersions(format, value, bound);
  const a = Number(value.trim());
  const b = Number(bound.trim());
  if (value.trim() === '' || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return Math.sign(a - b);
}
