/**
 * Asks the real rpm (Debian's `rpm` package, 4.18) through its embedded Lua:
 * `rpm --eval '%{lua: ...}'`. In 4.18 rpm.vercmp parses both sides as `[E:]V[-R]`
 * (rpmverParse, which refuses only "") and compares with rpmverCmp, so it is the oracle
 * for full labels, and for rpmvercmp itself on strings without ':' and '-'.
 */
import { spawnSync } from 'node:child_process';

export const rpmAvailable = spawnSync('/bin/sh', ['-c', 'command -v rpm'], { encoding: 'utf8' }).status === 0;

/** A Lua string literal that survives both Lua and rpm macro expansion: no '%', no quotes. */
function luaLiteral(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let body = '';
  for (const byte of bytes) {
    const isAlnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    body += isAlnum ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return `"${body}"`;
}

/** Keeps each `--eval` argument well under Linux's 128 KiB limit for one argument. */
const PAIRS_PER_PROCESS = 300;

function rpmVercmpChunk(pairs: readonly (readonly [string, string])[]): number[] {
  const table = pairs.map(([a, b]) => `{${luaLiteral(a)},${luaLiteral(b)}}`).join(',');
  const lua =
    `local pairs_ = {${table}} local out = {} ` +
    'for i, p in ipairs(pairs_) do out[i] = tostring(rpm.vercmp(p[1], p[2])) end ' +
    'print(table.concat(out, ","))';
  const result = spawnSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`rpm --eval failed: ${result.error?.message ?? result.stderr}`);
  }
  const answers = result.stdout.trim().split(',').map(Number);
  if (answers.length !== pairs.length) throw new Error(`rpm batch: got ${answers.length} answers`);
  return answers;
}

/** rpm.vercmp(a, b) for each pair, a few rpm processes in all. Both sides must be non-empty. */
export function rpmVercmpBatch(pairs: readonly (readonly [string, string])[]): number[] {
  const answers: number[] = [];
  for (let start = 0; start < pairs.length; start += PAIRS_PER_PROCESS) {
    answers.push(...rpmVercmpChunk(pairs.slice(start, start + PAIRS_PER_PROCESS)));
  }
  return answers;
}
