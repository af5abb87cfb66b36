/**
 * Small helpers shared by the collectors' pure parsers: the status decisions every facet
 * makes the same way (missing output, missing tool, cut output) and a few text tools.
 * No I/O here: parsers must stay pure and never throw.
 */
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import type { CommandOutput } from './collector.js';

export type Outputs = Readonly<Record<string, CommandOutput>>;

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

export function errorFacet(message: string): FacetSnapshot {
  return { status: 'error', items: {}, error: message };
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

const MISSING_PATTERNS = [/No such file or directory/i, /command not found/i, /: not found/i, /\bENOENT\b/];

/**
 * Why a command's tool or file is absent on this node, or undefined if it is present.
 * Exit 127 is the shell's "command not found"; a local spawn of a missing binary comes
 * back as an ENOENT error instead of an exit code.
 */
export function missingReason(id: string, out: CommandOutput): string | undefined {
  const said = firstLine(out.stderr) || firstLine(out.error ?? '');
  if (out.exitCode === 127) return `${id}: ${said || 'command not found (exit 127)'}`;
  if (out.exitCode === 0) return undefined;
  const text = `${out.stderr}\n${out.error ?? ''}`;
  if (MISSING_PATTERNS.some((re) => re.test(text))) return `${id}: ${said}`;
  return undefined;
}

export type OutputCheck =
  { kind: 'ok'; out: CommandOutput } | { kind: 'missing-tool'; reason: string } | { kind: 'failed'; message: string };

/**
 * Sorts one command's output into: usable (exit 0, or a cut output worth parsing),
 * tool/file absent (-> unsupported), or failed (-> error, with the command's words).
 */
export function checkOutput(outputs: Outputs, id: string): OutputCheck {
  const out = outputs[id];
  if (!out) return { kind: 'failed', message: `${id}: no output recorded for this command` };
  const missing = missingReason(id, out);
  if (missing) return { kind: 'missing-tool', reason: missing };
  if (out.exitCode === 0 || out.truncated) return { kind: 'ok', out };
  const said = firstLine(out.stderr) || firstLine(out.error ?? '') || firstLine(out.stdout);
  const exit = out.exitCode === null ? 'did not finish' : `exit ${out.exitCode}`;
  return { kind: 'failed', message: `${id}: ${exit}${said ? `: ${said}` : ''}` };
}

/** Facet from a failed check: missing tool -> unsupported, anything else -> error. */
export function facetFromCheck(check: Exclude<OutputCheck, { kind: 'ok' }>): FacetSnapshot {
  return check.kind === 'missing-tool' ? unsupportedFacet(check.reason) : errorFacet(check.message);
}

/**
 * Lines of a command's stdout. When the output was cut, the last line may be partial,
 * so it is dropped rather than read as a real (wrong) value.
 */
export function outputLines(out: CommandOutput): string[] {
  const lines = out.stdout.split('\n');
  if (out.truncated) lines.pop();
  else if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Marks a facet truncated when any of the named commands' output was cut. */
export function withTruncation(facet: FacetSnapshot, outputs: Outputs, ids: readonly string[]): FacetSnapshot {
  if (facet.status !== 'ok') return facet;
  const cut = ids.filter((id) => outputs[id]?.truncated);
  if (cut.length === 0) return facet;
  return { ...facet, status: 'truncated', error: `output cut at the size cap: ${cut.join(', ')}` };
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
