/** Key patterns: a glob (`*` any run of characters, `?` one) or a `/regex/`. */
import { enableLinearRegexFallback } from './safe-regex.js';
import { parseRegexLiteral } from './schema.js';

// Every rule regex is built after this module loads: bound their matching time first.
enableLinearRegexFallback();

export type KeyMatcher = (key: string) => boolean;

export function compileKeyPattern(pattern: string): KeyMatcher {
  const literal = parseRegexLiteral(pattern);
  if (literal) {
    const re = new RegExp(literal.source, literal.flags);
    return (key) => re.test(key);
  }
  if (!/[*?]/.test(pattern)) return (key) => key === pattern;
  const re = globToRegExp(pattern);
  return (key) => re.test(key);
}

/**
 * `*` crosses dots and slashes on purpose: keys are flat strings (`net.ipv4.ip_forward`,
 * `/etc/corosync/corosync.conf`) and `/etc/corosync/*` should cover the whole tree.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.+()[\]{}|/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** True when the pattern names exactly one key, so `present` can point at it. */
export function isLiteralKey(pattern: string): boolean {
  return !parseRegexLiteral(pattern) && !/[*?]/.test(pattern);
}
