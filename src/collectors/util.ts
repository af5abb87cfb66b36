/**
 * Small helpers shared by the collectors' pure parsers: building facets, the one guard
 * around a parser, and a few text tools. What a command's output means (absent,
 * unsupported, failed, truncated, ok) is decided in output.ts.
 * No I/O here: parsers must stay pure and never throw.
 */
import type { FacetSnapshot, Item } from '../core/snapshot.js';

/** The node's PATH is not trusted: scripts find their tools in the system dirs only. */
export const SCRIPT_PATH = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH';

/**
 * argv running a constant script under /bin/sh. Config values go in `params` only, as
 * positional parameters ($1...), so nothing from config is ever parsed as shell.
 */
export function shArgv(script: string, ...params: string[]): string[] {
  return ['/bin/sh', '-c', `${SCRIPT_PATH}\n${script}`, 'sh', ...params];
}

export function okFacet(items: Record<string, Item>, meta?: Record<string, string>): FacetSnapshot {
  return meta ? { status: 'ok', items, meta } : { status: 'ok', items };
}

export function unsupportedFacet(reason: string): FacetSnapshot {
  return { status: 'unsupported', items: {}, error: reason };
}

export function errorFacet(message: string, items: Record<string, Item> = {}): FacetSnapshot {
  return { status: 'error', items, error: message };
}

/** The meta flag a facet carries when its parser threw: a driftd bug, never a node's fault. */
export const PARSER_CRASH_META = 'parserCrash';

/**
 * The one guard around every collector's parser: anything a parser throws becomes an
 * `error` facet, so a parser bug on odd input costs one facet, never the whole
 * collection. The facet is marked (`meta.parserCrash`) so tests, and the property tests
 * above all, can tell a parser that threw from one that reported a parse error as a value.
 */
export function guardParse(facet: string, body: () => FacetSnapshot): FacetSnapshot {
  try {
    return body();
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    return {
      status: 'error',
      items: {},
      error: `${facet}: parser failed (a driftd bug, please report it): ${message}`,
      meta: { [PARSER_CRASH_META]: 'true' },
    };
  }
}

export function isParserCrash(facet: FacetSnapshot): boolean {
  return facet.meta?.[PARSER_CRASH_META] === 'true';
}

/** The first non-empty line of a text, trimmed and capped, for error messages. */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const trimmed = line.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}...` : trimmed;
}

/**
 * A shell-style glob (`*` any run of characters, dots included; `?` one character) as
 * an anchored RegExp. Everything else is literal, so a key like `net.ipv4.conf.*` does
 * what it reads.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

export function matchesAnyGlob(value: string, globs: readonly RegExp[]): boolean {
  return globs.some((re) => re.test(value));
}

/** Collapses runs of blanks (tabs included) to one space and trims the ends. */
export function normaliseWhitespace(text: string): string {
  return text.replace(/[ \t]+/g, ' ').trim();
}
