/**
 * Regular expressions from rule packs run against node-supplied keys and values, so a
 * pattern must not be able to take exponential (or high-polynomial) time on a hostile key
 * (`/^(a+)+$/` took 36 s on a 32-character name). Two guards, no native dependency:
 *
 * 1. At load time, `regexHazard` refuses what no bound can save: a repetition nested in a
 *    repetition (`(a+)+`, `(.*a){20}`), backreferences and lookaround (V8's linear-time
 *    engine cannot run them, so they would always backtrack), and repetition counts over
 *    1000. The rule pack fails with file:line:col and this message.
 * 2. At match time, V8 is told to switch a match to its linear-time (non-backtracking)
 *    engine once it backtracks too much (`--enable-experimental-regexp-engine-on-excessive-backtracks`),
 *    which bounds every pattern that passed (1): `.*.*.*.*x` or `(a|aa)+` on a long key
 *    stay linear.
 */
import { setFlagsFromString } from 'node:v8';

let fallbackEnabled = false;

/** Idempotent; called when the rule compiler loads, before any rule regex is built. */
export function enableLinearRegexFallback(): void {
  if (fallbackEnabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  fallbackEnabled = true;
}

export const MAX_REPEAT_COUNT = 1000;

interface Frame {
  /** The group's body contains a repeating quantifier (max > 1). */
  repeats: boolean;
  start: number;
}

/**
 * Why a pattern is refused, or undefined when it is safe to run with the linear fallback.
 * Expects a source that `new RegExp` already accepted.
 */
export function regexHazard(source: string): string | undefined {
  const stack: Frame[] = [{ repeats: false, start: 0 }];
  /** The last atom: a closed group (its frame), or a plain atom. */
  let last: { group: Frame | null; start: number } | null = null;
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    const top = stack[stack.length - 1] as Frame;
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<')) {
        return `a backreference (\\${next}...) can take exponential time on a long key and is not supported in rule patterns`;
      }
      last = { group: null, start: i };
      i += next === 'u' && source[i + 2] === '{' ? source.indexOf('}', i) + 1 - i : 2;
      continue;
    }
    if (ch === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      last = { group: null, start: i };
      i = j + 1;
      continue;
    }
    if (ch === '(') {
      if (/^\(\?(=|!|<=|<!)/.test(source.slice(i, i + 4))) {
        return 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported in rule patterns: they cannot run in linear time';
      }
      stack.push({ repeats: false, start: i });
      last = null;
      i += 1;
      continue;
    }
    if (ch === ')') {
      const closed = stack.pop() as Frame;
      last = { group: closed, start: closed.start };
      // A group's repetition counts for the enclosing group too.
      const parent = stack[stack.length - 1] as Frame;
      if (closed.repeats) parent.repeats = true;
      i += 1;
      continue;
    }
    const quantifier = readQuantifier(source, i);
    if (quantifier) {
      if ((Number.isFinite(quantifier.max) && quantifier.max > MAX_REPEAT_COUNT) || quantifier.min > MAX_REPEAT_COUNT) {
        return `repetition count over ${MAX_REPEAT_COUNT} in "${source.slice(i, i + quantifier.length)}"`;
      }
      if (quantifier.max > 1 && last?.group?.repeats) {
        const fragment = source.slice(last.start, i + quantifier.length);
        return `"${fragment}" repeats a group that itself repeats (nested quantifiers): on a hostile key this takes exponential time; rewrite it without the outer repetition`;
      }
      if (quantifier.max > 1) top.repeats = true;
      last = null;
      i += quantifier.length;
      // A lazy or possessive-looking suffix belongs to the quantifier.
      if (source[i] === '?') i += 1;
      continue;
    }
    if (ch === '|') {
      last = null;
      i += 1;
      continue;
    }
    last = { group: null, start: i };
    i += 1;
  }
  return undefined;
}

function readQuantifier(source: string, i: number): { min: number; max: number; length: number } | null {
  const ch = source[i];
  if (ch === '*') return { min: 0, max: Infinity, length: 1 };
  if (ch === '+') return { min: 1, max: Infinity, length: 1 };
  if (ch === '?') return { min: 0, max: 1, length: 1 };
  if (ch === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    return { min, max, length: m[0].length };
  }
  return null;
}
