/**
 * Output conventions shared by the cluster-stack collectors (corosync, pacemaker, drbd):
 * how a command says "this node has no such tool or file" versus "it failed".
 */
import type { CommandOutput } from './collector.js';
import { sha256Hex, type FacetSnapshot, type Item } from '../core/snapshot.js';

/** Our constant shell scripts print this on stderr (and exit 3) when the tool or file is absent. */
export const UNSUPPORTED_MARKER = 'driftd: unsupported:';
export const UNSUPPORTED_EXIT = 3;

export type OutputVerdict =
  | { kind: 'ok'; stdout: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'error'; reason: string }
  | { kind: 'truncated'; stdout: string };

/**
 * The meaningful part of stderr, on one line: our own `driftd: source=` notes and
 * drbdadm's probing of an unloaded module (`modinfo: ERROR: ...`) are noise, not the failure.
 */
function stderrGist(text: string): string {
  const meaningful = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('driftd: source=') && !line.startsWith('modinfo: '));
  const joined = meaningful.join(' ');
  return joined.length > 200 ? `${joined.slice(0, 197)}...` : joined;
}

/** Classifies one command's raw result; `id` names the command in every reason. */
export function judgeOutput(id: string, output: CommandOutput | undefined): OutputVerdict {
  if (!output) return { kind: 'error', reason: `${id}: no output recorded` };
  const stderr = output.stderr ?? '';
  const marker = stderr.indexOf(UNSUPPORTED_MARKER);
  if (marker >= 0) {
    const reason = stderrGist(stderr.slice(marker + UNSUPPORTED_MARKER.length));
    return { kind: 'unsupported', reason: `${id}: ${reason}` };
  }
  if (output.truncated) return { kind: 'truncated', stdout: output.stdout };
  const spawnError = output.error ?? '';
  if (output.exitCode === 127 || /ENOENT/.test(spawnError)) {
    return { kind: 'unsupported', reason: `${id}: command not found (${stderrGist(stderr || spawnError)})` };
  }
  if (output.exitCode === 0) return { kind: 'ok', stdout: output.stdout };
  const detail = stderrGist(stderr) || stderrGist(spawnError) || 'no message';
  // Only cat's own complaint means "no such file here"; drbdadm naming a missing include
  // file is a broken configuration and stays an error.
  if (/(^|\n)(\/bin\/)?cat: [^\n]*: No such file or directory/.test(stderr)) {
    return { kind: 'unsupported', reason: `${id}: ${detail}` };
  }
  const code = output.exitCode === null ? 'did not finish' : `exit ${output.exitCode}`;
  return { kind: 'error', reason: `${id}: ${code}: ${detail}` };
}

export function unsupportedFacet(reason: string): FacetSnapshot {
  return { status: 'unsupported', items: {}, error: reason };
}

export function errorFacet(reason: string, items: Record<string, Item> = {}): FacetSnapshot {
  return { status: 'error', items, error: reason };
}

/** The one guard of src/collectors/util.ts, re-exported for the cluster-stack collectors. */
export { guardParse } from './util.js';

/** Option and parameter names whose values are secrets (DRBD shared-secret, fence passwords). */
const SECRET_NAME = /(passw(or)?d|secret|(^|[-_])key$|token$|community$)/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Secrets are kept comparable (a shared-secret that differs between peers is a real
 * fault) but never stored or shown: only a short digest is.
 */
export function redactSecret(value: string): string {
  return `redacted:sha256:${sha256Hex(`driftd-secret\u0000${value}`).slice(0, 16)}`;
}
