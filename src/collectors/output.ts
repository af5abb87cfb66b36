/**
 * What a command's output means, decided in one place for every collector: a command is
 * absent (no output recorded), unsupported (its tool or file is not on this node), failed
 * (it ran and failed, or did not finish), truncated (cut at a cap: stdout is partial) or
 * ok. Collectors parse `ok` and `truncated` stdout, turn the other verdicts into a facet
 * with `facetOf`, and return through `parseFacet`, which settles the facet against all of
 * its commands: a cut output makes it `truncated`, an unfinished one makes it `error`.
 * The collect layer only supplies which cap cut a command (`CommandOutput.cap`).
 * No I/O here: parsers stay pure and never throw.
 */
import type { FacetName, FacetSnapshot, Item } from '../core/snapshot.js';
import type { CommandOutput } from './collector.js';
import { errorFacet, firstLine, guardParse, unsupportedFacet } from './util.js';

export type Outputs = Readonly<Record<string, CommandOutput>>;

/** Our constant shell scripts print this on stderr (and exit 3) when the tool or file is absent. */
export const UNSUPPORTED_MARKER = 'driftd: unsupported:';
export const UNSUPPORTED_EXIT = 3;

/** Our scripts name where they read from on stderr (`driftd: source=cibadmin`), keeping stdout pure. */
export const SOURCE_MARKER = 'driftd: source=';

export type OutputVerdict =
  /** No output recorded for the command (an older recording, a batch that lost it). */
  | { kind: 'absent'; id: string; message: string }
  /** The command's tool or file is not on this node: the facet is unsupported, not failed. */
  | { kind: 'unsupported'; id: string; message: string }
  /** It ran and failed, or did not finish; the message names the command and what it said. */
  | { kind: 'failed'; id: string; message: string }
  /** Cut at a cap: stdout is partial (its last line may be cut too). */
  | { kind: 'truncated'; id: string; stdout: string; message: string }
  | { kind: 'ok'; id: string; stdout: string };

/** A verdict whose stdout is worth parsing: whole, or cut at a cap. */
export type Readable = Extract<OutputVerdict, { kind: 'ok' | 'truncated' }>;
export type Unreadable = Exclude<OutputVerdict, Readable>;

export interface JudgeOptions {
  /** Stderr of a failed command that means "not on this node" for this collector (no systemd, ...). */
  unsupportedWhen?: RegExp;
}

/**
 * The meaningful part of a stderr, on one line: our own `driftd: source=` notes and
 * drbdadm's probing of an unloaded module (`modinfo: ERROR: ...`) are noise, not the failure.
 */
function gist(text: string): string {
  const meaningful = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith(SOURCE_MARKER) && !line.startsWith('modinfo: '));
  const joined = meaningful.join(' ');
  return joined.length > 200 ? `${joined.slice(0, 197)}...` : joined;
}

/**
 * The tool itself is missing: the shell's exit 127, a local spawn's ENOENT, or sudo's own
 * "command not found" (sudo exits 1 for it).
 */
function toolMissing(out: CommandOutput): boolean {
  return out.exitCode === 127 || /\bENOENT\b/.test(out.error ?? '') || /(^|\n)sudo: [^\n]*: command not found/.test(out.stderr);
}

/**
 * The file read is missing: only cat's own complaint. Any other tool naming a missing
 * file (drbdadm and its include files) is a broken configuration and stays a failure.
 */
const CAT_NO_FILE = /(^|\n)(\/bin\/|\/usr\/bin\/)?cat: [^\n]*: No such file or directory/;

/** Which command was cut, and by which cap when the collect layer said so. */
function cutMessage(id: string, out: CommandOutput): string {
  return out.cap ? `${id} exceeded ${out.cap}` : `${id}: output truncated`;
}

/** The one judgement of a command's output; `id` names the command in every message. */
export function judgeOutput(outputs: Outputs, id: string, options: JudgeOptions = {}): OutputVerdict {
  const out = outputs[id];
  if (!out) return { kind: 'absent', id, message: `${id}: no output recorded` };
  const marker = out.stderr.indexOf(UNSUPPORTED_MARKER);
  if (marker >= 0) return { kind: 'unsupported', id, message: `${id}: ${gist(out.stderr.slice(marker + UNSUPPORTED_MARKER.length))}` };
  if (out.truncated) {
    return { kind: 'truncated', id, stdout: out.stdout, message: cutMessage(id, out) };
  }
  // What the command said, read only when it is not ok (a hostile stderr costs nothing then).
  const said = (): string => gist(out.stderr) || gist(out.error ?? '');
  if (toolMissing(out)) return { kind: 'unsupported', id, message: `${id}: ${said() || 'command not found (exit 127)'}` };
  if (out.exitCode === 0) return { kind: 'ok', id, stdout: out.stdout };
  if (CAT_NO_FILE.test(out.stderr) || options.unsupportedWhen?.test(out.stderr)) {
    return { kind: 'unsupported', id, message: `${id}: ${said()}` };
  }
  const exit = out.exitCode === null ? 'did not finish' : `exit ${out.exitCode}`;
  return { kind: 'failed', id, message: `${id}: ${exit}: ${said() || firstLine(out.stdout) || 'no message'}` };
}

export function isReadable(verdict: OutputVerdict): verdict is Readable {
  return verdict.kind === 'ok' || verdict.kind === 'truncated';
}

/** The facet of a command the collector cannot do without: unsupported stays unsupported, the rest is an error. */
export function facetOf(verdict: Unreadable): FacetSnapshot {
  return verdict.kind === 'unsupported' ? unsupportedFacet(verdict.message) : errorFacet(verdict.message);
}

/** Where a script read from (its `driftd: source=` note on stderr), or `unknown`. */
export function sourceOf(outputs: Outputs, id: string): string {
  const stderr = outputs[id]?.stderr ?? '';
  const at = stderr.indexOf(SOURCE_MARKER);
  if (at < 0) return 'unknown';
  return (
    stderr
      .slice(at + SOURCE_MARKER.length)
      .split('\n')[0]
      ?.trim() || 'unknown'
  );
}

/** A facet whose command was cut where nothing partial is worth keeping (a cut XML document). */
export function cutFacet(verdict: Extract<OutputVerdict, { kind: 'truncated' }>): FacetSnapshot {
  return markTruncated({ status: 'ok', items: {} }, verdict.message);
}

/**
 * Lines of a readable stdout. When the output was cut, the last line may be partial, so
 * it is dropped rather than read as a real (wrong) value.
 */
export function outputLines(verdict: Readable): string[] {
  const lines = verdict.stdout.split('\n');
  if (verdict.kind === 'truncated') lines.pop();
  else if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * The one place a facet becomes truncated: an error stays an error (its message gains the
 * reason), anything else is truncated. Used for cut outputs here and for the item caps
 * of src/collect/limits.ts.
 */
export function markTruncated(facet: FacetSnapshot, reason: string, items: Record<string, Item> = facet.items): FacetSnapshot {
  return {
    ...facet,
    items,
    status: facet.status === 'error' ? 'error' : 'truncated',
    error: facet.error ? `${facet.error}; ${reason}` : reason,
  };
}

/**
 * A parsed facet against all of its commands: a command that did not finish (timeout,
 * killed: the transport's error) fails a facet that looks ok, since what it would have
 * added is unknown; a cut output makes any facet but an error truncated, since its items
 * are partial. Idempotent.
 */
export function settleFacet(facet: FacetSnapshot, outputs: Outputs): FacetSnapshot {
  if (facet.status === 'error' || facet.status === 'truncated') return facet;
  const unfinished: string[] = [];
  const cut: string[] = [];
  for (const [id, out] of Object.entries(outputs)) {
    if (out.truncated) cut.push(cutMessage(id, out));
    else if (out.error !== undefined) unfinished.push(`${id}: ${out.error}`);
  }
  if (unfinished.length > 0 && facet.status === 'ok')
    return { ...facet, status: 'error', error: `command failed: ${unfinished.join('; ')}` };
  if (cut.length > 0) return markTruncated(facet, cut.join('; '));
  return facet;
}

/**
 * How every collector parses: its parser inside the one guard (a throw becomes an error
 * facet marked as a driftd bug), then settled against its commands' outputs.
 */
export function parseFacet(facet: FacetName, outputs: Outputs, body: () => FacetSnapshot): FacetSnapshot {
  return settleFacet(guardParse(facet, body), outputs);
}
